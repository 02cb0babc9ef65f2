package webexapi

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cutover-dev/cutover/webex"
)

// testClock is an injectable clock tests move by hand.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func newTestClock() *testClock {
	return &testClock{now: time.Date(2026, 11, 23, 18, 0, 0, 0, time.UTC)}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// harness is an emulator behind httptest with a raw HTTP client.
type harness struct {
	t     *testing.T
	s     *Server
	ts    *httptest.Server
	token string
}

func newHarness(t *testing.T, opts ...Option) *harness {
	t.Helper()
	s := New(opts...)
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return &harness{t: t, s: s, ts: ts, token: s.AdminToken()}
}

type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decoding %s: %v", r.body, err)
	}
}

func (r reply) errorBody(t *testing.T) webex.ErrorBody {
	t.Helper()
	var e webex.ErrorBody
	r.decode(t, &e)
	return e
}

// call sends a request with the harness token; body is JSON-encoded unless
// it is a string. A transport error fails the test.
func (h *harness) call(method, path string, body any) reply {
	h.t.Helper()
	r, err := h.try(h.token, method, path, body)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	return r
}

func (h *harness) try(token, method, path string, body any) (reply, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			h.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	url := path
	if !strings.HasPrefix(path, "http") {
		url = h.ts.URL + path
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := h.ts.Client().Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return reply{}, err
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

func (h *harness) expect(r reply, status int) {
	h.t.Helper()
	if r.status != status {
		h.t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
}

// person returns the seeded person with e-mail email.
func (h *harness) person(email string) webex.Person {
	h.t.Helper()
	return listOne[webex.Person](h, "/v1/people?callingData=true&email="+email)
}

// listOne GETs a list that must hold exactly one item, and returns it.
func listOne[T any](h *harness, path string) T {
	h.t.Helper()
	r := h.call("GET", path, nil)
	h.expect(r, 200)
	var l webex.ListResponse[T]
	r.decode(h.t, &l)
	if len(l.Items) != 1 {
		h.t.Fatalf("GET %s: %d items, want 1", path, len(l.Items))
	}
	return l.Items[0]
}

func (h *harness) workspace(name string) webex.Workspace {
	h.t.Helper()
	r := h.call("GET", "/v1/workspaces?displayName="+strings.ReplaceAll(name, " ", "%20"), nil)
	h.expect(r, 200)
	var l webex.ListResponse[webex.Workspace]
	r.decode(h.t, &l)
	if len(l.Items) != 1 {
		h.t.Fatalf("workspace %s: %d items", name, len(l.Items))
	}
	return l.Items[0]
}

const goodPassword = "Pass-word9!"

// gate holds a request inside a handler hook until the test opens it.
type gate struct {
	entered, release chan struct{}
	once             sync.Once
}

// newGate returns a gate that opens at cleanup: a failing test must not
// leave a handler blocked.
func newGate(t *testing.T) *gate {
	g := &gate{entered: make(chan struct{}), release: make(chan struct{})}
	t.Cleanup(g.open)
	return g
}

// hold, called from a hook, reports the request as entered and blocks until
// the gate opens. One request may pass through hold.
func (g *gate) hold() {
	close(g.entered)
	<-g.release
}

func (g *gate) open() { g.once.Do(func() { close(g.release) }) }

// heldPasswordWrite starts a write of password pw to device d and returns
// once the write holds the device, inside its latency window, which it keeps
// until the gate opens; the write's reply then comes on the channel.
func (h *harness) heldPasswordWrite(d webex.Device, pw string) (*gate, <-chan reply) {
	h.t.Helper()
	g := newGate(h.t)
	h.s.mu.Lock()
	h.s.hooks.inUpdate = func(string) { g.hold() }
	h.s.mu.Unlock()
	first := make(chan reply)
	go func() {
		r, _ := h.try(h.token, "PUT", "/v1/telephony/config/devices/"+d.ID, webex.SIPPasswordRequest{SIPPassword: pw})
		first <- r
	}()
	<-g.entered
	h.s.mu.Lock()
	h.s.hooks.inUpdate = nil // later writes must not block
	h.s.mu.Unlock()
	return g, first
}

// create makes a device for the person and fails the test unless it is 200.
func (h *harness) create(mac, model, email string) webex.Device {
	h.t.Helper()
	p := h.person(email)
	r := h.call("POST", "/v1/devices", webex.CreateDeviceRequest{MAC: mac, Model: model, PersonID: p.ID, Password: goodPassword})
	h.expect(r, 200)
	var d webex.Device
	r.decode(h.t, &d)
	return d
}

const (
	ada   = "ada.lovelace@acme.example"    // extension 1001, Headquarters
	alan  = "alan.turing@acme.example"     // extension 2001, Branch Office
	grace = "grace.hopper@acme.example"    // extension 3001, Warehouse
	ed    = "edsger.dijkstra@acme.example" // extension 1002, Headquarters
)
