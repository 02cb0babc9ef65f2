package webexapi

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// State is a deep copy of the emulator's org for assertions and the admin
// view. It never holds a password, only whether one is set.
type State struct {
	OrgID    string         `json:"orgId"`
	OrgName  string         `json:"orgName"`
	Faults   string         `json:"faults"`
	Counts   Counts         `json:"counts"`
	Devices  []DeviceState  `json:"devices"`
	Requests RequestSummary `json:"requests"`
}

// Counts are the sizes of the org.
type Counts struct {
	Locations  int `json:"locations"`
	People     int `json:"people"`
	Workspaces int `json:"workspaces"`
	Models     int `json:"models"`
	Devices    int `json:"devices"`
	Members    int `json:"members"`
}

// DeviceState is one device as the emulator stores it.
type DeviceState struct {
	ID              string        `json:"id"`
	CallingDeviceID string        `json:"callingDeviceId"`
	MAC             string        `json:"mac"`
	Model           string        `json:"model"`
	OwnerID         string        `json:"ownerId"`
	OwnerType       string        `json:"ownerType"` // PEOPLE or PLACE
	OwnerName       string        `json:"ownerName"`
	SIPUserName     string        `json:"sipUserName"`
	LinePort        string        `json:"linePort"`
	PasswordSet     bool          `json:"passwordSet"`
	AppliedChanges  int           `json:"appliedChanges"`
	Created         time.Time     `json:"created"`
	Members         []MemberState `json:"members"`
	// ConnectionStatus is what GET /devices shows now; FirstSeen is zero
	// until the device first registers.
	ConnectionStatus string    `json:"connectionStatus"`
	FirstSeen        time.Time `json:"firstSeen,omitzero"`
}

// MemberState is one line appearance or port of a device.
type MemberState struct {
	ID           string `json:"id"`
	MemberType   string `json:"memberType"`
	Port         int    `json:"port"`
	LineWeight   int    `json:"lineWeight"`
	PrimaryOwner bool   `json:"primaryOwner"`
	LineType     string `json:"lineType"`
	LinePort     string `json:"linePort"`
	LineLabel    string `json:"lineLabel,omitempty"`
}

// RequestSummary counts every request served since New.
type RequestSummary struct {
	Total    int            `json:"total"`
	ByStatus map[int]int    `json:"byStatus"` // 0 counts dropped connections
	ByRoute  map[string]int `json:"byRoute"`
	ByFault  map[string]int `json:"byFault"`
}

// RequestLog is one request the emulator answered (or dropped).
type RequestLog struct {
	Time       time.Time `json:"time"`
	Method     string    `json:"method"`
	Path       string    `json:"path"`
	Route      string    `json:"route,omitempty"` // the matched pattern, e.g. "POST /v1/devices"
	Status     int       `json:"status"`          // 0 when the connection was dropped
	TrackingID string    `json:"trackingId"`
	Fault      string    `json:"fault,omitempty"` // rate, error, drop, commit-then-fail
	Dropped    bool      `json:"dropped,omitempty"`
}

// Credential is what a registrar needs to authenticate one device.
type Credential struct {
	DeviceID      string   `json:"deviceId"`
	MAC           string   `json:"mac"`
	Model         string   `json:"model"`
	SIPUserName   string   `json:"sipUserName"`
	Password      string   `json:"-"`
	Domain        string   `json:"domain"`    // the owner's location default domain
	LinePorts     []string `json:"linePorts"` // every member's line port, in port order
	OutboundProxy string   `json:"outboundProxy"`
}

// Snapshot returns a deep copy of the org, the faults in force and the
// request counts.
func (s *Server) Snapshot() State {
	st := State{OrgID: s.orgID, OrgName: s.orgName, Faults: s.Faults().String()}
	s.mu.Lock()
	o := s.org
	st.Counts = Counts{
		Locations: len(o.locOrder), People: len(o.people), Workspaces: len(o.workspaces),
		Models: len(o.modelOrder), Devices: len(o.order),
	}
	st.Devices = make([]DeviceState, 0, len(o.order))
	for _, d := range o.order {
		ds := DeviceState{
			ID: d.id, CallingDeviceID: d.callingID, MAC: d.mac, Model: d.model.Model,
			OwnerID: d.owner.id, OwnerType: ownerType(d.owner), OwnerName: d.owner.name,
			SIPUserName: d.sipUser, LinePort: d.owner.linePort(), PasswordSet: d.password != "",
			AppliedChanges: d.applied, Created: d.created,
			Members:          make([]MemberState, 0, len(d.members)),
			ConnectionStatus: d.conn.status(s.now()), FirstSeen: d.conn.firstSeen,
		}
		for _, m := range d.members {
			ds.Members = append(ds.Members, MemberState{
				ID: m.owner.id, MemberType: m.owner.kind, Port: m.port, LineWeight: m.weight,
				PrimaryOwner: m.primary, LineType: m.lineType, LinePort: m.owner.linePort(), LineLabel: m.label,
			})
		}
		st.Counts.Members += len(d.members)
		st.Devices = append(st.Devices, ds)
	}
	s.mu.Unlock()
	s.logMu.Lock()
	st.Requests = RequestSummary{
		Total: s.reqTotal, ByStatus: copyMap(s.byStatus), ByRoute: copyMap(s.byRoute), ByFault: copyMap(s.byFault),
	}
	s.logMu.Unlock()
	return st
}

