package migrate

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/cutover-dev/cutover/internal/peakmem"
	"github.com/cutover-dev/cutover/migrate/inventory"
	"github.com/cutover-dev/cutover/simulator/webexapi"
	"github.com/cutover-dev/cutover/webex"
)

// BenchmarkMigrate10k plans and migrates 10,000 generated devices against
// the in-process emulator (no latency, no faults, no client rate limit). One
// iteration is the whole job; the emulator and the run directory are new
// each time.
func BenchmarkMigrate10k(b *testing.B) {
	const n = 10_000
	devs := generated(b, n, 10)
	b.Run("disk", func(b *testing.B) { benchMigrate(b, devs, b.TempDir) })
	// The same on tmpfs: file creation on this kind of VM's disk costs about
	// 1 ms, which would hide the engine behind 10,000 info files.
	b.Run("tmpfs", func(b *testing.B) {
		if _, err := os.Stat("/dev/shm"); err != nil {
			b.Skip("no /dev/shm")
		}
		benchMigrate(b, devs, func() string {
			d, err := os.MkdirTemp("/dev/shm", "cutover-bench")
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { os.RemoveAll(d) })
			return d
		})
	})
}

func benchMigrate(b *testing.B, devs []inventory.Device, tempDir func() string) {
	n := len(devs)
	for b.Loop() {
		b.StopTimer()
		org := newTestOrg(b, devs, nil)
		dir := tempDir()
		runtime.GC()
		stop := peakmem.Sample(5*time.Millisecond, nil)
		b.StartTimer()
		t0 := time.Now()
		_, res, err := Migrate(context.Background(), org.client, devs, PlanOptions{Jobs: 16}, RunOptions{Dir: dir, Jobs: 16})
		took := time.Since(t0)
		b.StopTimer()
		mb := float64(stop().HeapStacks) / (1 << 20)
		if err != nil {
			b.Fatal(err)
		}
		if !res.OK() || res.Created != n {
			b.Fatalf("result %+v", res)
		}
		st := org.emu.Snapshot()
		b.ReportMetric(float64(n)/took.Seconds(), "devices/s")
		b.ReportMetric(float64(st.Requests.Total)/took.Seconds(), "req/s")
		b.ReportMetric(mb, "MB-peak")
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		b.ReportMetric(float64(ms.Sys)/(1<<20), "MB-sys")
		b.ReportMetric(took.Seconds(), "s-wall")
		b.StartTimer()
	}
}

// BenchmarkMigrateRateLimited migrates against an emulator that allows 100
// requests/s (burst 10) and answers each after 200 ms, with the client's
// rate set to the same 100/s and its default burst, as `cutover migrate
// --rate 100` runs: it reports how much of the allowed rate the engine uses,
// counting only the requests the emulator accepted (a 429 is not work
// done), over the whole job and over the run after the plan.
//
// The plan costs about 0.9 s whatever the size: its people listing is four
// pages that follow one another (cursor links), so round trips, not the
// rate, bound it. Hence two sizes: a wave of 1,000 devices, and 400, where
// that fixed cost weighs 2.5 times as much.
func BenchmarkMigrateRateLimited(b *testing.B) {
	for _, n := range []int{400, 1000} {
		b.Run(fmt.Sprintf("devices=%d", n), func(b *testing.B) { benchRateLimited(b, n) })
	}
}

func benchRateLimited(b *testing.B, n int) {
	const limit = 100.0
	devs := generated(b, n, 11)
	for b.Loop() {
		b.StopTimer()
		org := newTestOrg(b, devs, nil, webex.WithRate(rate.Limit(limit), webex.DefaultBurst))
		f, err := webexapi.ParseFaults("rate=100,burst=10,latency=200ms-200ms")
		if err != nil {
			b.Fatal(err)
		}
		org.emu.SetFaults(f)
		dir := b.TempDir()
		var (
			planned  time.Time
			atPlan   webexapi.RequestSummary
			accepted = func(s webexapi.RequestSummary) float64 { return float64(s.Total - s.ByStatus[429]) }
		)
		popts := PlanOptions{Jobs: 32, Ready: func(*Plan) {
			planned = time.Now()
			atPlan = org.emu.Snapshot().Requests
		}}
		b.StartTimer()
		t0 := time.Now()
		// 200 ms per answer at 100 req/s: 20 requests must be in flight
		// (Little's law); 32 jobs leave room for the ones waiting out a
		// Retry-After.
		_, res, err := Migrate(context.Background(), org.client, devs, popts, RunOptions{Dir: dir, Jobs: 32})
		took := time.Since(t0)
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		if res.Failed != 0 || !res.OK() {
			b.Fatalf("result %+v", res)
		}
		st := org.emu.Snapshot().Requests
		achieved := accepted(st) / took.Seconds()
		runRate := (accepted(st) - accepted(atPlan)) / (t0.Add(took).Sub(planned)).Seconds()
		b.ReportMetric(achieved, "req/s")
		b.ReportMetric(100*achieved/limit, "%-of-limit")
		b.ReportMetric(100*runRate/limit, "%-of-limit-run")
		b.ReportMetric(float64(st.ByStatus[429]), "429s")
		b.ReportMetric(float64(res.Failed), "failed")
		b.ReportMetric(planned.Sub(t0).Seconds(), "s-plan")
		b.ReportMetric(float64(n)/took.Seconds(), "devices/s")
		b.ReportMetric(took.Seconds(), "s-wall")
		b.StartTimer()
	}
}
