package webex

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeDevices is a tiny /devices store whose create can misbehave.
type fakeDevices struct {
	mu      sync.Mutex
	devs    map[string]Device // by MAC
	posts   int
	lookups int
	// fault decides what happens to the n-th POST: "" ok, "commit500"
	// (stored, then 500), "drop" (stored, connection closed), "500" (not stored).
	fault    func(n int) string
	inFlight map[string]int
	maxOwner int
	// lag hides new devices from the first lag lookups (eventual consistency).
	lag int
}

func (f *fakeDevices) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/v1/devices":
		var req CreateDeviceRequest
		_ = json.NewDecoder(r.Body).Decode(&req)
		owner := req.PersonID + req.WorkspaceID
		f.mu.Lock()
		f.posts++
		n := f.posts
		f.inFlight[owner]++
		f.maxOwner = max(f.maxOwner, f.inFlight[owner])
		f.mu.Unlock()
		time.Sleep(2 * time.Millisecond) // let overlapping creates show
		f.mu.Lock()
		f.inFlight[owner]--
		mode := ""
		if f.fault != nil {
			mode = f.fault(n)
		}
		if mode == "500" {
			f.mu.Unlock()
			fail(w, 500, "internal error", 0)
			return
		}
		if _, taken := f.devs[req.MAC]; taken {
			f.mu.Unlock()
			fail(w, 409, "MAC address is already in use", 5675)
			return
		}
		d := Device{ID: "DEV-" + req.MAC, MAC: req.MAC, PersonID: req.PersonID, WorkspaceID: req.WorkspaceID, Product: req.Model}
		f.devs[req.MAC] = d
		f.mu.Unlock()
		switch mode {
		case "commit500":
			fail(w, 502, "bad gateway", 0)
		case "drop":
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
		default:
			writeJSON(w, 200, d)
		}
	case r.Method == http.MethodGet && r.URL.Path == "/v1/devices":
		f.mu.Lock()
		defer f.mu.Unlock()
		f.lookups++
		var items []Device
		if d, ok := f.devs[r.URL.Query().Get("mac")]; ok && f.lookups > f.lag {
			items = append(items, d)
		}
		writeJSON(w, 200, ListResponse[Device]{Items: items})
	default:
		fail(w, 404, "no route", 0)
	}
}

func newFakeDevices(fault func(int) string) *fakeDevices {
	return &fakeDevices{devs: map[string]Device{}, fault: fault, inFlight: map[string]int{}}
}

func TestCreateDeviceUnknownOutcome(t *testing.T) {
	for _, tc := range []struct {
		name             string
		fault            func(int) string
		lag              int
		posts, recovered int64
	}{
		{"committed then 502", func(n int) string { return map[int]string{1: "commit500"}[n] }, 0, 1, 1},
		{"committed then dropped", func(n int) string { return map[int]string{1: "drop"}[n] }, 0, 1, 1},
		{"not committed 500 twice", func(n int) string { return map[int]string{1: "500", 2: "500"}[n] }, 0, 3, 0},
		{"not committed then lost answer", func(n int) string { return map[int]string{1: "500", 2: "drop"}[n] }, 0, 2, 1},
		// The lookup does not see the landed device yet, so the create is
		// sent again and gets 409 MAC in use, which a second lookup resolves.
		{"lost answer, late lookup, 409", func(n int) string { return map[int]string{1: "drop"}[n] }, 1, 2, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeDevices(tc.fault)
			f.lag = tc.lag
			c, logs := newTestClient(t, f, nil)
			d, err := c.CreateDevice(context.Background(), CreateDeviceRequest{MAC: "0004F2A1B2C3", Model: "m", PersonID: "P1", Password: testPassword})
			if err != nil {
				t.Fatal(err)
			}
			if d.ID != "DEV-0004F2A1B2C3" || d.PersonID != "P1" {
				t.Errorf("device %+v", d)
			}
			if len(f.devs) != 1 {
				t.Errorf("%d devices stored", len(f.devs))
			}
			if int64(f.posts) != tc.posts {
				t.Errorf("%d POSTs, want %d", f.posts, tc.posts)
			}
			if got := c.Stats().Recovered; got != tc.recovered {
				t.Errorf("recovered %d, want %d", got, tc.recovered)
			}
			assertNoSecrets(t, "log", logs.String())
		})
	}
}

