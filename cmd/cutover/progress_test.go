package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cutover-dev/cutover/certify"
	"github.com/cutover-dev/cutover/internal/labtool"
	"github.com/cutover-dev/cutover/migrate"
	"github.com/cutover-dev/cutover/webex"
)

// fakeStats is a Webex client's counters, set by hand.
type fakeStats struct {
	mu sync.Mutex
	s  webex.Stats
}

func (f *fakeStats) Stats() webex.Stats { f.mu.Lock(); defer f.mu.Unlock(); return f.s }
func (f *fakeStats) set(s webex.Stats)  { f.mu.Lock(); f.s = s; f.mu.Unlock() }

// fakeClock is a clock the test moves.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// runDevices plays n devices through steps on p: device fail fails at
// failStep, device stop is interrupted at its first step.
func runDevices(p migrate.Progress, steps []migrate.Step, n, fail int, failStep migrate.Step, stop int) {
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mac := fmt.Sprintf("0004F2%06X", i)
			for _, s := range steps {
				p.StepStarted(mac, s)
				switch {
				case i == fail && s == failStep:
					p.StepDone(mac, s, errors.New("boom"))
					return // a failed device never reaches the later steps
				case i == stop:
					p.StepDone(mac, s, fmt.Errorf("%w: %w", migrate.ErrInterrupted, context.Canceled))
					return
				}
				p.StepDone(mac, s, nil)
			}
		}()
	}
	wg.Wait()
}

func TestBarsDrawEveryStepAndTheOverallBar(t *testing.T) {
	var buf labtool.Output
	st := &fakeStats{s: webex.Stats{Requests: 40, Retries: 2, RateLimited: 1, Rate: 10}}
	d := newDisplay(&buf, progressOptions{name: "migrate", stats: st, rate: 10}, true, nil, nil)
	steps := []migrate.Step{migrate.StepCreate, migrate.StepPassword, migrate.StepInfo}
	d.PlanPhase(migrate.PhaseResolve, 50)
	for range 50 {
		d.PlanDone(migrate.PhaseResolve)
	}
	d.planEnd()
	d.Begin(steps, 50)
	runDevices(d, steps, 50, 7, migrate.StepPassword, 9)
	d.End() // must not hang on the bars that stop short
	d.close()
	out := buf.String()
	for _, want := range []string{"resolve", "create", "password", "info", "migrate", "48/50", "1 failed",
		"1 interrupted", "dev/s", "req/s of 10", "2 retries", "1 429s"} {
		if !strings.Contains(out, want) {
			t.Errorf("progress output lacks %q:\n%s", want, out)
		}
	}
}

func TestInterruptedIsNotFailed(t *testing.T) {
	// After Ctrl-C the bars said "22 failed" while the summary said 0: a
	// step cut short by the run stopping is an interruption.
	d := newDisplay(&bytes.Buffer{}, progressOptions{name: "migrate"}, false, nil, nil)
	steps := []migrate.Step{migrate.StepCreate, migrate.StepInfo}
	d.Begin(steps, 3)
	d.StepDone("A", migrate.StepCreate, fmt.Errorf("%w: %w", migrate.ErrInterrupted, context.Canceled))
	d.StepDone("B", migrate.StepCreate, errors.New("409 conflict"))
	d.StepDone("C", migrate.StepCreate, nil)
	d.StepDone("C", migrate.StepInfo, nil)
	line := d.statusLine()
	if !strings.Contains(line, "2/3 devices, 1 failed, 1 interrupted") {
		t.Errorf("status line %q", line)
	}
}

