package render

import (
	"testing"
	"time"
)

// BenchmarkRender renders 10,000 devices (2,000 of each vendor family) in
// one goroutine per iteration and reports devices rendered per second.
func BenchmarkRender(b *testing.B) {
	r, err := New()
	if err != nil {
		b.Fatal(err)
	}
	s := samples()
	devs := []Device{s[VendorYealink], s[VendorPoly], s[VendorGrandstream], s[VendorAudioCodes], s[VendorGeneric]}
	const n = 10_000
	b.ReportAllocs()
	for b.Loop() {
		start := time.Now()
		for i := range n {
			if _, err := r.Render(devs[i%len(devs)]); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(n/time.Since(start).Seconds(), "devices/s")
	}
}
