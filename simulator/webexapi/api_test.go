package webexapi

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/cutover-dev/cutover/webex"
)

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func checkID(t *testing.T, what, id, wantType string) {
	t.Helper()
	typ, uuid, ok := DecodeID(id)
	if !ok || typ != wantType || !uuidRE.MatchString(uuid) {
		t.Errorf("%s id %q decodes to (%q, %q, %v), want type %s and a UUID", what, id, typ, uuid, ok, wantType)
	}
}

func TestIDFormat(t *testing.T) {
	h := newHarness(t)
	p := h.person(ada)
	checkID(t, "person", p.ID, "PEOPLE")
	checkID(t, "location", p.LocationID, "LOCATION")
	checkID(t, "org", p.OrgID, "ORGANIZATION")
	checkID(t, "workspace", h.workspace("Lobby").ID, "PLACES")
	d := h.create("0004F2A1B2C3", "Yealink T57W Partner Managed", ada)
	checkID(t, "device", d.ID, "DEVICE")
	checkID(t, "calling device", d.CallingDeviceID, "CALLING_DEVICE")
	if _, u1, _ := DecodeID(d.ID); true {
		if _, u2, _ := DecodeID(d.CallingDeviceID); u1 != u2 {
			t.Errorf("device and calling device UUIDs differ: %s %s", u1, u2)
		}
	}
	if want := "ciscospark://us/PEOPLE/"; !strings.HasPrefix(mustDecode(t, p.ID), want) {
		t.Errorf("person id does not encode %s...", want)
	}
}

func mustDecode(t *testing.T, id string) string {
	t.Helper()
	typ, uuid, ok := DecodeID(id)
	if !ok {
		t.Fatalf("id %q does not decode", id)
	}
	return "ciscospark://us/" + typ + "/" + uuid
}

func TestLookups(t *testing.T) {
	h := newHarness(t)
	p := h.person(ada)
	if p.Extension != "1001" || p.DisplayName != "Ada Lovelace" || len(p.PhoneNumbers) != 1 || p.Emails[0] != ada {
		t.Errorf("person = %+v", p)
	}
	// Without callingData the calling fields are left out, as in Webex.
	r := h.call("GET", "/v1/people?email="+strings.ToUpper(ada), nil)
	h.expect(r, 200)
	var l webex.ListResponse[webex.Person]
	r.decode(t, &l)
	if len(l.Items) != 1 || l.Items[0].Extension != "" || l.Items[0].LocationID != "" {
		t.Errorf("people without callingData = %+v", l.Items)
	}
	r = h.call("GET", "/v1/people?email=nobody@acme.example", nil)
	h.expect(r, 200)
	r.decode(t, &l)
	if len(l.Items) != 0 {
		t.Errorf("unknown e-mail found %+v", l.Items)
	}
	r = h.call("GET", "/v1/people?id="+p.ID+",bogus", nil)
	h.expect(r, 200)
	r.decode(t, &l)
	if len(l.Items) != 1 || len(l.NotFoundIDs) != 1 || l.NotFoundIDs[0] != "bogus" {
		t.Errorf("people by id = %+v", l)
	}
	// Webex takes at most 85 IDs in one call.
	r = h.call("GET", "/v1/people?id="+strings.Repeat(p.ID+",", webex.MaxPeopleIDs)+p.ID, nil)
	h.expect(r, 400)

	ws := h.workspace("lobby")
	if ws.DisplayName != "Lobby" || ws.Calling == nil || ws.Calling.Type != "webexCalling" {
		t.Errorf("workspace = %+v", ws)
	}

	r = h.call("GET", "/v1/locations?name=quarters", nil)
	h.expect(r, 200)
	var locs webex.ListResponse[webex.Location]
	r.decode(t, &locs)
	if len(locs.Items) != 1 || locs.Items[0].Name != "Headquarters" || locs.Items[0].ID != p.LocationID {
		t.Fatalf("locations = %+v", locs.Items)
	}
	r = h.call("GET", "/v1/telephony/config/locations/"+p.LocationID, nil)
	h.expect(r, 200)
	var lc webex.LocationCalling
	r.decode(t, &lc)
	if lc.DefaultDomain != "headquarters.sip.example.test" || lc.Name != "Headquarters" {
		t.Errorf("calling location = %+v", lc)
	}
	h.expect(h.call("GET", "/v1/telephony/config/locations/nope", nil), 404)
}

