package webex_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"runtime"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/cutover-dev/cutover/webex"
)

// BenchmarkClientCall measures what the client costs per call: the same
// 20,000 GET /devices/{id} calls (in four alternating rounds) against the in-process emulator, from 8
// workers, once through a plain http.Client (raw-calls/s) and once through
// webex.Client (calls/s) with its limiter (unlimited), retry transport,
// token source and error mapping. Client and emulator share the machine's
// cores, so the figures are an upper bound for the client alone.
func BenchmarkClientCall(b *testing.B) {
	const (
		calls   = 20000
		workers = 8
	)
	emu, base := newEmulator(b)
	tok := emu.AdminToken()
	c, err := webex.New(base, webex.StaticToken(tok), webex.WithRate(rate.Inf, 1))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	d, err := c.CreateDevice(ctx, webex.CreateDeviceRequest{MAC: "0004F2BE0001", Model: "Yealink T57W Partner Managed",
		PersonID: mustPerson(b, c, defaultEmail), Password: "Bench!mark9x"})
	if err != nil {
		b.Fatal(err)
	}
	raw := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	raw.Transport.(*http.Transport).MaxIdleConnsPerHost = workers
	rawCall := func() error {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/devices/"+d.ID, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := raw.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		var out webex.Device
		if resp.StatusCode != 200 {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		return json.NewDecoder(resp.Body).Decode(&out)
	}
	clientCall := func() error { _, err := c.GetDevice(ctx, d.ID); return err }

	// Rounds alternate raw and client so that load from other processes
	// weighs on both alike.
	const rounds = 4
	var mallocs [2]uint64 // raw, client
	run := func(call func() error, slot int) time.Duration {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		before := ms.Mallocs
		defer func() { runtime.ReadMemStats(&ms); mallocs[slot] += ms.Mallocs - before }()
		start := time.Now()
		var wg sync.WaitGroup
		var once sync.Once
		var first error
		per := calls / workers / rounds
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range per {
					if err := call(); err != nil {
						once.Do(func() { first = err })
						return
					}
				}
			}()
		}
		wg.Wait()
		if first != nil {
			b.Fatal(first)
		}
		return time.Since(start)
	}
	b.ResetTimer()
	var rawD, cliD time.Duration
	for range b.N * rounds {
		rawD += run(rawCall, 0)
		cliD += run(clientCall, 1)
	}
	n := float64(calls * b.N)
	b.ReportMetric(n/rawD.Seconds(), "raw-calls/s")
	b.ReportMetric(n/cliD.Seconds(), "calls/s")
	// Allocations are immune to the machine's load: the client's own cost.
	b.ReportMetric((float64(mallocs[1])-float64(mallocs[0]))/n, "extra-allocs/call")
	b.ReportMetric(0, "ns/op")
}

func mustPerson(b *testing.B, c *webex.Client, email string) string {
	p, err := c.FindPeopleByEmail(context.Background(), email)
	if err != nil || len(p) != 1 {
		b.Fatal(p, err)
	}
	return p[0].ID
}
