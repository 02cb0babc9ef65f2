package demo

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cutover-dev/cutover/certify"
	"github.com/cutover-dev/cutover/internal/peakmem"
	"github.com/cutover-dev/cutover/reports"
)

// BenchmarkDemo5000 runs the whole demo on 5,000 generated devices and
// reports its peak memory: the heap and stacks in use, sampled every 20 ms,
// and the process's peak RSS. With CUTOVER_DEMO_HEAPPROFILE=FILE it also
// writes a heap profile taken near the peak.
func BenchmarkDemo5000(b *testing.B) { benchDemo(b, 5000) }

// BenchmarkDemo100k is the same on 100,000 devices: minutes of CPU and
// gigabytes of memory, so it runs only when CUTOVER_BENCH_DEMO100K=1 (make
// bench lists it as skipped; make test and make race run no benchmarks).
// Command and figures: BENCHMARKS.md, End to end.
func BenchmarkDemo100k(b *testing.B) {
	if os.Getenv("CUTOVER_BENCH_DEMO100K") != "1" {
		b.Skip("set CUTOVER_BENCH_DEMO100K=1 to run the 100,000-device demo")
	}
	const n = 100_000
	// Each device's connection has both ends in this process, and the
	// fleet fails over and back together: about two descriptors per device
	// at once, more during the moves. Say so before starting rather than
	// fail half-way with "too many open files". (Ports are not the limit:
	// the demo spreads the fleet over one loopback source address per
	// DevicesPerSource devices.)
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil && lim.Max < 3*n {
		b.Fatalf("%d devices need about %d open files; this process may open %d (raise the hard limit: ulimit -Hn)", n, 3*n, lim.Max)
	}
	benchDemo(b, n)
}

func benchDemo(b *testing.B, n int) {
	for b.Loop() {
		b.StopTimer()
		dir := b.TempDir()
		runtime.GC()
		stop := samplePeak(os.Getenv("CUTOVER_DEMO_HEAPPROFILE"))
		b.StartTimer()
		t0 := time.Now()
		var first, last atomic.Int64
		sum, err := Run(context.Background(), Options{Dir: dir, Devices: n, OnResult: func(certify.Result) {
			now := time.Now().UnixNano()
			first.CompareAndSwap(0, now)
			last.Store(now)
		}})
		took := time.Since(t0)
		b.StopTimer()
		peak := stop()
		if err != nil {
			b.Fatal(err)
		}
		rss := float64(maxRSS()) / (1 << 20)
		phase := "certifying"
		switch at := peakAt.Load(); {
		case at < first.Load():
			phase = "migrating"
		case at > last.Load():
			phase = "writing reports"
		}
		b.Logf("peak heap+stacks %.0f MB while %s (%s), peak RSS %.0f MB, %.1f s", peak/(1<<20), phase, atPeak.Load(), rss, took.Seconds())
		if !sum.Passed() || sum.Certified != n {
			if d, err := reports.Load(dir); err == nil {
				logFailures(b, d)
			}
			b.Fatalf("demo did not pass: %d certified, %d of %d cases failed", sum.Certified, sum.CasesFail, sum.Cases)
		}
		b.ReportMetric(peak/(1<<20), "MB-peak-heap")
		b.ReportMetric(rss, "MB-peak-RSS")
		b.ReportMetric(took.Seconds(), "s-wall")
		b.ReportMetric(float64(n)/took.Seconds(), "devices/s")
		b.StartTimer()
	}
}

// atPeak describes the memory at the last peak samplePeak saw.
var (
	atPeak atomic.Value
	peakAt atomic.Int64
)

// samplePeak samples HeapInuse+StackInuse every 20 ms until stop is called
// and returns the peak in bytes; with a profile path it writes a heap profile
// whenever the peak grows by a tenth.
func samplePeak(profile string) (stop func() float64) {
	atPeak.Store("")
	var profiled uint64
	s := peakmem.Sample(20*time.Millisecond, func(ms *runtime.MemStats) {
		peakAt.Store(time.Now().UnixNano())
		atPeak.Store(fmt.Sprintf("heap in use %d MB (allocated %d MB), stacks %d MB, %d goroutines",
			ms.HeapInuse>>20, ms.HeapAlloc>>20, ms.StackInuse>>20, runtime.NumGoroutine()))
		if v := ms.HeapInuse + ms.StackInuse; profile != "" && v > profiled+profiled/10 {
			profiled = v
			if f, err := os.Create(profile); err == nil {
				_ = pprof.Lookup("heap").WriteTo(f, 0)
				f.Close()
			}
		}
	})
	return func() float64 { return float64(s().HeapStacks) }
}
