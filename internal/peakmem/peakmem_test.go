package peakmem

import (
	"runtime"
	"testing"
	"time"
)

var keep [][]byte

func TestSampleSeesAnAllocationThatIsGone(t *testing.T) {
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	peaks := 0
	stop := Sample(time.Millisecond, func(*runtime.MemStats) { peaks++ })
	// 64 MB held until after the final reading at stop, then dropped.
	for range 64 {
		keep = append(keep, make([]byte, 1<<20))
	}
	p := stop()
	keep = nil
	if p.Heap < before.HeapInuse+60<<20 || p.HeapStacks < p.Heap {
		t.Fatalf("peak %+v after holding 64 MB over a heap of %d", p, before.HeapInuse)
	}
	if peaks == 0 {
		t.Fatal("onPeak never called")
	}
}
