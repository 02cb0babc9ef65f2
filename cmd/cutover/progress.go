package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/urfave/cli/v2"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/cutover-dev/cutover/certify"
	"github.com/cutover-dev/cutover/migrate"
	"github.com/cutover-dev/cutover/webex"
)

// statusEvery is how often a display without a terminal prints its status
// line (CI logs, a pipe): often enough that a long run is never silent.
const statusEvery = 10 * time.Second

// statsSource is what a display reads of a Webex client: its request,
// retry and 429 counters and its current rate limit. *webex.Client has it.
type statsSource interface{ Stats() webex.Stats }

// progressOptions says what a display shows.
type progressOptions struct {
	name  string      // the command: migrate, plan, rollback, demo
	stats statsSource // nil shows no request figures
	rate  float64     // --rate, which the request rate is shown against (0: none)
	now   func() time.Time
}

// display shows a command's progress: on a terminal, mpb bars (one per
// planning phase, one per pipeline step, and an overall bar with elapsed
// time, request rate, retries and 429s); otherwise one plain status line
// every statusEvery. While bars are drawn, log lines go through the bar
// container so they print above the bars instead of through them. It
// implements migrate.Progress and migrate.PlanProgress; a nil *display
// (--quiet) shows nothing.
//
// Its counts follow the engine's Result: a device is failed when a step
// failed, interrupted when the run stopped during a step (Ctrl-C), so that
// the bars and the final summary agree.
type display struct {
	out   io.Writer
	opts  progressOptions
	now   func() time.Time
	start time.Time
	bars  bool
	sink  *logSink // nil: logs are not routed

	// mu guards the counts, which the bars' decorators read while mpb
	// renders: never call mpb while holding it.
	mu                               sync.Mutex
	phase                            string // "plan", "run" or "" (starting, between the two)
	steps                            []migrate.Step
	total, done, failed, interrupted int
	planTotal, planDone              map[migrate.PlanPhase]int
	meter                            rateMeter

	// bmu guards the bars; it is held across mpb calls.
	bmu       sync.Mutex
	p         *mpb.Progress
	overall   *mpb.Bar
	stepBars  map[migrate.Step]*mpb.Bar
	stepFails map[migrate.Step]*atomic.Int64
	planBars  map[migrate.PlanPhase]*mpb.Bar

	lines    *statusLines // without bars: the status line every tick
	stopTick func()       // stops the ticker newProgress made
}

var (
	_ migrate.Progress     = (*display)(nil)
	_ migrate.PlanProgress = (*display)(nil)
)

// newProgress returns the display for a command: bars on stdout when it is
// a terminal, status lines every statusEvery when it is not, and nil with
// --quiet. The caller closes it.
func newProgress(c *cli.Context, o progressOptions) *display {
	if c.Bool(flagQuiet) {
		return nil
	}
	if isTerminal(c.App.Writer) {
		var sink *logSink
		if isTerminal(c.App.ErrWriter) {
			sink = logSinkOf(c)
		}
		return newDisplay(c.App.Writer, o, true, nil, sink)
	}
	t := time.NewTicker(statusEvery)
	d := newDisplay(c.App.Writer, o, false, t.C, nil)
	d.stopTick = t.Stop
	return d
}

// newDisplay starts a display on out; without bars it prints a status line
// on every tick (tests drive tick by hand).
func newDisplay(out io.Writer, o progressOptions, bars bool, tick <-chan time.Time, sink *logSink) *display {
	if o.now == nil {
		o.now = time.Now
	}
	d := &display{out: out, opts: o, now: o.now, bars: bars, sink: sink,
		planTotal: map[migrate.PlanPhase]int{}, planDone: map[migrate.PlanPhase]int{},
	}
	d.start = d.now()
	if o.stats != nil {
		// The first rate shown covers the time since the start.
		d.meter.update(d.start, o.stats.Stats().Requests)
	}
	if bars || tick == nil {
		return d
	}
	d.lines = startStatusLines(out, tick, d.statusLine)
	return d
}

// statusLines prints a command's status line at every tick until ended: the
// progress shown when stdout is not a terminal (migrate, certify, watch).
type statusLines struct {
	stop, done chan struct{}
	once       sync.Once
}

func startStatusLines(out io.Writer, tick <-chan time.Time, line func() string) *statusLines {
	l := &statusLines{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(l.done)
		for {
			select {
			case <-tick:
				fmt.Fprintln(out, line())
			case <-l.stop:
				return
			}
		}
	}()
	return l
}

// end stops the lines and waits until the last one is written; nil, or a
// second call, is a no-op.
func (l *statusLines) end() {
	if l == nil {
		return
	}
	l.once.Do(func() { close(l.stop) })
	<-l.done
}

