package webexapi

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/cutover-dev/cutover/webex"
)

// Webex's error codes for MACs (WEBEX-API.md, the spec's examples): in use,
// duplicated in a validateMacs list, invalid.
const (
	errMACInUse     = 5675
	errMACDuplicate = 5676
	errMACInvalid   = 25220
)

// noAuth marks a route that takes no bearer token.
const noAuth = "-"

func (s *Server) routes() {
	mux := http.NewServeMux()
	// windowed routes sleep their latency themselves, inside the window in
	// which they hold their owner or device.
	windowed := map[string]bool{
		"POST /v1/devices":                                                   true,
		"PUT /v1/telephony/config/devices/{id}":                              true,
		"PUT /v1/telephony/config/devices/{id}/members":                      true,
		"POST /v1/telephony/config/devices/{id}/actions/applyChanges/invoke": true,
	}
	handle := func(pattern, scope string, fn http.HandlerFunc) {
		inWindow := windowed[pattern]
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			if rec, ok := w.(*recorder); ok {
				rec.route = pattern
			}
			if !inWindow && !wait(r) {
				return
			}
			if scope != noAuth && !s.authorize(w, r, scope) {
				return
			}
			fn(w, r)
		})
	}
	handle("POST /v1/access_token", noAuth, s.accessTokenGrant)
	handle("POST /v1/applications/{id}/token", ScopeApplicationsToken, s.serviceAppToken)
	handle("GET /v1/people", ScopePeopleRead, s.listPeople)
	handle("GET /v1/workspaces", ScopeWorkspacesRead, s.listWorkspaces)
	handle("GET /v1/locations", ScopeLocationsRead, s.listLocations)
	handle("GET /v1/telephony/config/locations/{id}", ScopeTelephonyConfigRead, s.getCallingLocation)
	handle("GET /v1/telephony/config/supportedDevices", ScopeTelephonyConfigRead, s.supportedDevices)
	// validateMacs changes nothing but needs the write scope, as in Webex's spec.
	handle("POST /v1/telephony/config/devices/actions/validateMacs/invoke", ScopeTelephonyConfigWrite, s.validateMACs)
	handle("POST /v1/devices", ScopeDevicesWrite, s.createDevice)
	handle("GET /v1/devices", ScopeDevicesRead, s.listDevices)
	handle("GET /v1/devices/{id}", ScopeDevicesRead, s.getDevice)
	handle("DELETE /v1/devices/{id}", ScopeDevicesWrite, s.deleteDevice)
	handle("GET /v1/telephony/config/devices/{id}", ScopeTelephonyConfigRead, s.getTelephonyDevice)
	handle("PUT /v1/telephony/config/devices/{id}", ScopeTelephonyConfigWrite, s.putTelephonyDevice)
	handle("GET /v1/telephony/config/devices/{id}/members", ScopeTelephonyConfigRead, s.getMembers)
	handle("PUT /v1/telephony/config/devices/{id}/members", ScopeTelephonyConfigWrite, s.putMembers)
	handle("POST /v1/telephony/config/devices/{id}/actions/applyChanges/invoke", ScopeTelephonyConfigWrite, s.applyChanges)
	handle("POST /v1/telephony/config/locations/{id}/actions/generatePassword/invoke", ScopeTelephonyConfigWrite, s.generatePassword)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, http.StatusNotFound, 0, "The requested resource could not be found: %s %s.", r.Method, r.URL.Path)
	})
	s.mux = mux
}

// Page sizes: Webex's default, and the caps (people with callingData=true
// at 100, as documented).
const (
	defaultMax       = 100
	capMax           = 1000
	capPeopleCalling = 100
)