func TestSupportedDevices(t *testing.T) {
	h := newHarness(t)
	r := h.call("GET", "/v1/telephony/config/supportedDevices", nil)
	h.expect(r, 200)
	var sd webex.SupportedDevicesResponse
	r.decode(t, &sd)
	byModel := map[string]webex.SupportedDevice{}
	for _, d := range sd.Devices {
		byModel[d.Model] = d
	}
	want := map[string]int{
		"Yealink T54W Partner Managed": 16, "Yealink T57W Partner Managed": 16, "Yealink T46U Partner Managed": 16, "Polycom VVX450 Partner Managed": 12, "Poly Edge E350 Partner Managed": 8,
		"Grandstream GRP2614 Customer Managed": 4, "AudioCodes MP-114 Partner Managed": 4, "AudioCodes MP-118 Partner Managed": 8, "AudioCodes MP-1288 Partner Managed": 288,
		"Generic IPPhone Customer Managed": 10,
	}
	for m, ports := range want {
		d, ok := byModel[m]
		if !ok {
			t.Errorf("model %s missing", m)
			continue
		}
		// managedBy varies on purpose (CUSTOMER for "... Customer Managed").
		wantBy := "PARTNER"
		if strings.HasSuffix(m, "Customer Managed") {
			wantBy = "CUSTOMER"
		}
		if d.NumberOfLinePorts != ports || d.ManagedBy != wantBy || d.Manufacturer != "THIRD_PARTY" {
			t.Errorf("model %s = %+v", m, d)
		}
		wantType := "GENERIC_SIP"
		if strings.HasPrefix(m, "AudioCodes") {
			wantType = "ATA"
		}
		if d.Type != wantType {
			t.Errorf("model %s type %s, want %s", m, d.Type, wantType)
		}
	}
	r = h.call("GET", "/v1/telephony/config/supportedDevices?type=ATA", nil)
	r.decode(t, &sd)
	for _, d := range sd.Devices {
		if d.Type != "ATA" {
			t.Errorf("type=ATA returned %s (%s)", d.Model, d.Type)
		}
	}
	if len(sd.Devices) < 3 {
		t.Errorf("type=ATA returned %d models", len(sd.Devices))
	}
}

