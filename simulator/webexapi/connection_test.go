package webexapi

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cutover-dev/cutover/webex"
)

// listed returns the device as GET /devices?mac= shows it.
func (h *harness) listed(mac string) webex.Device {
	h.t.Helper()
	return listOne[webex.Device](h, "/v1/devices?mac="+mac)
}

// A device starts disconnected and never seen; a registration makes it
// connected with firstSeen; it stays connected while any registrar holds a
// live binding (primary down, secondary up), and turns disconnected when
// the last binding is removed or lapses. firstSeen never moves.
func TestConnectionStatusTransitions(t *testing.T) {
	clk := newTestClock()
	h := newHarness(t, WithClock(clk.Now))
	d := h.create("0004F2A1B2C3", "Yealink T57W Partner Managed", ada)
	user := h.s.Snapshot().Devices[0].SIPUserName

	got := h.listed(d.MAC)
	if got.ConnectionStatus != webex.StatusDisconnected || !got.FirstSeen.IsZero() || !got.LastSeen.IsZero() {
		t.Fatalf("new device: %s firstSeen %v lastSeen %v, want disconnected, never seen", got.ConnectionStatus, got.FirstSeen, got.LastSeen)
	}
	if h.s.ObserveRegistration(Registration{Registrar: "sbc1", User: "not-a-device", AOR: "sip:x@y", Contact: "sip:x@z", Expires: clk.Now().Add(time.Hour)}) {
		t.Error("a registration of an unknown user was accepted")
	}
	if st, _ := h.s.ConnectionStatus(d.ID); st != webex.StatusDisconnected {
		t.Fatalf("after an unknown user registered: %s", st)
	}

	reg := Registration{Registrar: "sbc1", User: user, AOR: "sip:a@lab", Contact: "sip:a@10.0.0.1", Expires: clk.Now().Add(time.Hour)}
	if !h.s.ObserveRegistration(reg) {
		t.Fatal("registration of the device's SIP user ignored")
	}
	first := clk.Now()
	got = h.listed(d.MAC)
	if got.ConnectionStatus != webex.StatusConnected || !got.FirstSeen.Equal(first) {
		t.Fatalf("registered: %s firstSeen %v, want connected since %v", got.ConnectionStatus, got.FirstSeen, first)
	}

	// Failover: the secondary binds, then the primary goes down.
	clk.Advance(time.Minute)
	sec := reg
	sec.Registrar = "sbc2"
	sec.Expires = clk.Now().Add(time.Hour)
	h.s.ObserveRegistration(sec)
	h.s.RegistrarDown("sbc1")
	if got = h.listed(d.MAC); got.ConnectionStatus != webex.StatusConnected || !got.FirstSeen.Equal(first) || !got.LastSeen.Equal(clk.Now()) {
		t.Fatalf("on the secondary: %s firstSeen %v lastSeen %v", got.ConnectionStatus, got.FirstSeen, got.LastSeen)
	}
	// Unregister (Expires 0 reaches the hook as a zero expiry).
	sec.Expires = time.Time{}
	h.s.ObserveRegistration(sec)
	if got = h.listed(d.MAC); got.ConnectionStatus != webex.StatusDisconnected || !got.FirstSeen.Equal(first) {
		t.Fatalf("unregistered: %s firstSeen %v, want disconnected, seen", got.ConnectionStatus, got.FirstSeen)
	}
	// Expiry without a refresh.
	reg.Expires = clk.Now().Add(time.Minute)
	h.s.ObserveRegistration(reg)
	if st, _ := h.s.ConnectionStatus(d.MAC); st != webex.StatusConnected {
		t.Fatalf("registered again: %s", st)
	}
	clk.Advance(time.Minute)
	if st, _ := h.s.ConnectionStatus(d.MAC); st != webex.StatusDisconnected {
		t.Fatalf("after the binding lapsed: %s, want disconnected", st)
	}
	// Wildcard unregister.
	reg.Expires = clk.Now().Add(time.Hour)
	h.s.ObserveRegistration(reg)
	h.s.ObserveRegistration(Registration{Registrar: "sbc1", User: user, AOR: reg.AOR, Contact: "*"})
	if st, _ := h.s.ConnectionStatus(d.MAC); st != webex.StatusDisconnected {
		t.Fatalf("after Contact: *: %s, want disconnected", st)
	}
}

