package webexapi

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cutover-dev/cutover/webex"
)

func TestParseFaults(t *testing.T) {
	good := []struct {
		spec string
		want Faults
	}{
		{"", Faults{}},
		{"none", Faults{}},
		{"rate=50,error=0.3,latency=5ms-200ms,drop=0.05,commit-then-fail=0.1,token-ttl=30s", Faults{
			Rate: 50, ErrorRatio: 0.3, LatencyMin: 5 * time.Millisecond, LatencyMax: 200 * time.Millisecond,
			DropRatio: 0.05, CommitThenFail: 0.1, TokenTTL: 30 * time.Second,
		}},
		{" rate = 2.5 , burst=4 ", Faults{Rate: 2.5, Burst: 4}},
		{"latency=20ms", Faults{LatencyMin: 20 * time.Millisecond, LatencyMax: 20 * time.Millisecond}},
		{"create-empty-body=0.5", Faults{CreateEmptyBody: 0.5}},
	}
	for _, tc := range good {
		got, err := ParseFaults(tc.spec)
		if err != nil || got != tc.want {
			t.Errorf("ParseFaults(%q) = %+v, %v; want %+v", tc.spec, got, err, tc.want)
		}
		if again, err := ParseFaults(got.String()); err != nil || again != got {
			t.Errorf("ParseFaults(String()) of %q = %+v, %v", tc.spec, again, err)
		}
	}
	bad := []struct{ spec, msg string }{
		{"rate", `item 1 "rate": expected key=value`},
		{"rate=fast", "non-negative number"},
		{"error=1.5", "ratio between 0 and 1"},
		{"rate=5,drop=-1", `item 2 "drop=-1"`},
		{"latency=200ms-5ms", "MIN-MAX"},
		{"token-ttl=0s", "positive duration"},
		{"explode=1", "one of rate"},
		{"error=NaN", "ratio"},
	}
	for _, tc := range bad {
		_, err := ParseFaults(tc.spec)
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("ParseFaults(%q) = %v, want an error containing %q", tc.spec, err, tc.msg)
		}
	}
}

func FuzzParseFaults(f *testing.F) {
	f.Add("rate=50,error=0.3,latency=5ms-200ms,drop=0.05,commit-then-fail=0.1,token-ttl=30s")
	f.Add("latency=1s")
	f.Fuzz(func(t *testing.T, spec string) {
		fs, err := ParseFaults(spec)
		if err != nil {
			return
		}
		if fs.ErrorRatio < 0 || fs.ErrorRatio > 1 || fs.LatencyMax < fs.LatencyMin || fs.Rate < 0 {
			t.Fatalf("ParseFaults(%q) accepted %+v", spec, fs)
		}
	})
}

func FuzzNormalizeMAC(f *testing.F) {
	for _, s := range []string{"0004F2A1B2C3", "00:04:f2:a1:b2:c3", "0004.f2a1.b2c3", "00-04", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		mac, ok := normalizeMAC(in)
		if !ok {
			return
		}
		if len(mac) != 12 || strings.ToUpper(mac) != mac {
			t.Fatalf("normalizeMAC(%q) = %q", in, mac)
		}
		if again, ok := normalizeMAC(mac); !ok || again != mac {
			t.Fatalf("not idempotent: %q -> %q", mac, again)
		}
	})
}

func TestRateLimitFault(t *testing.T) {
	clock := newTestClock() // frozen: the bucket refills only when the test moves the clock
	h := newHarness(t, WithClock(clock.Now), WithFaults(Faults{Rate: 1, Burst: 2}))
	h.expect(h.call("GET", "/v1/devices", nil), 200)
	h.expect(h.call("GET", "/v1/devices", nil), 200)
	r := h.call("GET", "/v1/devices", nil)
	h.expect(r, 429)
	if r.header.Get("Retry-After") != "1" {
		t.Errorf("Retry-After = %q, want 1", r.header.Get("Retry-After"))
	}
	clock.Advance(time.Second)
	h.expect(h.call("GET", "/v1/devices", nil), 200)
	h.expect(h.call("GET", "/v1/devices", nil), 429)

	h.s.SetFaults(Faults{Rate: 0.1, Burst: 1}) // one every 10 s
	h.expect(h.call("GET", "/v1/devices", nil), 200)
	r = h.call("GET", "/v1/devices", nil)
	if r.status != 429 || r.header.Get("Retry-After") != "10" {
		t.Errorf("status %d Retry-After %q, want 429 and 10", r.status, r.header.Get("Retry-After"))
	}
	h.s.SetFaults(Faults{})
	for range 20 {
		h.expect(h.call("GET", "/v1/devices", nil), 200)
	}
	if got := h.s.Snapshot().Requests.ByFault["rate"]; got != 3 {
		t.Errorf("rate faults counted = %d, want 3", got)
	}
}