func TestCreateDevice(t *testing.T) {
	h := newHarness(t)
	p := h.person(ada)
	ws := h.workspace("Lobby")
	d := h.create("00:04:f2:a1:b2:c3", "Yealink T57W Partner Managed", ada)
	if d.MAC != "0004F2A1B2C3" || d.PersonID != p.ID || d.Product != "Yealink T57W Partner Managed" || d.ManagedBy != "PARTNER" ||
		d.OrgID != h.s.OrgID() || d.Created.IsZero() || d.ConnectionStatus == "" {
		t.Errorf("device = %+v", d)
	}
	tests := []struct {
		name   string
		req    webex.CreateDeviceRequest
		status int
		msg    string
	}{
		{"bad mac", webex.CreateDeviceRequest{MAC: "0004F2A1B2", Model: "Yealink T57W Partner Managed", PersonID: p.ID, Password: goodPassword}, 400, "MAC"},
		{"non-hex mac", webex.CreateDeviceRequest{MAC: "0004F2A1B2GG", Model: "Yealink T57W Partner Managed", PersonID: p.ID, Password: goodPassword}, 400, "MAC"},
		{"both owners", webex.CreateDeviceRequest{MAC: "0004F2000001", Model: "Yealink T57W Partner Managed", PersonID: p.ID, WorkspaceID: ws.ID, Password: goodPassword}, 400, "Exactly one"},
		{"no owner", webex.CreateDeviceRequest{MAC: "0004F2000001", Model: "Yealink T57W Partner Managed", Password: goodPassword}, 400, "Exactly one"},
		{"unknown model", webex.CreateDeviceRequest{MAC: "0004F2000001", Model: "Yealink T99", PersonID: p.ID, Password: goodPassword}, 400, "model"},
		{"unknown person", webex.CreateDeviceRequest{MAC: "0004F2000001", Model: "Yealink T57W Partner Managed", PersonID: EncodeID("PEOPLE", "nobody"), Password: goodPassword}, 404, "not found"},
		{"workspace as person", webex.CreateDeviceRequest{MAC: "0004F2000001", Model: "Yealink T57W Partner Managed", PersonID: ws.ID, Password: goodPassword}, 404, "not found"},
		{"no password", webex.CreateDeviceRequest{MAC: "0004F2000001", Model: "Yealink T57W Partner Managed", PersonID: p.ID}, 400, "password is required"},
		{"short password", webex.CreateDeviceRequest{MAC: "0004F2000001", Model: "Yealink T57W Partner Managed", PersonID: p.ID, Password: "Ab1!x"}, 400, "8 characters"},
		{"no special", webex.CreateDeviceRequest{MAC: "0004F2000001", Model: "Yealink T57W Partner Managed", PersonID: p.ID, Password: "Abcdefg123"}, 400, "special"},
		{"no upper", webex.CreateDeviceRequest{MAC: "0004F2000001", Model: "Yealink T57W Partner Managed", PersonID: p.ID, Password: "abcdefg12!"}, 400, "upper-case"},
		{"extension", webex.CreateDeviceRequest{MAC: "0004F2000001", Model: "Yealink T57W Partner Managed", PersonID: p.ID, Password: "Secret1001!"}, 400, "extension"},
		{"mac in use", webex.CreateDeviceRequest{MAC: "0004-f2a1-b2c3", Model: "Polycom VVX450 Partner Managed", PersonID: p.ID, Password: goodPassword}, 409, "5675"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := h.call("POST", "/v1/devices", tc.req)
			h.expect(r, tc.status)
			e := r.errorBody(t)
			if !strings.Contains(e.Message, tc.msg) || e.TrackingID == "" || len(e.Errors) != 1 {
				t.Errorf("error body %+v, want a message containing %q and a tracking id", e, tc.msg)
			}
			if strings.Contains(string(r.body), tc.req.Password) && tc.req.Password != "" {
				t.Errorf("error body quotes the password: %s", r.body)
			}
		})
	}
	r := h.call("POST", "/v1/devices", webex.CreateDeviceRequest{MAC: "0004F2A1B2C3", Model: "Yealink T57W Partner Managed", PersonID: p.ID, Password: goodPassword})
	if e := r.errorBody(t); len(e.Errors) != 1 || e.Errors[0].ErrorCode != 5675 {
		t.Errorf("mac in use: errors = %+v, want errorCode 5675", e.Errors)
	}
	// A Cisco device takes no password.
	r = h.call("POST", "/v1/devices", webex.CreateDeviceRequest{MAC: "0004F2000002", Model: "DMS Cisco 8851", WorkspaceID: ws.ID})
	h.expect(r, 200)
	var cd webex.Device
	r.decode(t, &cd)
	if cd.WorkspaceID != ws.ID || cd.PersonID != "" || cd.ManagedBy != "CISCO" {
		t.Errorf("cisco device = %+v", cd)
	}
	if got := h.s.Snapshot().Counts.Devices; got != 2 {
		t.Errorf("devices = %d, want 2", got)
	}
}

func TestCreateOneAtATimePerOwner(t *testing.T) {
	h := newHarness(t)
	p := h.person(ada)
	g := newGate(t)
	h.s.mu.Lock()
	h.s.hooks.inCreate = func(mac string) {
		if mac == "0004F2000001" {
			g.hold()
		}
	}
	h.s.mu.Unlock()
	first := make(chan reply)
	go func() {
		r, _ := h.try(h.token, "POST", "/v1/devices", webex.CreateDeviceRequest{MAC: "0004F2000001", Model: "Yealink T57W Partner Managed", PersonID: p.ID, Password: goodPassword})
		first <- r
	}()
	<-g.entered
	// Same owner, different MAC, while the first create is in flight.
	r := h.call("POST", "/v1/devices", webex.CreateDeviceRequest{MAC: "0004F2000002", Model: "Yealink T57W Partner Managed", PersonID: p.ID, Password: goodPassword})
	h.expect(r, http.StatusConflict)
	// Another owner, the first create's MAC: the MAC is held too.
	q := h.person(alan)
	r = h.call("POST", "/v1/devices", webex.CreateDeviceRequest{MAC: "0004F2000001", Model: "Yealink T57W Partner Managed", PersonID: q.ID, Password: goodPassword})
	h.expect(r, http.StatusConflict)
	// Another owner, another MAC: fine.
	h.expect(h.call("POST", "/v1/devices", webex.CreateDeviceRequest{MAC: "0004F2000003", Model: "Yealink T57W Partner Managed", PersonID: q.ID, Password: goodPassword}), 200)
	g.open()
	h.expect(<-first, 200)
	// Once the first is stored, the owner takes a second device.
	h.expect(h.call("POST", "/v1/devices", webex.CreateDeviceRequest{MAC: "0004F2000002", Model: "Yealink T57W Partner Managed", PersonID: p.ID, Password: goodPassword}), 200)
}