// Every documented state can be forced; an undocumented one is refused;
// GET /devices filters by connectionStatus and type and refuses values
// outside the spec's lists.
func TestConnectionStatusForcedAndFiltered(t *testing.T) {
	h := newHarness(t)
	a := h.create("0004F2A1B2C3", "Yealink T57W Partner Managed", ada)
	b := h.create("0004F2A1B2C4", "Yealink T57W Partner Managed", alan)
	for _, st := range webex.ConnectionStatuses {
		if err := h.s.SetConnectionStatus(a.MAC, st); err != nil {
			t.Fatalf("forcing %s: %v", st, err)
		}
		if got := h.listed(a.MAC).ConnectionStatus; got != st {
			t.Errorf("forced %s, listed %s", st, got)
		}
	}
	if err := h.s.SetConnectionStatus(a.MAC, "online"); err == nil {
		t.Error(`forcing "online" (not in the spec) was accepted`)
	}
	if err := h.s.SetConnectionStatus("nope", webex.StatusActivating); err == nil {
		t.Error("forcing an unknown device was accepted")
	}
	if err := h.s.SetConnectionStatus(a.MAC, webex.StatusActivating); err != nil {
		t.Fatal(err)
	}
	var lr webex.ListResponse[webex.Device]
	r := h.call("GET", "/v1/devices?connectionStatus=activating", nil)
	h.expect(r, 200)
	r.decode(t, &lr)
	if len(lr.Items) != 1 || lr.Items[0].ID != a.ID {
		t.Errorf("connectionStatus=activating listed %+v, want only %s", lr.Items, a.MAC)
	}
	r = h.call("GET", "/v1/devices?connectionStatus=disconnected&type=phone", nil)
	h.expect(r, 200)
	r.decode(t, &lr)
	if len(lr.Items) != 1 || lr.Items[0].ID != b.ID {
		t.Errorf("connectionStatus=disconnected listed %+v, want only %s", lr.Items, b.MAC)
	}
	r = h.call("GET", "/v1/devices?type=roomdesk", nil)
	h.expect(r, 200)
	r.decode(t, &lr)
	if len(lr.Items) != 0 {
		t.Errorf("type=roomdesk listed %d phones", len(lr.Items))
	}
	h.expect(h.call("GET", "/v1/devices?connectionStatus=online", nil), 400)
	h.expect(h.call("GET", "/v1/devices?type=desk", nil), 400)
	if err := h.s.SetConnectionStatus(a.MAC, ""); err != nil {
		t.Fatal(err)
	}
	if got := h.listed(a.MAC).ConnectionStatus; got != webex.StatusDisconnected {
		t.Errorf("force lifted: %s, want disconnected again", got)
	}
}

// The controls need the admin token; with it, an SBC in another process
// reports registrations and a lab forces states.
func TestControlEndpoints(t *testing.T) {
	h := newHarness(t)
	d := h.create("0004F2A1B2C3", "Yealink T57W Partner Managed", ada)
	user := h.s.Snapshot().Devices[0].SIPUserName
	reg := Registration{Registrar: "127.0.0.11:5061", User: user, AOR: "sip:a@lab", Contact: "sip:a@10.0.0.1", Expires: time.Now().Add(time.Hour)}

	read := h.s.IssueToken(ReadScopes()...)
	r, err := h.try(read, "POST", "/_emulator/registrations", reg)
	if err != nil {
		t.Fatal(err)
	}
	h.expect(r, http.StatusUnauthorized)
	if st, _ := h.s.ConnectionStatus(d.ID); st != webex.StatusDisconnected {
		t.Fatalf("a registration posted without the admin token changed the status to %s", st)
	}
	h.expect(h.call("POST", "/_emulator/registrations", reg), http.StatusNoContent)
	if st, _ := h.s.ConnectionStatus(d.ID); st != webex.StatusConnected {
		t.Fatalf("after the posted registration: %s, want connected", st)
	}
	bad := reg
	bad.User = "someone-else"
	h.expect(h.call("POST", "/_emulator/registrations", bad), http.StatusNotFound)
	h.expect(h.call("POST", "/_emulator/connection-status", map[string]string{"device": d.MAC, "status": "offline_expired"}), http.StatusNoContent)
	if st, _ := h.s.ConnectionStatus(d.ID); st != webex.StatusOfflineExpired {
		t.Fatalf("after forcing offline_expired: %s", st)
	}
	h.expect(h.call("POST", "/_emulator/connection-status", map[string]string{"device": d.MAC, "status": "gone"}), http.StatusBadRequest)
}

// The Reporter (what `cutover emulate sbc --webex-status` uses) reaches the
// control endpoint beside /v1; with a wrong token it fails and changes
// nothing.
func TestReporter(t *testing.T) {
	h := newHarness(t)
	d := h.create("0004F2A1B2C3", "Yealink T57W Partner Managed", ada)
	user := h.s.Snapshot().Devices[0].SIPUserName
	reg := Registration{Registrar: "127.0.0.11:5061", User: user, AOR: "sip:a@lab", Contact: "sip:a@10.0.0.1", Expires: time.Now().Add(time.Hour)}

	bad, err := NewReporter(h.ts.URL+"/v1", "not-the-admin-token", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := bad.Report(t.Context(), reg); err == nil || strings.Contains(err.Error(), "not-the-admin-token") {
		t.Fatalf("report with a wrong token: %v, want an error without the token", err)
	}
	if st, _ := h.s.ConnectionStatus(d.ID); st != webex.StatusDisconnected {
		t.Fatalf("after a refused report: %s", st)
	}
	rep, err := NewReporter(h.ts.URL+"/v1/", h.s.AdminToken(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := rep.Report(t.Context(), reg); err != nil {
		t.Fatal(err)
	}
	if st, _ := h.s.ConnectionStatus(d.ID); st != webex.StatusConnected {
		t.Fatalf("after the report: %s, want connected", st)
	}
	reg.Expires = time.Time{}
	if err := rep.Report(t.Context(), reg); err != nil {
		t.Fatal(err)
	}
	if st, _ := h.s.ConnectionStatus(d.ID); st != webex.StatusDisconnected {
		t.Fatalf("after the unregistration: %s, want disconnected", st)
	}
	if _, err := NewReporter("not a url", "t", nil); err == nil {
		t.Error("a bad URL was accepted")
	}
}
