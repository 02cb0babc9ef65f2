//go:build linux

package peakmem

import (
	"testing"
)

var big []byte

func TestPeakRSSStartsAgainAfterReset(t *testing.T) {
	const size = 256 << 20
	big = make([]byte, size)
	for i := 0; i < len(big); i += 4096 {
		big[i] = 1 // resident, page by page
	}
	held := PeakRSS()
	big = nil
	if held < size {
		t.Fatalf("peak RSS %d MB while 256 MB were resident", held>>20)
	}
	if !ResetRSS() {
		t.Fatal("the kernel refused to reset the peak (/proc/self/clear_refs)")
	}
	// A quarter, not all of it: under the race detector the heap's shadow
	// memory stays resident after the heap is returned.
	if after := PeakRSS(); after > held-size/4 {
		t.Fatalf("peak RSS %d MB after the 256 MB were freed and the peak reset, %d MB before", after>>20, held>>20)
	}
}
