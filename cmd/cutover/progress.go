package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/urfave/cli/v2"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/cutover-dev/cutover/certify"
	"github.com/cutover-dev/cutover/migrate"
)

// barProgress draws one bar per pipeline step with mpb: devices through the
// step, devices/s, ETA and failures. It implements migrate.Progress.
type barProgress struct {
	w     io.Writer
	p     *mpb.Progress
	mu    sync.Mutex
	bars  map[migrate.Step]*mpb.Bar
	fails map[migrate.Step]*atomic.Int64
}

// newProgress returns the progress display for a command: bars on stdout when
// it is a terminal and --quiet is off, nothing otherwise (the migrate package's
// silent default).
func newProgress(c *cli.Context) migrate.Progress {
	if c.Bool(flagQuiet) || !isTerminal(c.App.Writer) {
		return nil
	}
	return &barProgress{w: c.App.Writer}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func (b *barProgress) Begin(steps []migrate.Step, devices int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	// Auto refresh also draws the final state when w is no terminal (tests).
	b.p = mpb.New(mpb.WithOutput(b.w), mpb.WithRefreshRate(200*time.Millisecond), mpb.WithAutoRefresh())
	b.bars = make(map[migrate.Step]*mpb.Bar, len(steps))
	b.fails = make(map[migrate.Step]*atomic.Int64, len(steps))
	for _, s := range steps {
		failed := &atomic.Int64{}
		b.fails[s] = failed
		b.bars[s] = addBar(b.p, string(s), devices, "dev", failed)
	}
}

// addBar adds a bar named name counting to total: done/total, the average
// rate in unit/s, the ETA (then "done") and the failures counted in failed.
func addBar(p *mpb.Progress, name string, total int, unit string, failed *atomic.Int64) *mpb.Bar {
	return p.AddBar(int64(total),
		mpb.PrependDecorators(
			decor.Name(name, decor.WC{C: decor.DindentRight | decor.DextraSpace, W: 9}),
			decor.CountersNoUnit("%d/%d", decor.WCSyncWidth),
		),
		mpb.AppendDecorators(
			decor.AverageSpeed(0, "%.1f "+unit+"/s", decor.WCSyncSpace),
			decor.OnComplete(decor.AverageETA(decor.ET_STYLE_GO, decor.WCSyncSpace), " done"),
			decor.Any(func(decor.Statistics) string {
				if n := failed.Load(); n > 0 {
					return fmt.Sprintf(" %d failed", n)
				}
				return ""
			}),
		),
	)
}

func (b *barProgress) StepStarted(string, migrate.Step) {}

func (b *barProgress) StepDone(_ string, step migrate.Step, err error) {
	b.mu.Lock()
	bar, failed := b.bars[step], b.fails[step]
	b.mu.Unlock()
	if bar == nil {
		return
	}
	if err != nil {
		failed.Add(1)
	}
	bar.Increment()
}

func (b *barProgress) End() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.p == nil {
		return
	}
	// Devices that failed (or were interrupted) never reach the later
	// steps: end those bars where they stand.
	// Abort leaves a completed bar alone.
	for _, bar := range b.bars {
		bar.Abort(false)
	}
	b.p.Wait()
	b.p = nil
}

// certifyProgress draws one bar for a certification: results (one per device
// and case) out of devices × cases, cases/s, ETA and failures.
type certifyProgress struct {
	p      *mpb.Progress
	bar    *mpb.Bar
	failed atomic.Int64
}

// newCertifyProgress starts the bar on c's stdout, or returns nil when
// --quiet is on or stdout is not a terminal.
func newCertifyProgress(c *cli.Context, total int) *certifyProgress {
	if c.Bool(flagQuiet) || !isTerminal(c.App.Writer) {
		return nil
	}
	return startCertifyProgress(c.App.Writer, total)
}

func startCertifyProgress(w io.Writer, total int) *certifyProgress {
	cp := &certifyProgress{p: mpb.New(mpb.WithOutput(w), mpb.WithRefreshRate(200*time.Millisecond), mpb.WithAutoRefresh())}
	cp.bar = addBar(cp.p, "certify", total, "cases", &cp.failed)
	return cp
}

// result counts one result; certify calls it from its workers.
func (cp *certifyProgress) result(r certify.Result) {
	if cp == nil {
		return
	}
	if r.Outcome == certify.Fail {
		cp.failed.Add(1)
	}
	cp.bar.Increment()
}

// end stops the bar where it stands (an interrupted run) and waits for the
// last frame, so that the summary prints below it.
func (cp *certifyProgress) end() {
	if cp == nil {
		return
	}
	cp.bar.Abort(false)
	cp.p.Wait()
}
