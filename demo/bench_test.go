package demo

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cutover-dev/cutover/certify"
	"github.com/cutover-dev/cutover/internal/peakmem"
	"github.com/cutover-dev/cutover/reports"
	"github.com/cutover-dev/cutover/shard"
)

// BenchmarkDemo1000 and BenchmarkDemo2500 are BenchmarkDemo5000 on smaller
// fleets: together they give what one more device costs, in memory and
// time, apart from what any demo costs (BENCHMARKS.md). Each run's figures
// are its own, also when they run in one process (beginRun).
func BenchmarkDemo1000(b *testing.B) { benchDemo(b, 1000) }
func BenchmarkDemo2500(b *testing.B) { benchDemo(b, 2500) }

// BenchmarkDemo5000 runs the whole demo on 5,000 generated devices and
// reports its peak memory: the heap and stacks in use, sampled every 20 ms,
// and the process's peak RSS during the run. With
// CUTOVER_DEMO_HEAPPROFILE=FILE it also writes a heap profile taken near
// the peak.
func BenchmarkDemo5000(b *testing.B) { benchDemo(b, 5000) }

// BenchmarkDemo100k is the same on 100,000 devices: minutes of CPU and
// gigabytes of memory, so it runs only when CUTOVER_BENCH_DEMO100K=1 (make
// bench lists it as skipped; make test and make race run no benchmarks).
// Command and figures: BENCHMARKS.md, End to end.
//
// Each device's connection has both ends in this process, and the fleet
// fails over and back together: about three descriptors per device at
// once. Where the process may not open that many (ulimit -Hn), the fleet
// runs as shards instead, one after another in this process, each in its
// own run directory with its own lab and at most a quarter as many devices
// as the process may open files, and the shards' directories are merged
// into one report as `cutover report --run A --run B ...` does: the way
// issue 15 splits a program bigger than one machine. (Ports are not the
// limit: the demo spreads a fleet over one loopback source address per
// DevicesPerSource devices.)
func BenchmarkDemo100k(b *testing.B) {
	if os.Getenv("CUTOVER_BENCH_DEMO100K") != "1" {
		b.Skip("set CUTOVER_BENCH_DEMO100K=1 to run the 100,000-device demo")
	}
	const n = 100_000
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		b.Fatal(err)
	}
	if lim.Max >= 3*n {
		benchDemo(b, n)
		return
	}
	per := int(lim.Max / 4)
	shards := (n + per - 1) / per
	b.Logf("%d devices need about %d open files and this process may open %d: running them as %d shards of about %d, one after another", n, 3*n, lim.Max, shards, n/shards)
	benchDemoShards(b, n, shards)
}

// benchDemoShards runs the demo of n devices as the given number of shards
// in turn, then merges their run directories into one report.
func benchDemoShards(b *testing.B, n, shards int) {
	for b.Loop() {
		root, stop := beginRun(b)
		t0 := time.Now()
		dirs := make([]string, shards)
		var slowest time.Duration
		for k := range shards {
			dirs[k] = filepath.Join(root, fmt.Sprintf("shard-%d", k))
			sh := shard.Spec{K: k, N: shards}
			ts := time.Now()
			sum, err := Run(context.Background(), Options{Dir: dirs[k], Devices: n, Shard: sh})
			took := time.Since(ts)
			if err != nil {
				b.Fatalf("shard %s: %v", sh, err)
			}
			mustPass(b, "shard "+sh.String(), dirs[k], sum, sum.Devices)
			slowest = max(slowest, took)
			b.Logf("shard %s: %d devices in %.1f s; %s", sh, sum.Devices, took.Seconds(), reports.FleetLine(sum.Failover, sum.Failback))
		}
		shardsTook := time.Since(t0)
		tm := time.Now()
		var d *reports.Data
		if _, err := reports.GenerateRuns(dirs, filepath.Join(root, "merged"), reports.WithLoaded(func(x *reports.Data) { d = x })); err != nil {
			b.Fatal(err)
		}
		mergeTook := time.Since(tm)
		took := time.Since(t0)
		b.StopTimer()
		peak := stop()
		rss := float64(peakmem.PeakRSS()) / (1 << 20)
		if d.Summary.Planned != n || len(d.Devices) != n || d.Summary.Certified != n {
			b.Fatalf("the shards planned %d devices and the merged report holds %d (%d certified), want %d", d.Summary.Planned, len(d.Devices), d.Summary.Certified, n)
		}
		b.Logf("%d shards in %.1f s (slowest %.1f s), merged report of %d devices in %.1f s; %s (%d outages); peak heap+stacks %.0f MB (%s), peak RSS %.0f MB",
			shards, shardsTook.Seconds(), slowest.Seconds(), len(d.Devices), mergeTook.Seconds(),
			reports.FleetLine(d.FleetFailover, d.FleetFailback), d.FleetFailover.Outages, peak/(1<<20), atPeak.Load(), rss)
		b.ReportMetric(mergeTook.Seconds(), "s-merge")
		reportRun(b, n, peak, rss, took)
	}
}

func benchDemo(b *testing.B, n int) {
	for b.Loop() {
		dir, stop := beginRun(b)
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
		rss := float64(peakmem.PeakRSS()) / (1 << 20)
		phase := "certifying"
		switch at := peakAt.Load(); {
		case at < first.Load():
			phase = "migrating"
		case at > last.Load():
			phase = "writing reports"
		}
		b.Logf("peak heap+stacks %.0f MB while %s (%s), peak RSS %.0f MB, %.1f s", peak/(1<<20), phase, atPeak.Load(), rss, took.Seconds())
		mustPass(b, "demo", dir, sum, n)
		reportRun(b, n, peak, rss, took)
	}
}

// mustPass stops the benchmark, with the causes of its failures, unless the
// demo (what) in dir passed and certified want devices.
func mustPass(b *testing.B, what, dir string, sum *Summary, want int) {
	if sum.Passed() && sum.Certified == want {
		return
	}
	if d, err := reports.Load(dir); err == nil {
		logFailures(b, d)
	}
	b.Fatalf("%s did not pass: %d of %d certified, %d of %d cases failed", what, sum.Certified, want, sum.CasesFail, sum.Cases)
}

// beginRun starts one measured demo run: a new directory, a collection and
// the process's peak RSS started again (peakmem.ResetRSS) before the timer
// runs, and the peak sampler (stop returns the peak in bytes).
func beginRun(b *testing.B) (dir string, stop func() float64) {
	b.StopTimer()
	dir = b.TempDir()
	if !peakmem.ResetRSS() {
		b.Log("the peak RSS could not be reset: it is the process's since it started")
	}
	stop = samplePeak(os.Getenv("CUTOVER_DEMO_HEAPPROFILE"))
	b.StartTimer()
	return dir, stop
}

// reportRun reports a demo run of n devices (peak in bytes, rss in MB) and
// starts the timer again.
func reportRun(b *testing.B, n int, peak, rss float64, took time.Duration) {
	b.ReportMetric(peak/(1<<20), "MB-peak-heap")
	b.ReportMetric(rss, "MB-peak-RSS")
	b.ReportMetric(took.Seconds(), "s-wall")
	b.ReportMetric(float64(n)/took.Seconds(), "devices/s")
	b.StartTimer()
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