// errorRun sends n requests with the error fault and returns the statuses.
func errorRun(t *testing.T, n int) []int {
	h := newHarness(t, WithFaults(Faults{ErrorRatio: 0.3}), WithRandSeed(42))
	out := make([]int, n)
	for i := range out {
		r := h.call("GET", "/v1/locations", nil)
		out[i] = r.status
		if r.status >= 500 {
			if e := r.errorBody(t); e.TrackingID == "" {
				t.Fatalf("5xx without tracking id: %s", r.body)
			}
		}
	}
	return out
}

func TestErrorRatioFault(t *testing.T) {
	const n = 2000
	first := errorRun(t, n)
	counts := map[int]int{}
	for _, st := range first {
		counts[st]++
	}
	fails := counts[500] + counts[502] + counts[503]
	if fails+counts[200] != n {
		t.Fatalf("unexpected statuses: %v", counts)
	}
	if ratio := float64(fails) / n; ratio < 0.25 || ratio > 0.35 {
		t.Errorf("5xx ratio %.3f, want 0.3 ± 0.05 (%v)", ratio, counts)
	}
	for _, st := range []int{500, 502, 503} {
		if counts[st] < fails/5 {
			t.Errorf("status %d drawn %d times of %d failures", st, counts[st], fails)
		}
	}
	// The same seed gives the same sequence.
	second := errorRun(t, n)
	for i := range first {
		if first[i] != second[i] {
			t.Fatalf("request %d: %d then %d with the same seed", i, first[i], second[i])
		}
	}
}

func TestDropFault(t *testing.T) {
	h := newHarness(t, WithFaults(Faults{DropRatio: 1}))
	_, err := h.try(h.token, "POST", "/v1/telephony/config/devices/actions/validateMacs/invoke", `{"macs":["0004F2000001"]}`)
	if err == nil || !(errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(err.Error(), "EOF") || strings.Contains(err.Error(), "reset")) {
		t.Fatalf("err = %v, want EOF or reset", err)
	}
	h.s.SetFaults(Faults{})
	h.expect(h.call("GET", "/v1/devices", nil), 200)
	logs := h.s.Requests()
	if !logs[0].Dropped || logs[0].Status != 0 || logs[0].Fault != "drop" {
		t.Errorf("log = %+v", logs[0])
	}
}

func TestCommitThenFailFault(t *testing.T) {
	h := newHarness(t, WithRandSeed(7))
	p := h.person(ada)
	h.s.SetFaults(Faults{CommitThenFail: 1})
	saw502, sawReset := false, false
	for i := range 12 {
		mac := "0004F20000" + string("0123456789AB"[i]) + "0"
		// Creates for one owner, one at a time, as the client does.
		r, err := h.try(h.token, "POST", "/v1/devices", webex.CreateDeviceRequest{MAC: mac, Model: "Yealink T57W Partner Managed", PersonID: p.ID, Password: goodPassword})
		switch {
		case err != nil:
			sawReset = true
		case r.status == http.StatusBadGateway:
			saw502 = true
		default:
			t.Fatalf("create %s: status %d, want 502 or a reset", mac, r.status)
		}
		// Stored all the same.
		h.s.SetFaults(Faults{})
		var l webex.ListResponse[webex.Device]
		h.call("GET", "/v1/devices?mac="+mac, nil).decode(t, &l)
		if len(l.Items) != 1 {
			t.Fatalf("device %s not stored after commit-then-fail", mac)
		}
		// Updates too.
		h.s.SetFaults(Faults{CommitThenFail: 1})
		r, err = h.try(h.token, "PUT", "/v1/telephony/config/devices/"+l.Items[0].ID, webex.SIPPasswordRequest{SIPPassword: "Other-Pw" + string("0123456789AB"[i]) + "9"})
		if err == nil && r.status != 502 {
			t.Fatalf("update: status %d", r.status)
		}
		h.s.SetFaults(Faults{CommitThenFail: 1})
	}
	if !saw502 || !sawReset {
		t.Errorf("saw 502 %v, reset %v; want both over 12 creates", saw502, sawReset)
	}
	if pw, ok := h.s.DevicePassword("0004F20000B0"); !ok || pw != "Other-PwB9" {
		t.Errorf("password after failed-looking update = %v", ok)
	}
	// Reads are never hit by commit-then-fail.
	h.expect(h.call("GET", "/v1/devices", nil), 200)
}