// progress is d as the engine's Progress: nil when d is (no display).
func (d *display) progress() migrate.Progress {
	if d == nil {
		return nil
	}
	return d
}

// planProgress is d as the planner's PlanProgress: nil when d is.
func (d *display) planProgress() migrate.PlanProgress {
	if d == nil {
		return nil
	}
	return d
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// container starts the bar container if none is up; d.bmu is held.
func (d *display) container() *mpb.Progress {
	if d.p == nil {
		// Auto refresh also draws the final state when out is no terminal (tests).
		d.p = mpb.New(mpb.WithOutput(d.out), mpb.WithRefreshRate(200*time.Millisecond), mpb.WithAutoRefresh())
		if d.sink != nil {
			d.sink.route(d.p)
		}
	}
	return d.p
}

// stopBars ends the bars where they stand and waits for their last frame,
// so that what prints next goes below them; d.bmu is held.
func (d *display) stopBars() {
	if d.p == nil {
		return
	}
	if d.sink != nil {
		d.sink.route(nil)
	}
	// Abort leaves a completed bar alone; the others (devices that failed
	// or were interrupted never reach the later steps) stop where they are.
	for _, b := range d.stepBars {
		b.Abort(false)
	}
	for _, b := range d.planBars {
		b.Abort(false)
	}
	if d.overall != nil {
		d.overall.Abort(false)
	}
	d.p.Wait()
	d.p, d.overall, d.stepBars, d.planBars = nil, nil, nil, nil
}

// PlanPhase starts a planning phase: a bar counting its devices.
func (d *display) PlanPhase(phase migrate.PlanPhase, devices int) {
	if d == nil {
		return
	}
	d.mu.Lock()
	d.phase = "plan"
	d.planTotal[phase], d.planDone[phase] = devices, 0
	d.mu.Unlock()
	if !d.bars || devices == 0 {
		return
	}
	d.bmu.Lock()
	defer d.bmu.Unlock()
	if d.planBars == nil {
		d.planBars = map[migrate.PlanPhase]*mpb.Bar{}
	}
	d.planBars[phase] = d.container().AddBar(int64(devices),
		mpb.PrependDecorators(
			decor.Name(planPhaseLabel(phase), decor.WC{C: decor.DindentRight | decor.DextraSpace, W: 9}),
			decor.CountersNoUnit("%d/%d", decor.WCSyncWidth),
		),
		mpb.AppendDecorators(
			decor.AverageSpeed(0, "%.1f dev/s", decor.WCSyncSpace),
			decor.Any(func(decor.Statistics) string { return " " + d.requestFigures(true) }),
		),
	)
}

func planPhaseLabel(p migrate.PlanPhase) string {
	if p == migrate.PhaseLookup {
		return "look up"
	}
	return string(p)
}

// PlanDone counts a device through a planning phase.
func (d *display) PlanDone(phase migrate.PlanPhase) {
	if d == nil {
		return
	}
	d.mu.Lock()
	d.planDone[phase]++
	d.mu.Unlock()
	d.bmu.Lock()
	bar := d.planBars[phase]
	d.bmu.Unlock()
	if bar != nil {
		bar.Increment()
	}
}

// planEnd stops the planning bars before the plan's summary prints.
func (d *display) planEnd() {
	if d == nil {
		return
	}
	d.bmu.Lock()
	d.stopBars()
	d.bmu.Unlock()
	d.mu.Lock()
	if d.phase == "plan" {
		d.phase = ""
	}
	d.mu.Unlock()
}

// Begin starts the run's bars: one per step, and the overall one.
func (d *display) Begin(steps []migrate.Step, devices int) {
	if d == nil {
		return
	}
	d.bmu.Lock()
	defer d.bmu.Unlock()
	d.stopBars() // a plan's bars, when nothing ended them
	d.mu.Lock()
	d.phase, d.steps, d.total = "run", steps, devices
	d.done, d.failed, d.interrupted = 0, 0, 0
	d.mu.Unlock()
	if !d.bars {
		return
	}
	p := d.container()
	d.stepBars = make(map[migrate.Step]*mpb.Bar, len(steps))
	d.stepFails = make(map[migrate.Step]*atomic.Int64, len(steps))
	for _, s := range steps {
		failed := &atomic.Int64{}
		d.stepFails[s] = failed
		d.stepBars[s] = addBar(p, string(s), devices, "dev", failed)
	}
	d.overall = p.AddBar(int64(devices),
		mpb.BarPriority(len(steps)+1),
		mpb.PrependDecorators(
			decor.Name(d.opts.name, decor.WC{C: decor.DindentRight | decor.DextraSpace, W: 9}),
			decor.CountersNoUnit("%d/%d", decor.WCSyncWidth),
		),
		mpb.AppendDecorators(
			decor.Any(func(decor.Statistics) string {
				d.mu.Lock()
				defer d.mu.Unlock()
				return " " + d.deviceFigures() + ", " + d.requestFiguresLocked(true)
			}),
		),
	)
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

func (d *display) StepStarted(string, migrate.Step) {}

// StepDone counts a device through a step, and the device as done when it
// was the last step, failed when the step failed, interrupted when the run
// stopped during it.
func (d *display) StepDone(_ string, step migrate.Step, err error) {
	if d == nil {
		return
	}
	d.bmu.Lock()
	bar, overall, fails := d.stepBars[step], d.overall, d.stepFails[step]
	d.bmu.Unlock()
	d.mu.Lock()
	var (
		count = true  // the step bar moves
		ended = false // the device left the pipeline
	)
	switch {
	case errors.Is(err, migrate.ErrInterrupted):
		d.interrupted++
		count = false
	case err != nil:
		d.failed++
		if fails != nil {
			fails.Add(1)
		}
		ended = true
	case len(d.steps) > 0 && step == d.steps[len(d.steps)-1]:
		d.done++
		ended = true
	}
	d.mu.Unlock()
	if bar != nil && count {
		bar.Increment()
	}
	if overall != nil && ended {
		overall.Increment()
	}
}

// End stops the run's bars where they stand.
func (d *display) End() {
	if d == nil {
		return
	}
	d.bmu.Lock()
	d.stopBars()
	d.bmu.Unlock()
	d.mu.Lock()
	d.phase = ""
	d.mu.Unlock()
}

// close stops the status lines and any bars; the command's summary prints
// after it.
func (d *display) close() {
	if d == nil {
		return
	}
	d.bmu.Lock()
	d.stopBars()
	d.bmu.Unlock()
	d.lines.end()
	if d.stopTick != nil {
		d.stopTick()
	}
}

// statusLine is the line printed every statusEvery without a terminal, e.g.
//
//	migrate: 812/2000 devices, 3 failed, 94 req/s of 100, 2 retries, 0 429s, elapsed 1m10s
func (d *display) statusLine() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var b strings.Builder
	b.WriteString(d.opts.name)
	b.WriteString(": ")
	switch d.phase {
	case "plan":
		if d.opts.name != "plan" {
			b.WriteString("planning, ")
		}
		fmt.Fprintf(&b, "%d/%d devices resolved", d.planDone[migrate.PhaseResolve], d.planTotal[migrate.PhaseResolve])
		if n := d.planTotal[migrate.PhaseLookup]; n > 0 {
			fmt.Fprintf(&b, ", %d/%d in use looked up", d.planDone[migrate.PhaseLookup], n)
		}
	case "run":
		fmt.Fprintf(&b, "%d/%d devices, %s", d.done+d.failed, d.total, d.deviceFigures())
	default:
		b.WriteString("starting")
	}
	if r := d.requestFiguresLocked(false); r != "" {
		b.WriteString(", ")
		b.WriteString(r)
	}
	fmt.Fprintf(&b, ", elapsed %s", d.now().Sub(d.start).Round(time.Second))
	return b.String()
}

// deviceFigures reads "3 failed" (and "2 interrupted" after Ctrl-C); d.mu is held.
func (d *display) deviceFigures() string {
	s := fmt.Sprintf("%d failed", d.failed)
	if d.interrupted > 0 {
		s += fmt.Sprintf(", %d interrupted", d.interrupted)
	}
	return s
}

// requestFigures reads "94 req/s of 100, 2 retries, 0 429s" (and the
// elapsed time on a bar), or "" without a client.
func (d *display) requestFigures(elapsed bool) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.requestFiguresLocked(elapsed)
}

