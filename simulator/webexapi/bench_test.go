package webexapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cutover-dev/cutover/migrate/inventory"
	"github.com/cutover-dev/cutover/webex"
)

const benchDevices = 10_000

// benchSetup returns an emulator over HTTP whose org has one person per
// device, and the person IDs.
func benchSetup(b *testing.B) (*Server, *httptest.Server, *http.Client, []string) {
	b.Helper()
	seed := DefaultSeed()
	devs := make([]inventory.Device, benchDevices)
	for i := range devs {
		devs[i] = inventory.Device{Owner: fmt.Sprintf("user%05d@acme.example", i), Location: fmt.Sprintf("Site %d", i%20)}
	}
	seed.AddInventory(devs)
	s := New(WithSeed(seed), WithRequestLogLimit(1000))
	ts := httptest.NewServer(s)
	b.Cleanup(ts.Close)
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	s.mu.Lock()
	ids := make([]string, benchDevices)
	for i := range ids {
		ids[i] = s.org.byEmail[fmt.Sprintf("user%05d@acme.example", i)].id
	}
	s.mu.Unlock()
	return s, ts, hc, ids
}

func benchCall(hc *http.Client, token, method, url string, body any, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if out != nil && resp.StatusCode == 200 {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			return resp.StatusCode, err
		}
	}
	// Drain the body so that the connection is reused.
	_, err = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, err
}

// runWorkers runs fn(i) for i in [0, n) on workers goroutines.
func runWorkers(b *testing.B, n, workers int, fn func(i int) error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	var firstErr atomic.Value
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := fn(i); err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := firstErr.Load(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkEmulatorCreate creates 10,000 devices over loopback HTTP with 16
// concurrent clients, one owner each; it reports creates per second.
func BenchmarkEmulatorCreate(b *testing.B) {
	for range b.N {
		b.StopTimer()
		s, ts, hc, ids := benchSetup(b)
		token := s.AdminToken()
		b.StartTimer()
		start := time.Now()
		runWorkers(b, benchDevices, 16, func(i int) error {
			status, err := benchCall(hc, token, "POST", ts.URL+"/v1/devices", webex.CreateDeviceRequest{
				MAC: fmt.Sprintf("0004F2%06X", i), Model: "Yealink T57W Partner Managed", PersonID: ids[i], Password: goodPassword,
			}, nil)
			if err == nil && status != 200 {
				err = fmt.Errorf("create %d: status %d", i, status)
			}
			return err
		})
		b.ReportMetric(float64(benchDevices)/time.Since(start).Seconds(), "creates/s")
		if n := s.Snapshot().Counts.Devices; n != benchDevices {
			b.Fatalf("devices = %d", n)
		}
	}
}

// BenchmarkEmulatorMigrationFlow pushes 10,000 devices through the calls a
// migration makes per device (validate MAC, create, set password, members,
// apply changes, read T1) with 16 concurrent clients: 60,000 calls.
func BenchmarkEmulatorMigrationFlow(b *testing.B) {
	for range b.N {
		b.StopTimer()
		s, ts, hc, ids := benchSetup(b)
		token := s.AdminToken()
		b.StartTimer()
		start := time.Now()
		var calls atomic.Int64
		runWorkers(b, benchDevices, 16, func(i int) error {
			mac := fmt.Sprintf("0004F2%06X", i)
			step := func(method, path string, body any, out any, want int) error {
				calls.Add(1)
				status, err := benchCall(hc, token, method, ts.URL+path, body, out)
				if err == nil && status != want {
					err = fmt.Errorf("%s %s: status %d", method, path, status)
				}
				return err
			}
			if err := step("POST", "/v1/telephony/config/devices/actions/validateMacs/invoke", webex.ValidateMACsRequest{MACs: []string{mac}}, nil, 200); err != nil {
				return err
			}
			var d webex.Device
			if err := step("POST", "/v1/devices", webex.CreateDeviceRequest{MAC: mac, Model: "Yealink T57W Partner Managed", PersonID: ids[i], Password: goodPassword}, &d, 200); err != nil {
				return err
			}
			if err := step("PUT", "/v1/telephony/config/devices/"+d.CallingDeviceID, webex.SIPPasswordRequest{SIPPassword: "Bench-Pw7!"}, nil, 204); err != nil {
				return err
			}
			members := webex.PutMembersRequest{Members: []webex.MemberPut{
				{Port: 1, ID: ids[i], PrimaryOwner: true, LineType: webex.LinePrimary, LineWeight: 1},
				{Port: 2, ID: ids[(i+1)%benchDevices], LineType: webex.LineShared, LineWeight: 1},
			}}
			if err := step("PUT", "/v1/telephony/config/devices/"+d.CallingDeviceID+"/members", members, nil, 204); err != nil {
				return err
			}
			if err := step("POST", "/v1/telephony/config/devices/"+d.CallingDeviceID+"/actions/applyChanges/invoke", nil, nil, 204); err != nil {
				return err
			}
			return step("GET", "/v1/telephony/config/devices/"+d.CallingDeviceID, nil, &webex.TelephonyDevice{}, 200)
		})
		elapsed := time.Since(start).Seconds()
		b.ReportMetric(float64(calls.Load())/elapsed, "calls/s")
		b.ReportMetric(float64(benchDevices)/elapsed, "devices/s")
	}
}
