package certify_test

import (
	"context"
	"fmt"
	"math"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cutover-dev/cutover/certify"
	"github.com/cutover-dev/cutover/rundir"
	"github.com/cutover-dev/cutover/simulator/device/devicetest"
	"github.com/cutover-dev/cutover/simulator/sbc"
)

var outage = time.Date(2026, 12, 2, 22, 0, 0, 0, time.UTC)

// liveResult is one device's result in a live outage at `at`; ms < 0 means
// it never got there (no timing).
func liveResult(mac, cas string, at time.Time, ms float64) certify.Result {
	r := certify.Result{MAC: mac, Case: cas, Outcome: certify.Pass, Started: at, Outage: at}
	if ms >= 0 {
		r.Timings = map[string]float64{cas: ms}
	} else {
		r.Outcome = certify.Fail
	}
	return r
}

func marks(p certify.FleetPhase) string {
	var s string
	for _, m := range p.Marks() {
		if m.Reached {
			s += fmt.Sprintf("%d%%=%g ", m.Percent, m.MS)
		} else {
			s += fmt.Sprintf("%d%%=not-reached ", m.Percent)
		}
	}
	return s
}

func TestFleetMarks(t *testing.T) {
	var res []certify.Result
	for i := range 20 {
		// Out of order on purpose: the marks come from the sorted times.
		res = append(res, liveResult(fmt.Sprintf("MAC%02d", i), certify.CaseFailover, outage, float64((i*7)%20+1)*1000))
	}
	fo, fb := certify.Fleet(res)
	if fo.Devices != 20 || fo.Never() != 0 || fo.Outages != 1 || fb.Devices != 0 {
		t.Fatalf("failover %+v, failback %+v", fo, fb)
	}
	// k = ceil(p × 20 / 100): the 10th, 19th and 20th device.
	if got, want := marks(fo), "50%=10000 95%=19000 100%=20000 "; got != want {
		t.Errorf("marks %q, want %q", got, want)
	}
	// No live outage: nothing is reached, nothing is a number.
	if got := marks(fb); got != "50%=not-reached 95%=not-reached 100%=not-reached " {
		t.Errorf("empty phase: %q", got)
	}
}

// TestFleetNeverReached is the break: one device of twenty never reaches
// the secondary, so 100% is not reached (and not the slowest device's
// time); 95% (the 19th) still is.
func TestFleetNeverReached(t *testing.T) {
	var res []certify.Result
	for i := range 20 {
		ms := float64(i+1) * 1000
		if i == 7 {
			ms = -1
		}
		res = append(res, liveResult(fmt.Sprintf("MAC%02d", i), certify.CaseFailover, outage, ms))
	}
	fo, _ := certify.Fleet(res)
	if fo.Devices != 20 || fo.Never() != 1 {
		t.Fatalf("devices %d, never %d", fo.Devices, fo.Never())
	}
	if got, want := marks(fo), "50%=11000 95%=20000 100%=not-reached "; got != want {
		t.Errorf("marks %q, want %q", got, want)
	}
	// A timing that is not a number is no arrival either.
	res[3].Timings[certify.CaseFailover] = math.NaN()
	if fo, _ = certify.Fleet(res); fo.Never() != 2 || fo.Mark(95).Reached {
		t.Errorf("NaN timing: never %d, 95%% %+v", fo.Never(), fo.Mark(95))
	}
}

// TestFleetSelection: only live results count; per device the latest live
// one; outages of several runs (or shards) pool.
func TestFleetSelection(t *testing.T) {
	later := outage.Add(time.Hour)
	res := []certify.Result{
		liveResult("A", certify.CaseFailover, outage, 1000),
		liveResult("A", certify.CaseFailover, later, -1), // re-run: A never made it this time
		liveResult("B", certify.CaseFailover, outage, 3000),
		liveResult("C", certify.CaseFailover, later, 2000),
		liveResult("C", certify.CaseFailback, later, 500),
		// Simulated device by device (no Outage): not part of any fleet.
		{MAC: "D", Case: certify.CaseFailover, Outcome: certify.Pass, Started: later.Add(time.Minute), Timings: map[string]float64{"failover": 10}},
		// A later non-live result does not hide B's live one.
		{MAC: "B", Case: certify.CaseFailover, Outcome: certify.Pass, Started: later.Add(time.Minute), Timings: map[string]float64{"failover": 10}},
	}
	fo, fb := certify.Fleet(res)
	if fo.Devices != 3 || !slices.Equal(fo.MS, []float64{2000, 3000}) || fo.Outages != 2 {
		t.Errorf("failover %+v, want 3 devices (A never), times [2000 3000], 2 outages", fo)
	}
	if fb.Devices != 1 || !slices.Equal(fb.MS, []float64{500}) || fb.Outages != 1 {
		t.Errorf("failback %+v", fb)
	}
}