func TestValidateMACs(t *testing.T) {
	h := newHarness(t)
	h.create("0004F2A1B2C3", "Yealink T57W Partner Managed", ada)
	r := h.call("POST", "/v1/telephony/config/devices/actions/validateMacs/invoke",
		webex.ValidateMACsRequest{MACs: []string{"0004F2A1B2C3", "0004F2000001", "0004F2000001", "XYZ"}})
	h.expect(r, 200)
	var v webex.ValidateMACsResponse
	r.decode(t, &v)
	want := []string{webex.MACUnavailable, webex.MACAvailable, webex.MACDuplicateInList, webex.MACInvalid}
	if v.Status != "ERRORS" || len(v.MACStatus) != len(want) {
		t.Fatalf("validateMacs = %+v", v)
	}
	for i, st := range v.MACStatus {
		if st.State != want[i] {
			t.Errorf("macStatus[%d] = %+v, want %s", i, st, want[i])
		}
	}
	// Webex's codes and message form: 5675 in use, 5676 duplicated in the
	// list (the first copy stays AVAILABLE), 25220 invalid.
	for i, code := range []int{5675, 0, 5676, 25220} {
		st := v.MACStatus[i]
		if st.ErrorCode != code || (code != 0 && !strings.HasPrefix(st.Message, fmt.Sprintf("[Error %d] ", code))) {
			t.Errorf("macStatus[%d] = %+v, want errorCode %d", i, st, code)
		}
	}
	r = h.call("POST", "/v1/telephony/config/devices/actions/validateMacs/invoke", webex.ValidateMACsRequest{MACs: []string{"0004F2000009"}})
	r.decode(t, &v)
	if v.Status != "OK" {
		t.Errorf("all available: status %s", v.Status)
	}
	macs := make([]string, 101)
	for i := range macs {
		macs[i] = fmt.Sprintf("0004F2%06X", i)
	}
	h.expect(h.call("POST", "/v1/telephony/config/devices/actions/validateMacs/invoke", webex.ValidateMACsRequest{MACs: macs}), 400)
}

func TestTelephonyDevice(t *testing.T) {
	h := newHarness(t)
	d := h.create("0004F2A1B2C3", "Yealink T57W Partner Managed", ada)
	for _, id := range []string{d.ID, d.CallingDeviceID} {
		r := h.call("GET", "/v1/telephony/config/devices/"+id, nil)
		h.expect(r, 200)
		var td webex.TelephonyDevice
		r.decode(t, &td)
		if td.MAC != d.MAC || td.Model != "Yealink T57W Partner Managed" || td.Manufacturer != "THIRD_PARTY" || td.ManagedBy != "PARTNER" ||
			!regexp.MustCompile(`^[a-z][a-z0-9]{9}@headquarters\.sip\.example\.test$`).MatchString(td.Owner.LinePort) ||
			td.Proxy.OutboundProxy != DefaultOutboundProxy ||
			!regexp.MustCompile(`^[1-9][0-9]{7}$`).MatchString(td.Owner.SIPUserName) || td.Owner.Type != "PEOPLE" {
			t.Errorf("telephony device = %+v", td)
		}
	}
	r := h.call("GET", "/v1/telephony/config/devices/"+d.ID, nil)
	var td webex.TelephonyDevice
	r.decode(t, &td)
	user := td.Owner.SIPUserName

	put := func(pw string) reply {
		return h.call("PUT", "/v1/telephony/config/devices/"+d.CallingDeviceID, webex.SIPPasswordRequest{SIPPassword: pw})
	}
	h.expect(put("weak"), 400)
	h.expect(put("X!"+strings.ToUpper(user[:1])+user[1:]+"9"), 400) // contains the SIP user name (case-insensitive)
	h.expect(put("Zz!1001zz"), 400)                                 // contains the extension
	h.expect(put("New-Secret7"), 204)
	if pw, ok := h.s.DevicePassword(d.ID); !ok || pw != "New-Secret7" {
		t.Errorf("DevicePassword = %q, %v", pw, ok)
	}
	for _, key := range []string{d.CallingDeviceID, d.MAC, user} {
		if _, ok := h.s.DevicePassword(key); !ok {
			t.Errorf("DevicePassword(%s) not found", key)
		}
	}
	creds := h.s.Credentials()
	if len(creds) != 1 || creds[0].SIPUserName != user || creds[0].Password != "New-Secret7" ||
		creds[0].Domain != "headquarters.sip.example.test" || len(creds[0].LinePorts) != 1 {
		t.Errorf("credentials = %+v", creds)
	}
	h.expect(h.call("GET", "/v1/telephony/config/devices/nope", nil), 404)
}