func TestLatencyFaultWidensOwnerRace(t *testing.T) {
	// With latency, a create holds its owner while it waits: a second create
	// for the owner sent meanwhile is refused. The hook tells the test when
	// the first create is inside its window; no timing is asserted.
	h := newHarness(t)
	// On failure, cut the slow create's connection so that Close does not wait an hour.
	t.Cleanup(h.ts.CloseClientConnections)
	person := h.person(ada)
	h.s.SetFaults(Faults{LatencyMin: time.Hour, LatencyMax: time.Hour})
	entered := make(chan struct{})
	h.s.mu.Lock()
	h.s.hooks.inCreate = func(string) { close(entered) }
	h.s.mu.Unlock()
	done := make(chan error, 1)
	req, _ := http.NewRequest("POST", h.ts.URL+"/v1/devices", strings.NewReader(`{"mac":"0004F2000001","model":"Yealink T57W Partner Managed","personId":"`+person.ID+`","password":"`+goodPassword+`"}`))
	req.Header.Set("Authorization", "Bearer "+h.token)
	go func() {
		resp, err := h.ts.Client().Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	<-entered
	h.s.SetFaults(Faults{})
	h.expect(h.call("POST", "/v1/devices", webex.CreateDeviceRequest{MAC: "0004F2000002", Model: "Yealink T57W Partner Managed", PersonID: person.ID, Password: goodPassword}), 409)
	// Closing the client connection cancels the slow create; nothing is stored.
	h.ts.CloseClientConnections()
	<-done
	// The server closed the harness's idle keep-alive connection too; a POST
	// is not retried on a connection found closed, so start afresh.
	h.ts.Client().CloseIdleConnections()
	h.s.mu.Lock()
	h.s.hooks.inCreate = nil
	h.s.mu.Unlock()
	for h.s.ownerBusy(person.ID) {
		time.Sleep(time.Millisecond)
	}
	if n := h.s.Snapshot().Counts.Devices; n != 0 {
		t.Errorf("devices = %d after a cancelled create, want 0", n)
	}
	h.expect(h.call("POST", "/v1/devices", webex.CreateDeviceRequest{MAC: "0004F2000001", Model: "Yealink T57W Partner Managed", PersonID: person.ID, Password: goodPassword}), 200)
}

// ownerBusy reports whether a create for the owner is in flight.
func (s *Server) ownerBusy(ownerID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	ow := s.org.owners[ownerID]
	return ow != nil && s.org.creating[ow]
}

func TestConcurrentWriteToOneDeviceIsLocked(t *testing.T) {
	h := newHarness(t)
	d := h.create("0004F2000001", "Yealink T57W Partner Managed", ada)
	g, first := h.heldPasswordWrite(d, "First-Pw1!")
	for _, c := range []struct {
		method, path string
		body         any
	}{
		{"PUT", "/v1/telephony/config/devices/" + d.CallingDeviceID, webex.SIPPasswordRequest{SIPPassword: "Second-Pw2!"}},
		{"POST", "/v1/telephony/config/devices/" + d.ID + "/actions/applyChanges/invoke", nil},
	} {
		r := h.call(c.method, c.path, c.body)
		h.expect(r, http.StatusLocked)
		if r.header.Get("Retry-After") == "" {
			t.Errorf("423 without Retry-After")
		}
	}
	// Reads go on.
	h.expect(h.call("GET", "/v1/telephony/config/devices/"+d.ID+"/members", nil), 200)
	g.open()
	h.expect(<-first, 204)
	if pw, _ := h.s.DevicePassword(d.ID); pw != "First-Pw1!" {
		t.Errorf("password = the second write's")
	}
	h.expect(h.call("POST", "/v1/telephony/config/devices/"+d.ID+"/actions/applyChanges/invoke", nil), 204)
}

func TestDeleteDuringWrite(t *testing.T) {
	h := newHarness(t)
	d := h.create("0004F2000001", "Yealink T57W Partner Managed", ada)
	g, first := h.heldPasswordWrite(d, "First-Pw1!")
	h.expect(h.call("DELETE", "/v1/devices/"+d.ID, nil), 204)
	g.open()
	h.expect(<-first, 404)
}