func TestCreateDeviceMACOfAnotherOwner(t *testing.T) {
	f := newFakeDevices(func(n int) string { return map[int]string{1: "500"}[n] })
	f.devs["0004F2A1B2C3"] = Device{ID: "OTHER", MAC: "0004F2A1B2C3", PersonID: "P9"}
	c, _ := newTestClient(t, f, nil)
	_, err := c.CreateDevice(context.Background(), CreateDeviceRequest{MAC: "0004F2A1B2C3", Model: "m", PersonID: "P1"})
	if !errors.Is(err, ErrMACInUse) || !errors.Is(err, ErrConflict) {
		t.Fatalf("err %v, want MAC in use", err)
	}
	if !strings.HasPrefix(err.Error(), "POST /devices: 409 Conflict: MAC address is already in use") {
		t.Errorf("error %q", err)
	}
	// A plain conflict (no unknown outcome before) needs no lookup.
	f2 := newFakeDevices(nil)
	f2.devs["0004F2A1B2C3"] = Device{ID: "OTHER", MAC: "0004F2A1B2C3", PersonID: "P1"}
	c2, _ := newTestClient(t, f2, nil)
	if _, err := c2.CreateDevice(context.Background(), CreateDeviceRequest{MAC: "0004F2A1B2C3", Model: "m", PersonID: "P1"}); !errors.Is(err, ErrConflict) {
		t.Fatalf("err %v", err)
	}
	if f2.lookups != 0 {
		t.Errorf("%d lookups after a plain 409", f2.lookups)
	}
}

func TestCreateDeviceGivesUpAfterBudget(t *testing.T) {
	f := newFakeDevices(func(int) string { return "500" })
	c, _ := newTestClient(t, f, nil, WithMaxElapsed(100*time.Millisecond))
	_, err := c.CreateDevice(context.Background(), CreateDeviceRequest{MAC: "0004F2A1B2C3", Model: "m", WorkspaceID: "W1"})
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err %v", err)
	}
	if len(f.devs) != 0 || f.posts < 2 || f.lookups != f.posts {
		t.Errorf("devices %d, posts %d, lookups %d", len(f.devs), f.posts, f.lookups)
	}
}

func TestCreatesSerialisedPerOwner(t *testing.T) {
	f := newFakeDevices(nil)
	c, _ := newTestClient(t, f, nil)
	var wg sync.WaitGroup
	var failures atomic.Int32
	for i := range 24 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			owner := []string{"P1", "P2", "P3"}[i%3]
			mac := "0004F2A1B2" + string("0123456789ABCDEF"[i/16]) + string("0123456789ABCDEF"[i%16])
			if _, err := c.CreateDevice(context.Background(), CreateDeviceRequest{MAC: mac, Model: "m", PersonID: owner}); err != nil {
				failures.Add(1)
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if f.maxOwner != 1 {
		t.Errorf("up to %d creates for one owner at once, want 1", f.maxOwner)
	}
	if len(f.devs) != 24 {
		t.Errorf("%d devices", len(f.devs))
	}
	c.owners.mu.Lock()
	defer c.owners.mu.Unlock()
	if len(c.owners.m) != 0 {
		t.Errorf("%d owner locks left", len(c.owners.m))
	}
}

func TestOwnerLockHonoursContext(t *testing.T) {
	var o ownerLocks
	unlock, err := o.lock(context.Background(), "P1")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := o.lock(ctx, "P1"); !errors.Is(err, context.Canceled) {
		t.Errorf("err %v", err)
	}
	unlock()
	if len(o.m) != 0 {
		t.Errorf("locks left: %d", len(o.m))
	}
}

func TestValidateMACsBatches(t *testing.T) {
	var sizes []int
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req ValidateMACsRequest
		_ = json.NewDecoder(r.Body).Decode(&req)
		sizes = append(sizes, len(req.MACs))
		resp := ValidateMACsResponse{Status: "OK"}
		for _, m := range req.MACs {
			if strings.HasSuffix(m, "07") {
				resp.Status = "ERRORS"
				resp.MACStatus = append(resp.MACStatus, MACStatus{MAC: m, State: MACUnavailable, ErrorCode: 5675, Message: "in use"})
			}
		}
		writeJSON(w, 200, resp)
	}), nil)
	var macs []string
	for i := range 250 {
		macs = append(macs, "0004f2a1"+strings.ToLower(strings.Repeat("0", 4-len(itoaHex(i)))+itoaHex(i)))
	}
	st, err := c.ValidateMACs(context.Background(), macs)
	if err != nil {
		t.Fatal(err)
	}
	if len(sizes) != 3 || sizes[0] != 100 || sizes[2] != 50 {
		t.Errorf("batches %v", sizes)
	}
	if len(st) != 250 {
		t.Fatalf("%d statuses", len(st))
	}
	for i, s := range st {
		if s.MAC != macs[i] {
			t.Fatalf("status %d is for %s, want %s", i, s.MAC, macs[i])
		}
		want := MACAvailable
		if strings.HasSuffix(macs[i], "07") {
			want = MACUnavailable
		}
		if s.State != want {
			t.Errorf("%s: %s, want %s", s.MAC, s.State, want)
		}
	}
	if st, err := c.ValidateMACs(context.Background(), nil); err != nil || len(st) != 0 || len(sizes) != 3 {
		t.Errorf("empty input: %v %v, %d calls", st, err, len(sizes))
	}
}

func itoaHex(i int) string {
	const hexd = "0123456789abcdef"
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 16 {
		b = append([]byte{hexd[i%16]}, b...)
	}
	return string(b)
}