func (d *display) requestFiguresLocked(elapsed bool) string {
	var parts []string
	if d.opts.stats != nil {
		st := d.opts.stats.Stats()
		r := fmt.Sprintf("%.0f req/s", d.meter.update(d.now(), st.Requests))
		if d.opts.rate > 0 {
			r += fmt.Sprintf(" of %g", d.opts.rate)
			if st.Rate < d.opts.rate*0.99 {
				r += fmt.Sprintf(" (slowed to %.1f)", st.Rate)
			}
		}
		parts = append(parts, r, fmt.Sprintf("%d retries", st.Retries), fmt.Sprintf("%d 429s", st.RateLimited))
	}
	if elapsed {
		parts = append(parts, d.now().Sub(d.start).Round(time.Second).String())
	}
	return strings.Join(parts, ", ")
}

// rateMeter turns a growing request count into a rate over the last
// second or more.
type rateMeter struct {
	t    time.Time
	n    int64
	rate float64
}

func (m *rateMeter) update(now time.Time, n int64) float64 {
	if m.t.IsZero() {
		m.t, m.n = now, n
		return 0
	}
	if dt := now.Sub(m.t); dt >= time.Second {
		m.rate = float64(n-m.n) / dt.Seconds()
		m.t, m.n = now, n
	}
	return m.rate
}