// page parses max and start, answers 400 for bad values, sets the Link
// header when more items follow, and returns the slice bounds of n items.
func (s *Server) page(w http.ResponseWriter, r *http.Request, n, limit int) (lo, hi int, ok bool) {
	q := r.URL.Query()
	size := defaultMax
	if v := q.Get("max"); v != "" {
		m, err := strconv.Atoi(v)
		if err != nil || m < 1 {
			s.fail(w, http.StatusBadRequest, 0, "max %q: expected a positive whole number.", v)
			return 0, 0, false
		}
		size = m
	}
	size = min(size, limit)
	if v := q.Get("start"); v != "" {
		st, err := strconv.Atoi(v)
		if err != nil || st < 0 {
			s.fail(w, http.StatusBadRequest, 0, "start %q: expected a whole number of at least 0.", v)
			return 0, 0, false
		}
		lo = st
	}
	lo = min(lo, n)
	hi = min(lo+size, n)
	if hi < n {
		q.Set("start", strconv.Itoa(hi))
		q.Set("max", strconv.Itoa(size))
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		next := url.URL{Scheme: scheme, Host: r.Host, Path: r.URL.Path, RawQuery: q.Encode()}
		w.Header().Set("Link", "<"+next.String()+`>; rel="next"`)
	}
	return lo, hi, true
}

// pageItems returns the page of found that max and start select (see page),
// each converted by item; ok is false when page has answered 400. Callers
// hold s.mu.
func pageItems[T, J any](s *Server, w http.ResponseWriter, r *http.Request, found []T, limit int, item func(T) J) (items []J, ok bool) {
	lo, hi, ok := s.page(w, r, len(found), limit)
	if !ok {
		return nil, false
	}
	items = make([]J, 0, hi-lo)
	for _, f := range found[lo:hi] {
		items = append(items, item(f))
	}
	return items, true
}

func (s *Server) listPeople(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	calling := q.Get("callingData") == "true"
	limit := capMax
	if calling {
		limit = capPeopleCalling
	}
	s.mu.Lock()
	var (
		found    []*owner
		notFound []string
	)
	switch {
	case q.Get("email") != "":
		if p := s.org.byEmail[strings.ToLower(strings.TrimSpace(q.Get("email")))]; p != nil {
			found = append(found, p)
		}
	case q.Get("id") != "":
		ids := strings.Split(q.Get("id"), ",")
		if len(ids) > webex.MaxPeopleIDs {
			s.mu.Unlock()
			s.fail(w, http.StatusBadRequest, 0, "id accepts up to %d person IDs; got %d.", webex.MaxPeopleIDs, len(ids))
			return
		}
		for _, id := range ids {
			if p := s.org.owners[id]; p != nil && p.kind == webex.MemberPeople {
				found = append(found, p)
			} else {
				notFound = append(notFound, id)
			}
		}
	case q.Get("displayName") != "":
		want := strings.ToLower(q.Get("displayName"))
		for _, p := range s.org.people {
			if strings.HasPrefix(strings.ToLower(p.name), want) {
				found = append(found, p)
			}
		}
	default:
		found = s.org.people
	}
	items, ok := pageItems(s, w, r, found, limit, func(p *owner) webex.Person { return s.personJSON(p, calling) })
	s.mu.Unlock()
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, webex.ListResponse[webex.Person]{Items: items, NotFoundIDs: notFound})
}

func (s *Server) personJSON(p *owner, calling bool) webex.Person {
	out := webex.Person{
		ID: p.id, Emails: []string{p.email}, DisplayName: p.name,
		FirstName: p.first, LastName: p.last, OrgID: s.orgID,
	}
	// Calling fields are only returned with callingData=true, as in Webex.
	if calling {
		out.Extension = p.ext
		out.LocationID = p.loc.id
		if p.phone != "" {
			out.PhoneNumbers = []webex.PhoneNumber{{Type: "work", Value: p.phone, Primary: true}}
		}
	}
	return out
}