func TestPasswordRulesConfigurable(t *testing.T) {
	h := newHarness(t, WithPasswordRules())
	p := h.person(ada)
	r := h.call("POST", "/v1/devices", webex.CreateDeviceRequest{MAC: "0004F2000001", Model: "Yealink T57W Partner Managed", PersonID: p.ID, Password: "Secret1001!"})
	h.expect(r, 200)
}

func TestMembers(t *testing.T) {
	h := newHarness(t)
	d := h.create("0004F2A1B2C3", "Yealink T57W Partner Managed", ada)
	owner := h.person(ada)
	shared := h.person(ed)
	lobby := h.workspace("Lobby")

	r := h.call("GET", "/v1/telephony/config/devices/"+d.ID+"/members", nil)
	h.expect(r, 200)
	var m webex.Members
	r.decode(t, &m)
	if m.MaxLineCount != 16 || m.Model != "Yealink T57W Partner Managed" || len(m.Members) != 1 {
		t.Fatalf("members = %+v", m)
	}
	first := m.Members[0]
	if first.ID != owner.ID || first.Port != 1 || !first.PrimaryOwner || first.LineType != webex.LinePrimary ||
		first.LineWeight != 1 || first.MemberType != webex.MemberPeople || first.Extension != "1001" ||
		!strings.HasSuffix(first.LinePort, "@headquarters.sip.example.test") || first.Location == nil || first.Location.Name != "Headquarters" {
		t.Errorf("owner member = %+v", first)
	}

	primary := webex.MemberPut{Port: 1, ID: owner.ID, PrimaryOwner: true, LineType: webex.LinePrimary, LineWeight: 2}
	sca := webex.MemberPut{Port: 3, ID: shared.ID, LineType: webex.LineShared, LineWeight: 1, LineLabel: "Edsger"}
	ws := webex.MemberPut{Port: 4, ID: lobby.ID, LineType: webex.LineShared}
	h.expect(h.call("PUT", "/v1/telephony/config/devices/"+d.CallingDeviceID+"/members",
		webex.PutMembersRequest{Members: []webex.MemberPut{ws, sca, primary}}), 204)
	r = h.call("GET", "/v1/telephony/config/devices/"+d.ID+"/members", nil)
	r.decode(t, &m)
	if len(m.Members) != 3 || m.Members[0].LineWeight != 2 || m.Members[1].Port != 3 || m.Members[1].LineLabel != "Edsger" ||
		m.Members[2].MemberType != webex.MemberPlace || !strings.HasSuffix(m.Members[2].LinePort, "@headquarters.sip.example.test") || m.Members[2].LinePort == m.Members[0].LinePort {
		t.Errorf("members after PUT = %+v", m.Members)
	}

	tests := []struct {
		name    string
		members []webex.MemberPut
		msg     string
	}{
		{"port 0", []webex.MemberPut{primary, {Port: 0, ID: shared.ID, LineType: webex.LineShared}}, "outside 1..16"},
		{"port past max", []webex.MemberPut{primary, {Port: 17, ID: shared.ID, LineType: webex.LineShared}}, "outside 1..16"},
		{"weight on a non-primary", []webex.MemberPut{primary, {Port: 3, ID: shared.ID, LineType: webex.LineShared, LineWeight: 2}}, "only the primary owner"},
		{"weight overlaps", []webex.MemberPut{primary, {Port: 2, ID: shared.ID, LineType: webex.LineShared}}, "already taken"},
		{"weight runs past the end", []webex.MemberPut{{Port: 15, ID: owner.ID, PrimaryOwner: true, LineType: webex.LinePrimary, LineWeight: 3}}, "runs past"},
		{"no primary", []webex.MemberPut{{Port: 1, ID: shared.ID, LineType: webex.LineShared}}, "primary owner"},
		{"someone else primary", []webex.MemberPut{{Port: 1, ID: shared.ID, PrimaryOwner: true, LineType: webex.LinePrimary}}, "device's owner"},
		{"unknown member", []webex.MemberPut{primary, {Port: 3, ID: "nobody", LineType: webex.LineShared}}, "not found"},
		{"bad line type", []webex.MemberPut{primary, {Port: 3, ID: shared.ID, LineType: "SECONDARY"}}, "lineType"},
		{"hotline without destination", []webex.MemberPut{primary, {Port: 3, ID: shared.ID, LineType: webex.LineShared, HotlineEnabled: true}}, "hotlineDestination"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := h.call("PUT", "/v1/telephony/config/devices/"+d.ID+"/members", webex.PutMembersRequest{Members: tc.members})
			h.expect(r, 400)
			if e := r.errorBody(t); !strings.Contains(e.Message, tc.msg) {
				t.Errorf("message %q, want it to contain %q", e.Message, tc.msg)
			}
		})
	}
	// A refused PUT leaves the members as they were.
	r = h.call("GET", "/v1/telephony/config/devices/"+d.ID+"/members", nil)
	r.decode(t, &m)
	if len(m.Members) != 3 {
		t.Errorf("members after refused PUTs = %d, want 3", len(m.Members))
	}
}

