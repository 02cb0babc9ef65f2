package publish

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/cutover-dev/cutover/render"
)

// benchDevices builds n devices spread over the vendor families, two lines
// each (four ports for gateways).
func benchDevices(n int) []render.Device {
	makes := map[string][2]string{
		render.VendorYealink: {"Yealink", "T57W"}, render.VendorPoly: {"Poly", "VVX450"},
		render.VendorGrandstream: {"Grandstream", "GRP2614"}, render.VendorAudioCodes: {"AudioCodes", "MP-114"},
		render.VendorGeneric: {"Acme", "SIP-1"},
	}
	devs := make([]render.Device, n)
	for i := range devs {
		v := render.Vendors[i%len(render.Vendors)]
		mac := fmt.Sprintf("0A%010X", i)
		info := render.DeviceInfo{MAC: mac, Model: makes[v][1], SIPUserName: fmt.Sprintf("acme_%06d", i),
			OutboundProxy: "la01.sipconnect-us10.cisco-bcld.com", Domain: "acme123.calls.webex.com"}
		lines := 2
		if v == render.VendorAudioCodes {
			lines = 4
		}
		for p := 1; p <= lines; p++ {
			info.Lines = append(info.Lines, render.LineInfo{Port: p, LinePort: fmt.Sprintf("u%06d_%d@acme123.calls.webex.com", i, p), DisplayName: fmt.Sprintf("User %d", i)})
		}
		devs[i] = render.Device{Info: info, Make: makes[v][0], Model: makes[v][1], Vendor: v, Password: fmt.Sprintf("Pw!%08dXy", i)}
	}
	return devs
}

// BenchmarkRenderPublish100k renders 100,000 devices and publishes their
// configs to a fresh directory, the way a large wave ends.
func BenchmarkRenderPublish100k(b *testing.B) {
	const n = 100_000
	devs := benchDevices(n)
	r, err := render.New()
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		target, err := Open("dir://" + b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start, cpu0 := time.Now(), cpuTime()
		// One worker per CPU, each rendering a share of the devices: a
		// goroutine per device would grow a fresh stack for every template.
		perDev := make([][]render.File, n)
		var next atomic.Int64
		g := errgroup.Group{}
		for range runtime.GOMAXPROCS(0) {
			g.Go(func() error {
				for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
					files, err := r.Render(devs[i])
					if err != nil {
						return err
					}
					perDev[i] = files
				}
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			b.Fatal(err)
		}
		rendered := time.Since(start)
		files := make([]render.File, 0, n*6/5)
		for _, f := range perDev {
			files = append(files, f...)
		}
		res, err := target.Publish(context.Background(), files)
		if err != nil {
			b.Fatal(err)
		}
		if res.Written != len(files) {
			b.Fatalf("wrote %d of %d", res.Written, len(files))
		}
		total := time.Since(start)
		b.ReportMetric(float64(n)/total.Seconds(), "configs/s")
		b.ReportMetric(rendered.Seconds(), "render-s")
		b.ReportMetric((total - rendered).Seconds(), "publish-s")
		b.ReportMetric(float64(len(files)), "files")
		// The machine may be shared: CPU time tells the cost apart from waiting.
		b.ReportMetric((cpuTime() - cpu0).Seconds(), "cpu-s")
	}
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