func copyMap[K comparable](m map[K]int) map[K]int {
	out := make(map[K]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Requests returns the logged requests, oldest first (the last
// WithRequestLogLimit of them).
func (s *Server) Requests() []RequestLog {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	if len(s.reqs) < s.reqCap {
		return append([]RequestLog(nil), s.reqs...)
	}
	out := make([]RequestLog, 0, len(s.reqs))
	out = append(out, s.reqs[s.reqNext:]...)
	return append(out, s.reqs[:s.reqNext]...)
}

func (s *Server) record(l RequestLog) {
	s.logMu.Lock()
	if len(s.reqs) < s.reqCap {
		s.reqs = append(s.reqs, l)
	} else {
		s.reqs[s.reqNext] = l
		s.reqNext = (s.reqNext + 1) % s.reqCap
	}
	s.reqTotal++
	s.byStatus[l.Status]++
	if l.Route != "" {
		s.byRoute[l.Route]++
	}
	if l.Fault != "" {
		s.byFault[l.Fault]++
	}
	s.logMu.Unlock()
	s.log.Debug("webex emulator request", "method", l.Method, "path", l.Path, "status", l.Status,
		"trackingId", l.TrackingID, "fault", l.Fault)
}

// DevicePassword returns the SIP password of a device, found by its /devices
// id, its callingDeviceId, its MAC or its SIP user name; ok is false when
// there is no such device or no password is set.
func (s *Server) DevicePassword(deviceID string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.findDevice(deviceID)
	if d == nil || d.password == "" {
		return "", false
	}
	return d.password, true
}

// findDevice looks a device up by any of its keys; callers hold s.mu.
func (s *Server) findDevice(key string) *device {
	o := s.org
	if d := o.devices[key]; d != nil {
		return d
	}
	if d := o.bySIPUser[key]; d != nil {
		return d
	}
	if mac, ok := normalizeMAC(key); ok {
		return o.byMAC[mac]
	}
	return nil
}

// Credentials returns the registration credentials of every device whose
// SIP password is set, in creation order: the source of an SBC's users.
func (s *Server) Credentials() []Credential {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Credential
	for _, d := range s.org.order {
		if d.password == "" {
			continue
		}
		c := Credential{
			DeviceID: d.id, MAC: d.mac, Model: d.model.Model, SIPUserName: d.sipUser, Password: d.password,
			Domain: d.owner.loc.domain, OutboundProxy: s.proxy,
		}
		for _, m := range d.members {
			c.LinePorts = append(c.LinePorts, m.owner.linePort())
		}
		out = append(out, c)
	}
	return out
}

// serveAdmin serves the admin view: GET /_emulator/state and GET
// /_emulator/requests (?limit=N keeps the newest N), read-only and open; and
// two controls, which need the admin token: POST /_emulator/registrations (a
// Registration as JSON, from an SBC in another process: `cutover emulate
// sbc --webex-control URL`) and POST /_emulator/connection-status
// ({"device": KEY, "status": S}, SetConnectionStatus).
func (s *Server) serveAdmin(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost {
		s.serveControl(w, r)
		return
	}
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", "GET, POST")
		s.fail(w, http.StatusMethodNotAllowed, 0, "The admin view takes GET (state, requests) and POST (registrations, connection-status).")
		return
	}
	switch r.URL.Path {
	case "/_emulator/state":
		writeJSON(w, http.StatusOK, s.Snapshot())
	case "/_emulator/requests":
		reqs := s.Requests()
		if v := r.URL.Query().Get("limit"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				s.fail(w, http.StatusBadRequest, 0, "limit %q: expected a whole number.", v)
				return
			}
			if n < len(reqs) {
				reqs = reqs[len(reqs)-n:]
			}
		}
		writeJSON(w, http.StatusOK, reqs)
	default:
		s.fail(w, http.StatusNotFound, 0, "Unknown admin path %s; try /_emulator/state or /_emulator/requests.", r.URL.Path)
	}
}

// serveControl serves the admin POSTs; see serveAdmin.
func (s *Server) serveControl(w http.ResponseWriter, r *http.Request) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || !equalSecret(tok, s.AdminToken()) {
		s.fail(w, http.StatusUnauthorized, 0, "The emulator's controls need its admin token.")
		return
	}
	switch r.URL.Path {
	case "/_emulator/registrations":
		var reg Registration
		if !s.decodeBody(w, r, &reg) {
			return
		}
		if reg.User == "" || reg.Registrar == "" {
			s.fail(w, http.StatusBadRequest, 0, "A registration needs registrar and user.")
			return
		}
		if !s.ObserveRegistration(reg) {
			s.fail(w, http.StatusNotFound, 0, "No device has SIP user name %q.", reg.User)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	case "/_emulator/connection-status":
		var body struct {
			Device string `json:"device"`
			Status string `json:"status"`
		}
		if !s.decodeBody(w, r, &body) {
			return
		}
		if err := s.SetConnectionStatus(body.Device, body.Status); err != nil {
			s.fail(w, http.StatusBadRequest, 0, "%v.", err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	default:
		s.fail(w, http.StatusNotFound, 0, "Unknown admin control %s; try /_emulator/registrations or /_emulator/connection-status.", r.URL.Path)
	}
}