func TestMemberLimitsPerModel(t *testing.T) {
	h := newHarness(t)
	owner := h.person(ada)
	primary := webex.MemberPut{Port: 1, ID: owner.ID, PrimaryOwner: true, LineType: webex.LinePrimary}
	other := h.person(ed)
	tests := []struct {
		model    string
		maxLines int
		label    bool
	}{
		{"2N Customer Managed", 20, false},
		{"AudioCodes MP-1288 Partner Managed", 100, false},
		{"AudioCodes MP-118 Partner Managed", 8, false},
		{"Grandstream GRP2614 Customer Managed", 4, false},
		{"Yealink T54W Partner Managed", 16, true},
	}
	for i, tc := range tests {
		t.Run(tc.model, func(t *testing.T) {
			d := h.create(fmt.Sprintf("0004F21000%02X", i), tc.model, ada)
			var m webex.Members
			h.call("GET", "/v1/telephony/config/devices/"+d.ID+"/members", nil).decode(t, &m)
			if m.MaxLineCount != tc.maxLines {
				t.Errorf("maxLineCount = %d, want %d", m.MaxLineCount, tc.maxLines)
			}
			path := "/v1/telephony/config/devices/" + d.ID + "/members"
			last := webex.MemberPut{Port: tc.maxLines, ID: other.ID, LineType: webex.LineShared}
			h.expect(h.call("PUT", path, webex.PutMembersRequest{Members: []webex.MemberPut{primary, last}}), 204)
			last.Port++
			h.expect(h.call("PUT", path, webex.PutMembersRequest{Members: []webex.MemberPut{primary, last}}), 400)
			labelled := webex.MemberPut{Port: 2, ID: other.ID, LineType: webex.LineShared, LineLabel: "Front desk"}
			want := 400
			if tc.label {
				want = 204
			}
			h.expect(h.call("PUT", path, webex.PutMembersRequest{Members: []webex.MemberPut{primary, labelled}}), want)
		})
	}
	_ = primary
}

func TestApplyChanges(t *testing.T) {
	h := newHarness(t)
	yea := h.create("0004F2000001", "Yealink T57W Partner Managed", ada)
	gs := h.create("000B82000001", "Grandstream GRP2614 Customer Managed", alan)
	h.expect(h.call("POST", "/v1/telephony/config/devices/"+yea.CallingDeviceID+"/actions/applyChanges/invoke", nil), 204)
	r := h.call("POST", "/v1/telephony/config/devices/"+gs.ID+"/actions/applyChanges/invoke", nil)
	h.expect(r, 400)
	if e := r.errorBody(t); !strings.Contains(e.Message, "not supported") {
		t.Errorf("message %q", e.Message)
	}
	if st := h.s.Snapshot(); st.Devices[0].AppliedChanges != 1 || st.Devices[1].AppliedChanges != 0 {
		t.Errorf("applied = %d, %d", st.Devices[0].AppliedChanges, st.Devices[1].AppliedChanges)
	}
}