// logSink is where a command's logs go: stderr, or, while bars are drawn on
// the same terminal, the bar container, which prints them above the bars
// instead of through them.
type logSink struct {
	mu    sync.Mutex
	w     io.Writer
	above io.Writer
}

func (s *logSink) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.above != nil {
		if _, err := s.above.Write(b); err == nil {
			return len(b), nil
		}
	}
	return s.w.Write(b)
}

// route sends logs through w (nil: back to stderr).
func (s *logSink) route(w io.Writer) {
	s.mu.Lock()
	s.above = w
	s.mu.Unlock()
}

const metadataLogSink = "logsink"

// logSinkOf returns the app's log sink (newApp makes it).
func logSinkOf(c *cli.Context) *logSink {
	if s, ok := c.App.Metadata[metadataLogSink].(*logSink); ok {
		return s
	}
	return &logSink{w: c.App.ErrWriter}
}

// certifyProgress shows a certification: on a terminal one bar of results
// (one per device and case) out of devices × cases, cases/s, ETA and
// failures; otherwise a status line every statusEvery.
type certifyProgress struct {
	p      *mpb.Progress
	bar    *mpb.Bar
	total  int
	done   atomic.Int64
	failed atomic.Int64
	sink   *logSink

	// Without a terminal: the status lines.
	now      func() time.Time
	start    time.Time
	lines    *statusLines
	stopTick func()
}

// newCertifyProgress starts the display on c's stdout, or returns nil when
// --quiet is on.
func newCertifyProgress(c *cli.Context, total int) *certifyProgress {
	if c.Bool(flagQuiet) {
		return nil
	}
	if !isTerminal(c.App.Writer) {
		t := time.NewTicker(statusEvery)
		cp := startCertifyStatus(c.App.Writer, total, t.C, time.Now)
		cp.stopTick = t.Stop
		return cp
	}
	var sink *logSink
	if isTerminal(c.App.ErrWriter) {
		sink = logSinkOf(c)
	}
	return startCertifyProgress(c.App.Writer, total, sink)
}

func startCertifyProgress(w io.Writer, total int, sink *logSink) *certifyProgress {
	cp := &certifyProgress{p: mpb.New(mpb.WithOutput(w), mpb.WithRefreshRate(200*time.Millisecond), mpb.WithAutoRefresh()), sink: sink, total: total}
	cp.bar = addBar(cp.p, "certify", total, "cases", &cp.failed)
	if sink != nil {
		sink.route(cp.p)
	}
	return cp
}

// startCertifyStatus prints a status line on w at every tick.
func startCertifyStatus(w io.Writer, total int, tick <-chan time.Time, now func() time.Time) *certifyProgress {
	cp := &certifyProgress{total: total, now: now, start: now()}
	cp.lines = startStatusLines(w, tick, cp.statusLine)
	return cp
}

// statusLine reads e.g. "certify: 1200/26000 cases, 3 failed, elapsed 1m10s".
func (cp *certifyProgress) statusLine() string {
	return fmt.Sprintf("certify: %d/%d cases, %d failed, elapsed %s",
		cp.done.Load(), cp.total, cp.failed.Load(), cp.now().Sub(cp.start).Round(time.Second))
}

// result counts one result; certify calls it from its workers.
func (cp *certifyProgress) result(r certify.Result) {
	if cp == nil {
		return
	}
	if r.Outcome == certify.Fail {
		cp.failed.Add(1)
	}
	cp.done.Add(1)
	if cp.bar != nil {
		cp.bar.Increment()
	}
}

// end stops the bar where it stands (an interrupted run) and waits for the
// last frame, so that the summary prints below it; or stops the status
// lines.
func (cp *certifyProgress) end() {
	if cp == nil {
		return
	}
	if cp.lines != nil {
		cp.lines.end()
		if cp.stopTick != nil {
			cp.stopTick()
		}
		return
	}
	if cp.sink != nil {
		cp.sink.route(nil)
	}
	cp.bar.Abort(false)
	cp.p.Wait()
}
