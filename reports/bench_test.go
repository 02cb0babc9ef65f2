package reports

import (
	"io"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/cutover-dev/cutover/internal/peakmem"
)

// peakHeap samples the live heap every 20 ms until stop is called and
// returns the highest value seen, in MiB.
func peakHeap() (stop func() float64) {
	s := peakmem.Sample(20*time.Millisecond, nil)
	return func() float64 { return float64(s().Heap) / (1 << 20) }
}

// heapNow is the live heap after a collection, in MiB: the baseline that
// peak figures are compared with.
func heapNow() float64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.HeapInuse) / (1 << 20)
}

// countingWriter counts the bytes of a report without keeping them.
type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

var _ io.Writer = (*countingWriter)(nil)

// benchData is the model of a 100,000-device run, built once per process.
var benchData = sync.OnceValue(func() *Data { return synth(100_000, 99).data() })

// BenchmarkReportXLSX100k writes the workbook of a 100,000-device run
// (Devices, Lines per member, Certification, Errors). Goal: under 15 s and
// 500 MB.
func BenchmarkReportXLSX100k(b *testing.B) {
	d := benchData()
	rows := 0
	for _, dev := range d.Devices {
		rows += 1 + max(1, len(dev.Members))
		if dev.Outcomes != nil {
			rows++
		}
	}
	rows += len(d.Failures)
	b.ResetTimer()
	for b.Loop() {
		base := heapNow()
		stop := peakHeap()
		start := time.Now()
		var w countingWriter
		if err := WriteXLSX(&w, d); err != nil {
			b.Fatal(err)
		}
		el := time.Since(start)
		peak := stop()
		b.ReportMetric(float64(rows)/el.Seconds(), "rows/s")
		b.ReportMetric(peak, "peak-heap-MB")
		b.ReportMetric(peak-base, "writer-heap-MB")
		b.ReportMetric(float64(w.n)/(1<<20), "file-MB")
		b.ReportMetric(float64(rows), "rows")
	}
}

// BenchmarkReportHTML100k writes the HTML report of the same run.
func BenchmarkReportHTML100k(b *testing.B) {
	d := benchData()
	b.ResetTimer()
	for b.Loop() {
		base := heapNow()
		stop := peakHeap()
		var w countingWriter
		start := time.Now()
		if err := WriteHTML(&w, d); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(len(d.Devices))/time.Since(start).Seconds(), "devices/s")
		peak := stop()
		b.ReportMetric(peak, "peak-heap-MB")
		b.ReportMetric(peak-base, "writer-heap-MB")
		b.ReportMetric(float64(w.n)/(1<<20), "file-MB")
	}
}

// BenchmarkBuild100k replays the journal and results of a 100,000-device
// run (about 1.4 M events and 1.2 M results) into the report model.
func BenchmarkBuild100k(b *testing.B) {
	run := synth(100_000, 99)
	events := len(run.Events) + len(run.Results)
	b.ResetTimer()
	for b.Loop() {
		base := heapNow()
		stop := peakHeap()
		start := time.Now()
		d := Build(run.Plan, run.Events, run.Results, fixedNow)
		b.ReportMetric(float64(events)/time.Since(start).Seconds(), "records/s")
		peak := stop()
		b.ReportMetric(peak, "peak-heap-MB")
		b.ReportMetric(peak-base, "build-heap-MB")
		if len(d.Devices) != 100_000 {
			b.Fatal(len(d.Devices))
		}
	}
}

// BenchmarkWriteAll100k writes the three reports of the same run to files,
// as every command does at its end: the time, and the peak heap with the
// writers at work (one after another at this size, see WriteAll).
func BenchmarkWriteAll100k(b *testing.B) { benchWriteAll(b, benchData()) }

// BenchmarkWriteAll10k is the same at 10,000 devices, where the three are
// written at once.
func BenchmarkWriteAll10k(b *testing.B) { benchWriteAll(b, synth(10_000, 99).data()) }

func benchWriteAll(b *testing.B, d *Data) {
	b.ResetTimer()
	for b.Loop() {
		dir := b.TempDir()
		base := heapNow()
		stop := peakHeap()
		start := time.Now()
		if err := WriteAll(dir, d, Paths{}); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(time.Since(start).Seconds(), "s")
		peak := stop()
		b.ReportMetric(peak, "peak-heap-MB")
		b.ReportMetric(peak-base, "writers-heap-MB")
	}
}

// BenchmarkLoad100k reads a 100,000-device run directory (the plan, about
// 1.4 M journal events and 1.2 M results) into the report model, as
// `cutover report --run` and every command's closing reports do.
func BenchmarkLoad100k(b *testing.B) {
	dir := b.TempDir()
	synth(100_000, 99).writeRun(b, dir)
	benchLoad(b, func() (*Data, error) { return Load(dir) })
}

// BenchmarkLoadRuns100k is Load100k's run split into 20 shard directories
// and merged back, as `cutover report --out DIR --run A --run B ...` does
// after a sharded run (BenchmarkDemo100k ends with it).
func BenchmarkLoadRuns100k(b *testing.B) {
	dirs := writeShards(b, splitRun(synth(100_000, 99), 20))
	benchLoad(b, func() (*Data, error) { return LoadRuns(dirs) })
}

// benchLoad times load, a read of 100,000 devices' run data into the model,
// and reports its peak heap.
func benchLoad(b *testing.B, load func() (*Data, error)) {
	b.ResetTimer()
	for b.Loop() {
		base := heapNow()
		stop := peakHeap()
		start := time.Now()
		d, err := load()
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(time.Since(start).Seconds(), "s")
		peak := stop()
		b.ReportMetric(peak, "peak-heap-MB")
		b.ReportMetric(peak-base, "load-heap-MB")
		if len(d.Devices) != 100_000 {
			b.Fatal(len(d.Devices))
		}
	}
}