func TestGeneratePassword(t *testing.T) {
	h := newHarness(t)
	d := h.create("0004F2000001", "Yealink T57W Partner Managed", ada)
	p := h.person(ada)
	path := "/v1/telephony/config/locations/" + p.LocationID + "/actions/generatePassword/invoke"
	seen := map[string]bool{}
	for range 50 {
		r := h.call("POST", path, webex.GeneratePasswordRequest{Generate: []string{"sip"}})
		h.expect(r, 200)
		var g webex.GeneratePasswordResponse
		r.decode(t, &g)
		if seen[g.ExampleSIPPassword] {
			t.Fatalf("password repeated")
		}
		seen[g.ExampleSIPPassword] = true
		// Every generated password passes the emulator's own policy.
		h.expect(h.call("PUT", "/v1/telephony/config/devices/"+d.ID, webex.SIPPasswordRequest{SIPPassword: g.ExampleSIPPassword}), 204)
	}
	h.expect(h.call("POST", path, webex.GeneratePasswordRequest{Generate: []string{"web"}}), 400)
	h.expect(h.call("POST", "/v1/telephony/config/locations/nope/actions/generatePassword/invoke", webex.GeneratePasswordRequest{Generate: []string{"sip"}}), 404)
}

func TestListAndDeleteDevices(t *testing.T) {
	h := newHarness(t)
	a := h.create("0004F2000001", "Yealink T57W Partner Managed", ada)
	b := h.create("0004F2000002", "Polycom VVX450 Partner Managed", alan)
	var l webex.ListResponse[webex.Device]
	h.call("GET", "/v1/devices?mac=00:04:f2:00:00:02", nil).decode(t, &l)
	if len(l.Items) != 1 || l.Items[0].ID != b.ID {
		t.Errorf("by mac = %+v", l.Items)
	}
	h.call("GET", "/v1/devices?personId="+a.PersonID, nil).decode(t, &l)
	if len(l.Items) != 1 || l.Items[0].ID != a.ID {
		t.Errorf("by person = %+v", l.Items)
	}
	h.call("GET", "/v1/devices?product=Polycom%20VVX450%20Partner%20Managed", nil).decode(t, &l)
	if len(l.Items) != 1 || l.Items[0].ID != b.ID {
		t.Errorf("by product = %+v", l.Items)
	}
	h.call("GET", "/v1/devices?mac=0004F2FFFFFF", nil).decode(t, &l)
	if len(l.Items) != 0 {
		t.Errorf("unknown mac = %+v", l.Items)
	}
	var got webex.Device
	h.call("GET", "/v1/devices/"+a.ID, nil).decode(t, &got)
	if got.ID != a.ID || got.MAC != a.MAC {
		t.Errorf("get = %+v", got)
	}
	h.expect(h.call("DELETE", "/v1/devices/"+a.ID, nil), 204)
	h.expect(h.call("GET", "/v1/devices/"+a.ID, nil), 404)
	h.expect(h.call("GET", "/v1/telephony/config/devices/"+a.CallingDeviceID, nil), 404)
	h.expect(h.call("DELETE", "/v1/devices/"+a.ID, nil), 404)
	// The MAC is free again.
	h.create("0004F2000001", "Yealink T57W Partner Managed", ada)
}

func TestPaging(t *testing.T) {
	seed := DefaultSeed()
	for i := range 250 {
		seed.People = append(seed.People, SeedPerson{Email: fmt.Sprintf("user%03d@acme.example", i), Extension: fmt.Sprintf("%d", 6000+i)})
	}
	h := newHarness(t, WithSeed(seed))
	total := len(seed.People)

	walk := func(path string) (ids []string, pages int) {
		t.Helper()
		next := path
		for next != "" {
			r := h.call("GET", next, nil)
			h.expect(r, 200)
			var l webex.ListResponse[webex.Person]
			r.decode(t, &l)
			for _, p := range l.Items {
				ids = append(ids, p.ID)
			}
			pages++
			next = ""
			if link := r.header.Get("Link"); link != "" {
				m := regexp.MustCompile(`^<([^>]+)>; rel="next"$`).FindStringSubmatch(link)
				if m == nil {
					t.Fatalf("Link %q is not RFC 5988 rel=next", link)
				}
				next = m[1]
			}
			if pages > 1000 {
				t.Fatal("paging does not end")
			}
		}
		return ids, pages
	}
	ids, pages := walk("/v1/people?max=40")
	if len(ids) != total || pages != (total+39)/40 {
		t.Errorf("walked %d people in %d pages, want %d in %d", len(ids), pages, total, (total+39)/40)
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			t.Fatalf("person %s twice", id)
		}
		seen[id] = true
	}
	// callingData=true caps a page at 100.
	r := h.call("GET", "/v1/people?callingData=true&max=500", nil)
	var l webex.ListResponse[webex.Person]
	r.decode(t, &l)
	if len(l.Items) != 100 || r.header.Get("Link") == "" {
		t.Errorf("callingData page = %d items, Link %q; want 100 and a next link", len(l.Items), r.header.Get("Link"))
	}
	if ids, _ := walk("/v1/people?callingData=true&max=500"); len(ids) != total {
		t.Errorf("callingData walk = %d, want %d", len(ids), total)
	}
	h.expect(h.call("GET", "/v1/people?max=0", nil), 400)
	h.expect(h.call("GET", "/v1/devices?start=-1", nil), 400)

	// Devices page too, with start as an offset.
	for i := range 7 {
		h.create(fmt.Sprintf("0004F20000%02X", i), "Yealink T57W Partner Managed", fmt.Sprintf("user%03d@acme.example", i))
	}
	var dl webex.ListResponse[webex.Device]
	r = h.call("GET", "/v1/devices?max=3&start=6", nil)
	r.decode(t, &dl)
	if len(dl.Items) != 1 || r.header.Get("Link") != "" {
		t.Errorf("last device page = %d items, Link %q", len(dl.Items), r.header.Get("Link"))
	}
	r = h.call("GET", "/v1/devices?max=3", nil)
	if !strings.Contains(r.header.Get("Link"), "start=3") {
		t.Errorf("device Link %q", r.header.Get("Link"))
	}
}