// TestLiveFleetFailoverTimes runs a live outage on four devices of which
// one has no working secondary: the results carry the outage on all four,
// a time on the three that got there, and survive DIR/certify.jsonl.
func TestLiveFleetFailoverTimes(t *testing.T) {
	l := devicetest.Start(t)
	// The broken device's SRV domain names the real primary and a
	// secondary nothing listens on.
	const broken = "nosecondary." + devicetest.Domain
	l.DNS.AddSRV("_sips._tcp."+broken, 10, 10, portOf(t, l.SBC1.Addr()), devicetest.Primary)
	l.DNS.AddSRV("_sips._tcp."+broken, 20, 10, 1, devicetest.Second)
	o := options(l, nil)
	o.SBC = "" // each device's own SRV domain
	o.Cases = []string{certify.CaseRegister, certify.CaseFailover, certify.CaseFailback}
	o.FailbackInterval = 50 * time.Millisecond
	o.FailoverLimit = 2 * time.Second
	o.PrimaryDown = func(context.Context) error { return l.SBC1.SetFault(sbc.Fault{Down: true}) }
	o.PrimaryUp = func(context.Context) error { return l.SBC1.SetFault(sbc.Fault{}) }
	targets := fleet(l, 4)
	targets[2].Config.SRVDomain = broken
	dir := t.TempDir()
	f, err := rundir.OpenResults(dir)
	if err != nil {
		t.Fatal(err)
	}
	o.Out = f
	res := run(t, targets, o)
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Case == certify.CaseRegister {
			continue
		}
		live := !r.Outage.IsZero()
		_, timed := r.Timings[r.Case]
		switch {
		case r.MAC == targets[2].MAC && r.Case == certify.CaseFailover:
			if r.Outcome != certify.Fail || !live || timed {
				t.Errorf("broken device failover: %s, outage %v, timed %v: %s", r.Outcome, r.Outage, timed, r.Reason)
			}
		case r.MAC == targets[2].MAC:
			if live {
				t.Errorf("the broken device never reached a secondary, so it takes no part in the failback: %+v", r)
			}
		default:
			if r.Outcome != certify.Pass || !live || !timed {
				t.Errorf("%s %s: %s, outage %v, timed %v: %s", r.MAC, r.Case, r.Outcome, r.Outage, timed, r.Reason)
			}
		}
	}
	fo, fb := certify.Fleet(res)
	if fo.Devices != 4 || fo.Never() != 1 || fo.Mark(100).Reached || !fo.Mark(50).Reached {
		t.Errorf("failover: %+v, %s", fo, marks(fo))
	}
	if fb.Devices != 3 || fb.Never() != 0 || !fb.Mark(100).Reached {
		t.Errorf("failback: %+v, %s", fb, marks(fb))
	}
	// The figures come back from the run directory alone.
	read, err := certify.ReadResults(rundir.Path(dir, rundir.ResultsFile))
	if err != nil {
		t.Fatal(err)
	}
	rfo, rfb := certify.Fleet(read)
	if fmt.Sprint(rfo, rfb) != fmt.Sprint(fo, fb) || rfo.Outages != 1 {
		t.Errorf("read back %+v %+v, ran %+v %+v", rfo, rfb, fo, fb)
	}
}

func portOf(t *testing.T, addr string) uint16 {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatal(err)
	}
	return uint16(n)
}