func (s *Server) listWorkspaces(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	found := s.org.workspaces
	if name := strings.TrimSpace(q.Get("displayName")); name != "" {
		found = nil
		if ws := s.org.wsByName[strings.ToLower(name)]; ws != nil {
			found = []*owner{ws}
		}
	}
	items, ok := pageItems(s, w, r, found, capMax, func(ws *owner) webex.Workspace {
		return webex.Workspace{
			ID: ws.id, DisplayName: ws.name, LocationID: ws.loc.id,
			Calling: &webex.WorkspaceCalling{Type: ws.callingType}, SupportedDevices: ws.supportedDevices, OrgID: s.orgID,
		}
	})
	s.mu.Unlock()
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, webex.ListResponse[webex.Workspace]{Items: items})
}

// listLocations serves L3; name= matches names containing it, as Webex does.
func (s *Server) listLocations(w http.ResponseWriter, r *http.Request) {
	want := strings.ToLower(strings.TrimSpace(r.URL.Query().Get("name")))
	s.mu.Lock()
	var found []*location
	for _, l := range s.org.locOrder {
		if want == "" || strings.Contains(strings.ToLower(l.name), want) {
			found = append(found, l)
		}
	}
	items, ok := pageItems(s, w, r, found, capMax, func(l *location) webex.Location {
		return webex.Location{ID: l.id, Name: l.name, OrgID: s.orgID}
	})
	s.mu.Unlock()
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, webex.ListResponse[webex.Location]{Items: items})
}

// location finds the location named by the path, or answers 404 itself.
func (s *Server) location(w http.ResponseWriter, r *http.Request) *location {
	s.mu.Lock()
	l := s.org.locations[r.PathValue("id")]
	s.mu.Unlock()
	if l == nil {
		s.fail(w, http.StatusNotFound, 0, "Location not found.")
	}
	return l
}

func (s *Server) getCallingLocation(w http.ResponseWriter, r *http.Request) {
	l := s.location(w, r)
	if l == nil {
		return
	}
	writeJSON(w, http.StatusOK, webex.LocationCalling{ID: l.id, Name: l.name, DefaultDomain: l.domain})
}

// upgradeChannels is S1's upgradeChannelList (the spec's example).
var upgradeChannels = []string{"STABLE", "STABLE_DELAY", "PREVIEW", "BETA", "TESTING"}

// supportedDevices serves S1; it pages only when max is given (Webex answers
// the whole catalog at once).
func (s *Server) supportedDevices(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	typ := strings.ToUpper(q.Get("type"))
	s.mu.Lock()
	var found []webex.SupportedDevice
	for _, m := range s.org.modelOrder {
		if typ == "" || m.Type == typ {
			found = append(found, *m)
		}
	}
	s.mu.Unlock()
	if q.Get("max") != "" || q.Get("start") != "" {
		lo, hi, ok := s.page(w, r, len(found), capMax)
		if !ok {
			return
		}
		found = found[lo:hi]
	}
	if found == nil {
		found = []webex.SupportedDevice{}
	}
	writeJSON(w, http.StatusOK, webex.SupportedDevicesResponse{Devices: found, UpgradeChannelList: upgradeChannels})
}

// validateMACs serves M1.
func (s *Server) validateMACs(w http.ResponseWriter, r *http.Request) {
	var req webex.ValidateMACsRequest
	if !s.decodeBody(w, r, &req) {
		return
	}
	if len(req.MACs) == 0 || len(req.MACs) > 100 {
		s.fail(w, http.StatusBadRequest, 0, "macs must hold 1 to 100 MAC addresses; got %d.", len(req.MACs))
		return
	}
	resp := webex.ValidateMACsResponse{Status: "OK", MACStatus: make([]webex.MACStatus, 0, len(req.MACs))}
	seen := make(map[string]bool, len(req.MACs))
	s.mu.Lock()
	for _, in := range req.MACs {
		st := webex.MACStatus{MAC: in, State: webex.MACAvailable}
		mac, ok := normalizeMAC(in)
		switch {
		case !ok:
			st.State, st.ErrorCode = webex.MACInvalid, errMACInvalid
			st.Message = fmt.Sprintf("[Error %d] MAC Address is invalid.", errMACInvalid)
		case seen[mac]:
			st.State, st.ErrorCode = webex.MACDuplicateInList, errMACDuplicate
			st.Message = fmt.Sprintf("[Error %d] MAC Address is duplicated in the list.", errMACDuplicate)
		case s.org.byMAC[mac] != nil:
			st.State, st.ErrorCode = webex.MACUnavailable, errMACInUse
			st.Message = fmt.Sprintf("[Error %d] MAC Address is in use.", errMACInUse)
		}
		if ok {
			seen[mac] = true
		}
		if st.State != webex.MACAvailable {
			resp.Status = "ERRORS"
		}
		resp.MACStatus = append(resp.MACStatus, st)
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, resp)
}

