package inventory

import (
	"bufio"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/cutover-dev/cutover/fixtures"
	"github.com/cutover-dev/cutover/internal/peakmem"
)

// BenchmarkReadValidate100k parses and validates a generated 100,000-device
// workbook (generation is not timed). With -benchtime 1x one iteration is
// the whole job; it reports rows/s and the peak heap in use while reading.
func BenchmarkReadValidate100k(b *testing.B) {
	const n = 100_000
	path := filepath.Join(b.TempDir(), "inventory-100k.xlsx")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	if err := fixtures.Generate(w, n, 1); err != nil {
		b.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)

	stop := peakmem.Sample(10*time.Millisecond, nil)
	b.ResetTimer()
	cpu0 := cpuTime()
	start := time.Now()
	for b.Loop() {
		inv, err := Read(path, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if len(inv.Devices) != n || !inv.Valid() {
			b.Fatalf("%d devices, %d problems", len(inv.Devices), len(inv.Problems))
		}
	}
	elapsed := time.Since(start)
	cpu := cpuTime() - cpu0
	b.StopTimer()
	peak := stop()
	b.ReportMetric(float64(n*b.N)/elapsed.Seconds(), "rows/s")
	b.ReportMetric(float64(peak.Heap)/(1<<20), "peak-heap-MB")
	// CPU seconds (user+system, every goroutine) per iteration: unlike wall
	// time, it does not grow when other processes share the machine.
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
}