// TestLiveFailoverJudgedFromTheDevicesTurn: the harness works --jobs
// devices at a time, so on a fleet larger than that a device's turn comes
// after the outage. Each device is judged from its own turn (its simulated
// keep-alive); the fleet time still counts from the outage. And the limit
// is real: a secondary slower than it fails the device.
func TestLiveFailoverJudgedFromTheDevicesTurn(t *testing.T) {
	const slow = 500 * time.Millisecond // per answer; a registration waits for two
	live := func(t *testing.T, n int, limit time.Duration) []certify.Result {
		l := devicetest.Start(t)
		if err := l.SBC2.SetFault(sbc.Fault{Slow: slow}); err != nil {
			t.Fatal(err)
		}
		o := options(l, nil)
		o.Jobs = 1
		o.Timeout = 4 * slow
		o.Cases = []string{certify.CaseRegister, certify.CaseFailover}
		o.FailoverLimit = limit
		o.PrimaryDown = func(context.Context) error { return l.SBC1.SetFault(sbc.Fault{Down: true}) }
		o.PrimaryUp = func(context.Context) error { return l.SBC1.SetFault(sbc.Fault{}) }
		return run(t, fleet(l, n), o)
	}
	failovers := func(res []certify.Result) []certify.Result {
		var out []certify.Result
		for _, r := range res {
			if r.Case == certify.CaseFailover {
				out = append(out, r)
			}
		}
		return out
	}

	t.Run("paced", func(t *testing.T) {
		// One device at a time, each taking at least 2×slow on the
		// secondary (challenge, then the authenticated REGISTER): the third
		// device's turn comes at least 4×slow after the outage and it is
		// registered at least 6×slow after it, beyond the limit; its own
		// 2×slow is well inside it.
		limit := 5 * slow
		res := failovers(live(t, 3, limit))
		if len(res) != 3 {
			t.Fatalf("%d failover results, want 3", len(res))
		}
		for _, r := range res {
			if r.Outcome != certify.Pass {
				t.Errorf("%s: %s: %s", r.MAC, r.Outcome, r.Reason)
			}
		}
		fo, _ := certify.Fleet(res)
		if m := fo.Mark(100); !m.Reached || m.MS < float64(6*slow/time.Millisecond) {
			t.Errorf("fleet failover 100%% = %+v, want at least %v: the fleet counts from the outage", m, 6*slow)
		}
		if !strings.Contains(res[2].Reason, "counted from its turn") {
			t.Errorf("the last device's reason does not say it was counted from its turn: %s", res[2].Reason)
		}
	})
	t.Run("too slow", func(t *testing.T) {
		res := failovers(live(t, 1, slow/2))
		if len(res) != 1 || res[0].Outcome != certify.Fail || !strings.Contains(res[0].Reason, "limit 250.0 ms") {
			t.Fatalf("a secondary answering after %v with a limit of %v: %+v", 2*slow, slow/2, res)
		}
		if _, timed := res[0].Timings[certify.CaseFailover]; res[0].Outage.IsZero() || !timed {
			t.Errorf("a late device is still on the secondary and counts for the fleet: %+v", res[0])
		}
	})
}

// TestSourceIPsSpreadTheFleet: with Options.SourceIPs the devices dial from
// those addresses in turn, on every connection they open (the primary,
// the secondary after the live failover, the primary again after the
// failback): the SBCs see the fleet come from each address. Without them
// every device leaves from 127.0.0.1.
func TestSourceIPsSpreadTheFleet(t *testing.T) {
	for _, tc := range []struct {
		name string
		ips  []net.IP
		want string
	}{
		{"spread", []net.IP{net.IPv4(127, 0, 0, 2), net.IPv4(127, 0, 0, 3)}, "127.0.0.2=2 127.0.0.3=2"},
		{"not set", nil, "127.0.0.1=4"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := devicetest.Start(t)
			o := options(l, nil)
			o.Cases = []string{certify.CaseRegister, certify.CaseFailover, certify.CaseFailback}
			o.FailbackInterval = 50 * time.Millisecond
			o.FailoverLimit = 2 * time.Second
			o.SourceIPs = tc.ips
			var onSecondary string
			o.PrimaryDown = func(context.Context) error { return l.SBC1.SetFault(sbc.Fault{Down: true}) }
			o.PrimaryUp = func(context.Context) error {
				onSecondary = sources(l.SBC2.Bindings())
				return l.SBC1.SetFault(sbc.Fault{})
			}
			var onPrimary string
			o.WhileRegistered = func(context.Context) error {
				onPrimary = sources(l.SBC1.Bindings())
				return nil
			}
			for _, r := range run(t, fleet(l, 4), o) {
				if r.Outcome != certify.Pass {
					t.Errorf("%s %s: %s: %s", r.MAC, r.Case, r.Outcome, r.Reason)
				}
			}
			if onSecondary != tc.want || onPrimary != tc.want {
				t.Errorf("sources on the secondary %q, on the primary after the failback %q, want %q", onSecondary, onPrimary, tc.want)
			}
		})
	}
}

// sources counts bindings by the address they came from, "IP=count ...".
func sources(bs []sbc.Binding) string {
	n := map[string]int{}
	for _, b := range bs {
		host, _, _ := net.SplitHostPort(b.Source)
		n[host]++
	}
	var out []string
	for h, c := range n {
		out = append(out, fmt.Sprintf("%s=%d", h, c))
	}
	slices.Sort(out)
	return strings.Join(out, " ")
}