// createDevice serves D1. A create holds its owner (and its MAC) until the
// device is stored; a second create for the same owner meanwhile gets 409,
// which is Webex's documented race for Professional-licensed owners.
func (s *Server) createDevice(w http.ResponseWriter, r *http.Request) {
	var req webex.CreateDeviceRequest
	if !s.decodeBody(w, r, &req) {
		return
	}
	mac, ok := normalizeMAC(req.MAC)
	if !ok {
		s.fail(w, http.StatusBadRequest, errMACInvalid, "[Error %d] Invalid MAC address %q: expected 12 hexadecimal digits.", errMACInvalid, req.MAC)
		return
	}
	if (req.PersonID == "") == (req.WorkspaceID == "") {
		s.fail(w, http.StatusBadRequest, 0, "Exactly one of personId and workspaceId is required.")
		return
	}
	s.mu.Lock()
	o := s.org
	m := o.models[strings.ToLower(req.Model)]
	if m == nil {
		s.mu.Unlock()
		s.fail(w, http.StatusBadRequest, 0, "Unsupported device model %q.", req.Model)
		return
	}
	var ow *owner
	if req.PersonID != "" {
		if p := o.owners[req.PersonID]; p != nil && p.kind == webex.MemberPeople {
			ow = p
		}
	} else if p := o.owners[req.WorkspaceID]; p != nil && p.kind == webex.MemberPlace {
		ow = p
	}
	if ow == nil {
		s.mu.Unlock()
		s.fail(w, http.StatusNotFound, 0, "Owner %s not found.", req.PersonID+req.WorkspaceID)
		return
	}
	if ow.kind == webex.MemberPlace && (ow.callingType != webex.CallingWebex || ow.supportedDevices != webex.WorkspaceTakesPhones) {
		s.mu.Unlock()
		s.fail(w, http.StatusBadRequest, 0, "Workspace %s cannot take a phone: it needs Webex Calling and supportedDevices phones (calling %s, supportedDevices %s).",
			ow.name, ow.callingType, ow.supportedDevices)
		return
	}
	if o.byMAC[mac] != nil || o.reservedMAC(mac) {
		s.mu.Unlock()
		s.fail(w, http.StatusConflict, errMACInUse, "[Error %d] MAC Address %s is in use.", errMACInUse, mac)
		return
	}
	sipUser := s.newSIPUser()
	if m.Manufacturer == "THIRD_PARTY" {
		if req.Password == "" {
			s.mu.Unlock()
			s.fail(w, http.StatusBadRequest, 0, "A password is required for third-party device model %s.", m.Model)
			return
		}
		if msg := s.checkPassword(req.Password, sipUser, ow); msg != "" {
			s.mu.Unlock()
			s.fail(w, http.StatusBadRequest, 0, "Invalid password: %s.", msg)
			return
		}
	}
	if o.creating[ow] {
		s.mu.Unlock()
		s.fail(w, http.StatusConflict, 0, "Another device is being created for this owner; create devices for one owner one at a time.")
		return
	}
	o.creating[ow] = true
	o.reserved[mac] = true
	hook := s.hooks.inCreate
	s.mu.Unlock()

	if hook != nil {
		hook(mac)
	}
	proceed := wait(r)

	s.mu.Lock()
	delete(o.creating, ow)
	delete(o.reserved, mac)
	if !proceed {
		s.mu.Unlock()
		return
	}
	password := ""
	if m.Manufacturer == "THIRD_PARTY" {
		password = req.Password
	}
	d := s.storeDevice(mac, m, ow, password, sipUser)
	out := s.deviceJSON(d)
	s.mu.Unlock()
	if s.commitFault(w) || s.emptyCreate(w) {
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (o *org) reservedMAC(mac string) bool { return o.reserved[mac] }

func (s *Server) deviceJSON(d *device) webex.Device {
	out := webex.Device{
		ID: d.id, CallingDeviceID: d.callingID,
		DisplayName: d.owner.name + " (" + d.model.DisplayName + ")",
		OrgID:       s.orgID, MAC: d.mac, Product: d.model.DisplayName, Type: "phone",
		ManagedBy: d.model.ManagedBy, ConnectionStatus: d.conn.status(s.now()), Created: d.created,
		FirstSeen: d.conn.firstSeen, LastSeen: d.conn.lastSeen,
	}
	if d.owner.kind == webex.MemberPeople {
		out.PersonID = d.owner.id
	} else {
		out.WorkspaceID = d.owner.id
	}
	return out
}

func (s *Server) listDevices(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	o := s.org
	found := o.order
	switch {
	case q.Get("mac") != "":
		found = nil
		if mac, ok := normalizeMAC(q.Get("mac")); ok && o.byMAC[mac] != nil {
			found = []*device{o.byMAC[mac]}
		}
	case q.Get("personId") != "" || q.Get("workspaceId") != "":
		found = nil
		if ow := o.owners[q.Get("personId")+q.Get("workspaceId")]; ow != nil {
			found = o.byOwner[ow]
		}
	}
	if product := strings.ToLower(q.Get("product")); product != "" {
		var keep []*device
		for _, d := range found {
			if strings.ToLower(d.model.DisplayName) == product || strings.ToLower(d.model.Model) == product {
				keep = append(keep, d)
			}
		}
		found = keep
	}
	// type and connectionStatus narrow what the other filters found; a
	// value outside the spec's lists is refused, as the API validates its
	// enums.
	if typ := q.Get("type"); typ != "" {
		// Every device the emulator holds is a "phone" (deviceJSON), gateways included.
		if !s.oneOf(w, "type", typ, webex.DeviceTypes) {
			return
		}
		if typ != "phone" {
			found = nil
		}
	}
	if cs := q.Get("connectionStatus"); cs != "" {
		if !s.oneOf(w, "connectionStatus", cs, webex.ConnectionStatuses) {
			return
		}
		now := s.now()
		var keep []*device
		for _, d := range found {
			if d.conn.status(now) == cs {
				keep = append(keep, d)
			}
		}
		found = keep
	}
	items, ok := pageItems(s, w, r, found, capMax, s.deviceJSON)
	s.mu.Unlock()
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, webex.ListResponse[webex.Device]{Items: items})
}

// oneOf reports whether the query parameter's value is one of the spec's
// enum values; otherwise it answers 400 itself. Callers hold s.mu, which
// oneOf releases when it answers.
func (s *Server) oneOf(w http.ResponseWriter, param, v string, enum []string) bool {
	if slices.Contains(enum, v) {
		return true
	}
	s.mu.Unlock()
	s.fail(w, http.StatusBadRequest, 0, "%s %q: expected one of %s.", param, v, strings.Join(enum, ", "))
	return false
}

// lookup finds a device by its /devices id or its callingDeviceId and
// answers 404 itself; callers hold s.mu and release it when lookup fails.
func (s *Server) lookup(w http.ResponseWriter, r *http.Request) *device {
	d := s.org.devices[r.PathValue("id")]
	if d == nil {
		s.mu.Unlock()
		s.fail(w, http.StatusNotFound, 0, "Device not found.")
	}
	return d
}

func (s *Server) getDevice(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	d := s.lookup(w, r)
	if d == nil {
		return
	}
	out := s.deviceJSON(d)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) deleteDevice(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	d := s.lookup(w, r)
	if d == nil {
		return
	}
	s.removeDevice(d)
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) getTelephonyDevice(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	d := s.lookup(w, r)
	if d == nil {
		return
	}
	ow := d.owner
	out := webex.TelephonyDevice{
		ID: d.callingID, MAC: d.mac, Model: d.model.Model,
		Manufacturer: d.model.Manufacturer, ManagedBy: d.model.ManagedBy,
		Owner: webex.DeviceOwner{
			ID: ow.id, Type: ownerType(ow), FirstName: ow.first, LastName: ow.last,
			SIPUserName: d.sipUser, LinePort: ow.linePort(),
		},
		Proxy: webex.DeviceProxy{OutboundProxy: s.proxy},
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

func ownerType(ow *owner) string {
	if ow.kind == webex.MemberPlace {
		return "PLACE"
	}
	return "PEOPLE"
}

// putTelephonyDevice serves T2: it sets the SIP password of a third-party device.
func (s *Server) putTelephonyDevice(w http.ResponseWriter, r *http.Request) {
	var req webex.SIPPasswordRequest
	if !s.decodeBody(w, r, &req) {
		return
	}
	ok := s.updateDevice(w, r, func(d *device) (func(), string) {
		switch {
		case d.model.Manufacturer != "THIRD_PARTY":
			return nil, fmt.Sprintf("sipPassword applies to third-party devices only; %s is not one.", d.model.Model)
		case req.SIPPassword == "":
			return nil, "sipPassword is required."
		}
		if msg := s.checkPassword(req.SIPPassword, d.sipUser, d.owner); msg != "" {
			return nil, "Invalid sipPassword: " + msg + "."
		}
		return func() { d.password = req.SIPPassword }, ""
	})
	if !ok || s.commitFault(w) {
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// updateDevice runs a write on the device named by the path: check runs
// under the lock and returns the change to make, or why the request is bad
// (400). The device is then held for the request's latency; another write to
// it meanwhile gets 423 with Retry-After. The change is applied unless the
// device was deleted (404) or the request cancelled meanwhile. It reports
// whether the change was applied; otherwise it has answered.
func (s *Server) updateDevice(w http.ResponseWriter, r *http.Request, check func(*device) (apply func(), msg string)) bool {
	s.mu.Lock()
	o := s.org
	d := s.lookup(w, r)
	if d == nil {
		return false
	}
	apply, msg := check(d)
	if msg != "" {
		s.mu.Unlock()
		s.fail(w, http.StatusBadRequest, 0, "%s", msg)
		return false
	}
	if o.busy[d] {
		s.mu.Unlock()
		w.Header().Set("Retry-After", "1")
		s.fail(w, http.StatusLocked, 0, "Device %s is being updated by another request; retry when it completes.", d.mac)
		return false
	}
	o.busy[d] = true
	hook := s.hooks.inUpdate
	s.mu.Unlock()

	if hook != nil {
		hook(d.id)
	}
	proceed := wait(r)

	s.mu.Lock()
	delete(o.busy, d)
	if !proceed {
		s.mu.Unlock()
		return false
	}
	if o.devices[d.id] != d {
		s.mu.Unlock()
		s.fail(w, http.StatusNotFound, 0, "Device not found.")
		return false
	}
	apply()
	s.mu.Unlock()
	return true
}

// checkPassword applies the published policy and the configured rules; it
// returns what is wrong, or "". The message never quotes the password.
func (s *Server) checkPassword(pw, sipUser string, ow *owner) string {
	var upper, lower, digit, special bool
	for _, c := range pw {
		switch {
		case unicode.IsUpper(c):
			upper = true
		case unicode.IsLower(c):
			lower = true
		case unicode.IsDigit(c):
			digit = true
		case unicode.IsSpace(c) || !unicode.IsPrint(c):
			return "it must not contain spaces or control characters"
		default:
			special = true
		}
	}
	switch {
	case len([]rune(pw)) < 8:
		return "it must be at least 8 characters long"
	case !upper || !lower || !digit || !special:
		return "it must contain upper-case and lower-case letters, digits and special characters"
	}
	for _, rule := range s.rules {
		switch rule {
		case RuleNoSIPUserName:
			if sipUser != "" && strings.Contains(strings.ToLower(pw), strings.ToLower(sipUser)) {
				return "it must not contain the device's SIP user name"
			}
		case RuleNoExtension:
			if ow != nil && ow.ext != "" && strings.Contains(pw, ow.ext) {
				return "it must not contain the owner's extension"
			}
		}
	}
	return ""
}

func (s *Server) getMembers(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	d := s.lookup(w, r)
	if d == nil {
		return
	}
	out := webex.Members{Model: d.model.Model, MaxLineCount: d.maxLineCount(), Members: make([]webex.Member, 0, len(d.members))}
	for _, m := range d.members {
		ow := m.owner
		out.Members = append(out.Members, webex.Member{
			ID: ow.id, Port: m.port, PrimaryOwner: m.primary, LineType: m.lineType, LineWeight: m.weight,
			LinePort: ow.linePort(), MemberType: ow.kind, FirstName: ow.first, LastName: ow.last,
			Extension: ow.ext, PhoneNumber: ow.phone, HotlineEnabled: m.hotline, HotlineDestination: m.hotlineDest,
			AllowCallDeclineEnabled: m.allowDecline, LineLabel: m.label, T38FaxCompressionEnabled: m.t38,
			Location: &webex.MemberLocation{ID: ow.loc.id, Name: ow.loc.name},
		})
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

// putMembers serves T4: the list replaces the device's members after every
// rule passes (ports, weights, primary owner, labels, hotline).
func (s *Server) putMembers(w http.ResponseWriter, r *http.Request) {
	var req webex.PutMembersRequest
	if !s.decodeBody(w, r, &req) {
		return
	}
	ok := s.updateDevice(w, r, func(d *device) (func(), string) {
		members, msg := s.checkMembers(d, req.Members)
		if msg != "" {
			return nil, msg
		}
		return func() { d.members = members }, ""
	})
	if !ok || s.commitFault(w) {
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// checkMembers validates a T4 list against d; callers hold s.mu.
func (s *Server) checkMembers(d *device, in []webex.MemberPut) ([]member, string) {
	if in == nil {
		return nil, "members is required"
	}
	maxPorts := d.maxLineCount()
	taken := make([]int, maxPorts+2) // 1 + index of the member holding each port
	var out []member
	primaries := 0
	for i, mp := range in {
		ow := s.org.owners[mp.ID]
		if ow == nil {
			return nil, fmt.Sprintf("members[%d]: member %s not found", i, mp.ID)
		}
		weight := mp.LineWeight
		if weight == 0 {
			weight = 1
		}
		switch {
		case weight < 0:
			return nil, fmt.Sprintf("members[%d]: lineWeight %d must be at least 1", i, mp.LineWeight)
		case mp.Port < 1 || mp.Port > maxPorts:
			return nil, fmt.Sprintf("members[%d]: port %d is outside 1..%d for model %s", i, mp.Port, maxPorts, d.model.Model)
		case weight > 1 && !mp.PrimaryOwner:
			return nil, fmt.Sprintf("members[%d]: only the primary owner may have a lineWeight above 1", i)
		case mp.Port+weight-1 > maxPorts:
			return nil, fmt.Sprintf("members[%d]: port %d with lineWeight %d runs past port %d", i, mp.Port, weight, maxPorts)
		case mp.LineType != webex.LinePrimary && mp.LineType != webex.LineShared:
			return nil, fmt.Sprintf("members[%d]: lineType %q: expected %s or %s", i, mp.LineType, webex.LinePrimary, webex.LineShared)
		case mp.LineLabel != "" && !d.model.CustomizableLineLabelEnabled:
			return nil, fmt.Sprintf("members[%d]: lineLabel is not customizable on model %s", i, d.model.Model)
		case mp.HotlineEnabled && mp.HotlineDestination == "":
			return nil, fmt.Sprintf("members[%d]: hotlineDestination is required when hotlineEnabled is true", i)
		case mp.T38FaxCompressionEnabled != nil && d.model.Type != "ATA":
			return nil, fmt.Sprintf("members[%d]: t38FaxCompressionEnabled is available only for ATA devices; %s is %s", i, d.model.Model, d.model.Type)
		}
		if mp.PrimaryOwner {
			if ow != d.owner {
				return nil, fmt.Sprintf("members[%d]: only the device's owner can be its primary owner", i)
			}
			primaries++
		}
		for p := mp.Port; p < mp.Port+weight; p++ {
			if taken[p] != 0 {
				return nil, fmt.Sprintf("members[%d]: port %d is already taken by members[%d]", i, p, taken[p]-1)
			}
			taken[p] = i + 1
		}
		out = append(out, member{
			owner: ow, port: mp.Port, weight: weight, primary: mp.PrimaryOwner, lineType: mp.LineType,
			hotline: mp.HotlineEnabled, hotlineDest: mp.HotlineDestination,
			allowDecline: mp.AllowCallDeclineEnabled, label: mp.LineLabel, t38: mp.T38FaxCompressionEnabled,
		})
	}
	if primaries != 1 {
		return nil, "the device's owner must stay on the device as its one primary owner (primaryOwner true)"
	}
	slices.SortFunc(out, func(a, b member) int { return a.port - b.port })
	return out, ""
}

func (s *Server) applyChanges(w http.ResponseWriter, r *http.Request) {
	ok := s.updateDevice(w, r, func(d *device) (func(), string) {
		if !d.model.SupportsApplyChangesEnabled {
			return nil, fmt.Sprintf("Apply changes is not supported for model %s.", d.model.Model)
		}
		return func() { d.applied++ }, ""
	})
	if ok {
		w.WriteHeader(http.StatusNoContent)
	}
}

func (s *Server) generatePassword(w http.ResponseWriter, r *http.Request) {
	var req webex.GeneratePasswordRequest
	if !s.decodeBody(w, r, &req) {
		return
	}
	if !slices.Contains(req.Generate, "sip") {
		s.fail(w, http.StatusBadRequest, 0, `generate must include "sip".`)
		return
	}
	l := s.location(w, r)
	if l == nil {
		return
	}
	writeJSON(w, http.StatusOK, webex.GeneratePasswordResponse{ExampleSIPPassword: GeneratePassword()})
}

// GeneratePassword returns a random 16-character SIP password meeting the
// policy: four blocks, each a shuffle of one upper-case letter, one
// lower-case letter, one digit and one special character. No three digits
// and no seven letters or digits follow each other, so it can contain
// neither an extension nor a ten-character SIP user name.
func GeneratePassword() string {
	classes := []string{"ABCDEFGHJKLMNPQRSTUVWXYZ", "abcdefghijkmnopqrstuvwxyz", "23456789", "!#%*+-=?@^_~"}
	pick := func(n int) int {
		v, _ := rand.Int(rand.Reader, big.NewInt(int64(n)))
		return int(v.Int64())
	}
	var b []byte
	for range 4 {
		order := []int{0, 1, 2, 3}
		for i := len(order) - 1; i > 0; i-- {
			j := pick(i + 1)
			order[i], order[j] = order[j], order[i]
		}
		for _, c := range order {
			b = append(b, classes[c][pick(len(classes[c]))])
		}
	}
	return string(b)
}