func TestStatusLineEveryTickWithoutATerminal(t *testing.T) {
	var buf labtool.Output
	tick := make(chan time.Time)
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	st := &fakeStats{s: webex.Stats{Requests: 10, Rate: 100}}
	d := newDisplay(&buf, progressOptions{name: "migrate", stats: st, rate: 100, now: clock.now}, false, tick, nil)
	lines := func() []string {
		s := strings.TrimSpace(buf.String())
		if s == "" {
			return nil
		}
		return strings.Split(s, "\n")
	}
	// tickAndWait ticks and waits for the loop to print the line, so that
	// the line shows the state at the tick.
	tickAndWait := func() {
		n := len(lines())
		tick <- clock.now()
		for len(lines()) == n {
			time.Sleep(time.Millisecond)
		}
	}
	// Planning 2,000 devices is not silent.
	d.PlanPhase(migrate.PhaseResolve, 2000)
	for range 1500 {
		d.PlanDone(migrate.PhaseResolve)
	}
	st.set(webex.Stats{Requests: 10, Rate: 100})
	tickAndWait()
	clock.add(10 * time.Second)
	st.set(webex.Stats{Requests: 1010, Rate: 100})
	tickAndWait()
	d.planEnd()
	steps := []migrate.Step{migrate.StepCreate, migrate.StepInfo}
	d.Begin(steps, 2000)
	runDevices(d, steps, 815, 3, migrate.StepCreate, -1)
	clock.add(60 * time.Second)
	st.set(webex.Stats{Requests: 6650, Retries: 2, Rate: 100})
	tickAndWait()
	d.close()
	got := lines()
	if len(got) != 3 {
		t.Fatalf("%d lines for 3 ticks:\n%s", len(got), buf.String())
	}
	if !strings.HasPrefix(got[0], "migrate: planning, 1500/2000 devices resolved") {
		t.Errorf("planning line %q", got[0])
	}
	if !strings.Contains(got[1], "100 req/s of 100") {
		t.Errorf("rate over the last 10 s: %q", got[1])
	}
	want := "migrate: 815/2000 devices, 1 failed, 94 req/s of 100, 2 retries, 0 429s, elapsed 1m10s"
	if got[2] != want {
		t.Errorf("status line\n got %q\nwant %q", got[2], want)
	}
	if statusEvery > 10*time.Second {
		t.Errorf("status lines every %s: a CI log would wait longer than 10 s", statusEvery)
	}
	// No tick, no line; and none after close.
	select {
	case tick <- clock.now():
		t.Error("a tick was taken after close")
	default:
	}
}

func TestNoDisplayWhenQuiet(t *testing.T) {
	var d *display // --quiet
	if d.progress() != nil || d.planProgress() != nil {
		t.Fatal("a nil display is a non-nil Progress")
	}
	d.PlanPhase(migrate.PhaseResolve, 1)
	d.Begin(nil, 1)
	d.StepDone("A", migrate.StepCreate, nil)
	d.End()
	d.planEnd()
	d.close()
}

func TestLogsGoAboveTheBars(t *testing.T) {
	var out, errb labtool.Output
	sink := &logSink{w: &errb}
	log := slog.New(slog.NewTextHandler(sink, nil))
	d := newDisplay(&out, progressOptions{name: "demo"}, true, nil, sink)
	d.Begin([]migrate.Step{migrate.StepCreate}, 2)
	log.Info("while the bars are up")
	d.StepDone("A", migrate.StepCreate, nil)
	d.StepDone("B", migrate.StepCreate, nil)
	d.End()
	log.Info("after the bars")
	d.close()
	if !strings.Contains(out.String(), "while the bars are up") || strings.Contains(errb.String(), "while the bars are up") {
		t.Errorf("a log line went around the bars\nstdout: %q\nstderr: %q", out.String(), errb.String())
	}
	if !strings.Contains(errb.String(), "after the bars") {
		t.Errorf("a log line after the bars did not reach stderr: %q", errb.String())
	}
}

func TestProgressIsStatusLinesWhenNotATerminal(t *testing.T) {
	e := newMigrateEnv(t, 2)
	var out, errb bytes.Buffer
	if code := run(t.Context(), []string{"cutover", "--webex-url", e.url, "--token", e.emu.AdminToken(),
		"migrate", e.inv, "--run", e.dir, "--rate", "1000"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if strings.Contains(out.String(), "dev/s") {
		t.Fatalf("bars drawn into a pipe:\n%s", out.String())
	}
}

func TestCertifyProgressCountsResults(t *testing.T) {
	var buf bytes.Buffer
	cp := startCertifyProgress(&buf, 40, nil)
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := certify.Result{MAC: fmt.Sprintf("0004F2%06X", i/4), Case: certify.AllCases[i%4], Outcome: certify.Pass}
			if i%10 == 3 {
				r.Outcome = certify.Fail
			}
			cp.result(r)
		}()
	}
	wg.Wait()
	cp.end()
	out := buf.String()
	for _, want := range []string{"certify", "40/40", "4 failed"} {
		if !strings.Contains(out, want) {
			t.Errorf("progress output lacks %q:\n%s", want, out)
		}
	}
	var none *certifyProgress // --quiet or no terminal
	none.result(certify.Result{})
	none.end()
}

func TestCertifyStatusLines(t *testing.T) {
	var buf labtool.Output
	tick := make(chan time.Time)
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	cp := startCertifyStatus(&buf, 26000, tick, clock.now)
	for i := range 1200 {
		r := certify.Result{Outcome: certify.Pass}
		if i%400 == 0 {
			r.Outcome = certify.Fail
		}
		cp.result(r)
	}
	clock.add(70 * time.Second)
	tick <- clock.now()
	for !strings.Contains(buf.String(), "\n") {
		time.Sleep(time.Millisecond)
	}
	cp.end()
	if got, want := strings.TrimSpace(buf.String()), "certify: 1200/26000 cases, 3 failed, elapsed 1m10s"; got != want {
		t.Errorf("status line %q, want %q", got, want)
	}
}
