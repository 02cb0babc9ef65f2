// Package peakmem samples the Go runtime's memory while a benchmark runs and
// reports the peak, for figures like "126 MB peak" in BENCHMARKS.md.
package peakmem

import (
	"runtime"
	"sync"
	"time"
)

// Peak is the highest memory a sampling saw, in bytes.
type Peak struct {
	Heap       uint64 // HeapInuse
	HeapStacks uint64 // HeapInuse + StackInuse
}

// Sample reads runtime.MemStats at once, every interval, and once more when
// stop is called; stop returns the peaks. onPeak, when not nil, is called
// from the sampling goroutine with every reading that raises HeapStacks.
// Each reading stops the world briefly: keep interval at a few ms or more.
func Sample(interval time.Duration, onPeak func(*runtime.MemStats)) (stop func() Peak) {
	var (
		mu   sync.Mutex
		peak Peak
		ms   runtime.MemStats
	)
	read := func() {
		mu.Lock()
		defer mu.Unlock()
		runtime.ReadMemStats(&ms)
		peak.Heap = max(peak.Heap, ms.HeapInuse)
		if v := ms.HeapInuse + ms.StackInuse; v > peak.HeapStacks {
			peak.HeapStacks = v
			if onPeak != nil {
				onPeak(&ms)
			}
		}
	}
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			read()
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() Peak {
		close(done)
		<-finished
		read()
		mu.Lock()
		defer mu.Unlock()
		return peak
	}
}