func TestTrackingID(t *testing.T) {
	h := newHarness(t)
	req, _ := http.NewRequest("GET", h.ts.URL+"/v1/devices/nope", nil)
	req.Header.Set("Authorization", "Bearer "+h.token)
	req.Header.Set("TrackingID", "CUTOVER_test_1")
	resp, err := h.ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Trackingid") != "CUTOVER_test_1" {
		t.Errorf("Trackingid = %q, want the client's", resp.Header.Get("Trackingid"))
	}
	r := h.call("GET", "/v1/devices/nope", nil)
	if tid := r.header.Get("Trackingid"); !strings.HasPrefix(tid, "ROUTER_") || r.errorBody(t).TrackingID != tid {
		t.Errorf("generated tracking id %q, body %s", tid, r.body)
	}
	logs := h.s.Requests()
	if len(logs) < 2 || logs[0].TrackingID != "CUTOVER_test_1" || logs[0].Status != 404 || logs[0].Route != "GET /v1/devices/{id}" {
		t.Errorf("request log = %+v", logs)
	}
	h.expect(h.call("GET", "/v1/nothing/here", nil), 404)
}

func TestAdminView(t *testing.T) {
	h := newHarness(t)
	d := h.create("0004F2000001", "Yealink T57W Partner Managed", ada)
	h.expect(h.call("PUT", "/v1/telephony/config/devices/"+d.ID, webex.SIPPasswordRequest{SIPPassword: "Unique-Pw77"}), 204)
	r, err := h.try("", "GET", "/_emulator/state", nil)
	if err != nil {
		t.Fatal(err)
	}
	h.expect(r, 200)
	if strings.Contains(string(r.body), "Unique-Pw77") || strings.Contains(string(r.body), goodPassword) {
		t.Fatalf("state leaks a password: %s", r.body)
	}
	var st State
	r.decode(t, &st)
	if st.Counts.Devices != 1 || !st.Devices[0].PasswordSet || st.Devices[0].MAC != "0004F2000001" || st.Requests.Total == 0 {
		t.Errorf("state = %+v", st)
	}
	r, _ = h.try("", "GET", "/_emulator/requests?limit=2", nil)
	var logs []RequestLog
	r.decode(t, &logs)
	if len(logs) != 2 {
		t.Errorf("requests?limit=2 = %d entries", len(logs))
	}
	r, _ = h.try("", "DELETE", "/_emulator/state", nil)
	h.expect(r, 405)
}

func TestRequestLogLimit(t *testing.T) {
	h := newHarness(t, WithRequestLogLimit(3))
	for _, p := range []string{"/v1/a", "/v1/b", "/v1/c", "/v1/d", "/v1/e"} {
		h.call("GET", p, nil)
	}
	logs := h.s.Requests()
	if len(logs) != 3 || logs[0].Path != "/v1/c" || logs[2].Path != "/v1/e" {
		t.Errorf("kept %+v, want c, d, e", logs)
	}
	if st := h.s.Snapshot(); st.Requests.Total != 5 || st.Requests.ByStatus[404] != 5 {
		t.Errorf("summary = %+v", st.Requests)
	}
}
