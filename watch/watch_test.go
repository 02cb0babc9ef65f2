package watch_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/cutover-dev/cutover/migrate"
	"github.com/cutover-dev/cutover/migrate/inventory"
	"github.com/cutover-dev/cutover/rundir"
	"github.com/cutover-dev/cutover/simulator/webexapi"
	"github.com/cutover-dev/cutover/watch"
	"github.com/cutover-dev/cutover/webex"
)

// lab is a migrated run against the Webex emulator.
type lab struct {
	emu    *webexapi.Server
	base   string
	client *webex.Client
	dir    string
	devs   []inventory.Device
}

func fleet(n int) []inventory.Device {
	devs := make([]inventory.Device, n)
	for i := range devs {
		owner := fmt.Sprintf("user%02d@acme.example", i+1)
		devs[i] = inventory.Device{
			Pos: inventory.Pos{File: "watch.csv", Row: i + 2}, MAC: fmt.Sprintf("805EC00000%02d", i+1),
			Type: inventory.Phone, Make: "Yealink", Model: "T54W", Owner: owner, OwnerType: inventory.Person,
			Lines: []inventory.Line{{Port: 1, Owner: owner, OwnerType: inventory.Person}},
		}
	}
	return devs
}

// newLab migrates n devices into a fresh run directory; clientOpts shape
// the client watch then uses.
func newLab(t *testing.T, n int, emuOpts []webexapi.Option, clientOpts ...webex.Option) *lab {
	t.Helper()
	devs := fleet(n)
	seed := webexapi.DefaultSeed()
	seed.AddInventory(devs)
	emu := webexapi.New(append([]webexapi.Option{webexapi.WithSeed(seed)}, emuOpts...)...)
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	l := &lab{emu: emu, base: srv.URL + "/v1", dir: t.TempDir(), devs: devs}
	mc, err := webex.New(l.base, webex.StaticToken(emu.AdminToken()), webex.WithRate(rate.Inf, 0))
	if err != nil {
		t.Fatal(err)
	}
	_, res, err := migrate.Migrate(t.Context(), mc, devs, migrate.PlanOptions{}, migrate.RunOptions{Dir: l.dir})
	if err != nil || res.Done != n {
		t.Fatalf("migrating: %v (%+v)", err, res)
	}
	l.client, err = webex.New(l.base, webex.StaticToken(emu.AdminToken()),
		append([]webex.Option{webex.WithRate(rate.Inf, 0), webex.WithBackoff(time.Millisecond, 10*time.Millisecond)}, clientOpts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// register reports a live binding of the device with mac to the emulator,
// as an emulated SBC's hook does after a successful digest REGISTER.
func (l *lab) register(t *testing.T, mac string) {
	t.Helper()
	for _, d := range l.emu.Snapshot().Devices {
		if d.MAC == mac {
			l.emu.ObserveRegistration(webexapi.Registration{Registrar: "sbc1", User: d.SIPUserName,
				AOR: "sip:" + d.LinePort, Contact: "sip:" + mac + "@192.0.2.1", Expires: time.Now().Add(time.Hour)})
			return
		}
	}
	t.Fatalf("no device %s in the emulator", mac)
}

// fakeTime is a clock that Sleep moves; onSleep runs at each sleep (the
// fleet coming online between polls).
type fakeTime struct {
	mu      sync.Mutex
	now     time.Time
	sleeps  int
	onSleep func(n int)
}

func newFakeTime() *fakeTime { return &fakeTime{now: time.Date(2026, 12, 2, 22, 0, 0, 0, time.UTC)} }

func (f *fakeTime) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeTime) Sleep(ctx context.Context, d time.Duration) error {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.sleeps++
	n := f.sleeps
	f.mu.Unlock()
	if f.onSleep != nil {
		f.onSleep(n)
	}
	return ctx.Err()
}

type polls struct {
	mu sync.Mutex
	c  []watch.Counts
}

func (p *polls) Poll(c watch.Counts) { p.mu.Lock(); p.c = append(p.c, c); p.mu.Unlock() }

func replay(t *testing.T, dir string) map[string]*rundir.DeviceState {
	t.Helper()
	evs, err := rundir.ReadJournal(rundir.Path(dir, rundir.JournalFile))
	if err != nil {
		t.Fatal(err)
	}
	return rundir.Replay(evs)
}

// The fleet comes online over three polls: watch ends when the last device
// is connected, progress saw the counts grow, and the journal holds each
// device's first-connected time (the poll that first saw it), which a
// second watch does not move.
func TestWatchUntilAllConnected(t *testing.T) {
	l := newLab(t, 4, nil)
	clk := newFakeTime()
	l.register(t, "805EC0000001")
	l.emu.SetConnectionStatus("805EC0000003", webex.StatusActivating)
	clk.onSleep = func(n int) {
		switch n {
		case 1:
			l.register(t, "805EC0000002")
		case 2:
			l.emu.SetConnectionStatus("805EC0000003", "")
			l.register(t, "805EC0000003")
			l.register(t, "805EC0000004")
		}
	}
	var p polls
	start := clk.Now()
	res, err := watch.Run(t.Context(), l.client, watch.Options{
		Dir: l.dir, Interval: time.Minute, Now: clk.Now, Sleep: clk.Sleep, Progress: &p,
		Deadline: start.Add(time.Hour),
	})
	if err != nil {
		t.Fatalf("watch: %v", err)
	}
	if !res.AllConnected() || res.Polls != 3 || res.Counts.Total != 4 || len(res.FirstConnected) != 4 {
		t.Fatalf("result %+v, want 4 connected after 3 polls", res)
	}
	first := p.c[0]
	if first.Of(watch.Connected) != 1 || first.Of(watch.Activating) != 1 || first.Of(watch.NeverSeen) != 2 {
		t.Errorf("first poll %+v, want 1 connected, 1 activating, 2 never seen", first)
	}
	st := replay(t, l.dir)
	want := map[string]time.Time{
		"805EC0000001": start, "805EC0000002": start.Add(time.Minute),
		"805EC0000003": start.Add(2 * time.Minute), "805EC0000004": start.Add(2 * time.Minute),
	}
	for mac, at := range want {
		if got := st[mac].FirstConnected; !got.Equal(at) {
			t.Errorf("%s first connected %v in the journal, want %v", mac, got, at)
		}
	}

	// Watching again changes nothing in the journal.
	before := len(readEvents(t, l.dir))
	if _, err := watch.Run(t.Context(), l.client, watch.Options{Dir: l.dir}); err != nil {
		t.Fatal(err)
	}
	if after := len(readEvents(t, l.dir)); after != before {
		t.Errorf("a second watch appended %d events, want 0", after-before)
	}
}

func readEvents(t *testing.T, dir string) []rundir.Event {
	t.Helper()
	evs, err := rundir.ReadJournal(rundir.Path(dir, rundir.JournalFile))
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// A device that never registers, one that went offline and one deleted
// behind the run's back keep the fleet from being connected: at the
// deadline, watch fails with ErrDeadline naming how many, and which.
func TestWatchDeadline(t *testing.T) {
	l := newLab(t, 4, nil)
	l.register(t, "805EC0000001")
	l.register(t, "805EC0000002")
	l.emu.SetConnectionStatus("805EC0000002", webex.StatusOfflineExpired)
	for _, d := range l.emu.Snapshot().Devices {
		if d.MAC == "805EC0000004" {
			if err := l.client.DeleteDevice(t.Context(), d.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	clk := newFakeTime()
	res, err := watch.Run(t.Context(), l.client, watch.Options{
		Dir: l.dir, Interval: 10 * time.Minute, Now: clk.Now, Sleep: clk.Sleep, Deadline: clk.Now().Add(25 * time.Minute),
	})
	if !errors.Is(err, watch.ErrDeadline) {
		t.Fatalf("watch: %v, want ErrDeadline", err)
	}
	if res.AllConnected() || res.Counts.NotConnected() != 3 || res.Polls != 4 {
		t.Fatalf("result %+v, want 3 not connected after 4 polls (0, 10, 20, 25 min)", res)
	}
	got := map[string]watch.Bucket{}
	for _, p := range res.NotConnected {
		got[p.MAC] = p.Bucket
	}
	want := map[string]watch.Bucket{"805EC0000002": watch.Disconnected, "805EC0000003": watch.NeverSeen, "805EC0000004": watch.Missing}
	for mac, b := range want {
		if got[mac] != b {
			t.Errorf("%s: %v, want %v", mac, got[mac], b)
		}
	}
	if msg := err.Error(); !strings.Contains(msg, "3 of 4 devices not connected") {
		t.Errorf("error %q does not say how many", msg)
	}
}

// A fleet bigger than a page is read page by page (following Link), one
// list per poll, never a call per device; Include narrows the set.
func TestWatchPagesAndInclude(t *testing.T) {
	l := newLab(t, 7, nil, webex.WithPageSize(3))
	for _, d := range l.devs {
		l.register(t, d.MAC)
	}
	before := l.emu.Snapshot().Requests.ByRoute["GET /v1/devices"]
	res, err := watch.Run(t.Context(), l.client, watch.Options{Dir: l.dir})
	if err != nil || !res.AllConnected() || res.Counts.Total != 7 {
		t.Fatalf("watch: %v %+v", err, res)
	}
	if calls := l.emu.Snapshot().Requests.ByRoute["GET /v1/devices"] - before; calls != 3 {
		t.Errorf("one poll of 7 devices at 3 a page made %d GET /devices calls, want 3", calls)
	}
	res, err = watch.Run(t.Context(), l.client, watch.Options{Dir: l.dir, Include: func(mac string) bool { return mac < "805EC0000003" }})
	if err != nil || res.Counts.Total != 2 {
		t.Fatalf("include: %v, %d watched, want 2", err, res.Counts.Total)
	}
}

// Webex answering 429 slows watch down, never stops it: the client waits
// Retry-After and the poll completes.
func TestWatchThrough429(t *testing.T) {
	l := newLab(t, 4, []webexapi.Option{webexapi.WithRandSeed(3)}, webex.WithPageSize(2))
	for _, d := range l.devs {
		l.register(t, d.MAC)
	}
	l.emu.SetFaults(webexapi.Faults{Rate: 50, Burst: 1})
	res, err := watch.Run(t.Context(), l.client, watch.Options{Dir: l.dir})
	if err != nil || !res.AllConnected() {
		t.Fatalf("watch under 429s: %v %+v", err, res)
	}
	if n := l.emu.Snapshot().Requests.ByStatus[429]; n == 0 || l.client.Stats().RateLimited == 0 {
		t.Errorf("%d 429 answers, client saw %d: the test did not exercise 429", n, l.client.Stats().RateLimited)
	}
}

// The run directory's lock is respected: while another process (here a
// held lock) works in it, watch refuses at once.
func TestWatchRespectsLock(t *testing.T) {
	l := newLab(t, 1, nil)
	lk, err := rundir.Acquire(l.dir)
	if err != nil {
		t.Fatal(err)
	}
	defer lk.Release()
	if _, err := watch.Run(t.Context(), l.client, watch.Options{Dir: l.dir}); !errors.Is(err, rundir.ErrBusy) {
		t.Fatalf("watch on a locked directory: %v, want ErrBusy", err)
	}
	// The holder may watch under its own lock.
	l.register(t, "805EC0000001")
	if _, err := watch.Run(t.Context(), l.client, watch.Options{Dir: l.dir, Lock: lk}); err != nil {
		t.Fatalf("watch under the caller's lock: %v", err)
	}
}

// A run with nothing in Webex is an error, not an instant success.
func TestWatchNothingMigrated(t *testing.T) {
	l := newLab(t, 1, nil)
	dir := t.TempDir()
	if _, err := watch.Run(t.Context(), l.client, watch.Options{Dir: dir}); !errors.Is(err, watch.ErrNoDevices) {
		t.Fatalf("empty run: %v, want ErrNoDevices", err)
	}
}
