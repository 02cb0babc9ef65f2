package reports

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cutover-dev/cutover/certify"
	"github.com/cutover-dev/cutover/migrate"
	"github.com/cutover-dev/cutover/migrate/inventory"
	"github.com/cutover-dev/cutover/simulator/device"
	"github.com/cutover-dev/cutover/simulator/device/devicetest"
	"github.com/cutover-dev/cutover/simulator/sbc"
)

// The three runs a partner meets most: everything passes; the primary
// SBC's certificate expired; a third of the devices hold a SIP password the
// SBC does not. Each is a migrated plan of 60 devices (synthesized: every
// step done) certified for real: certify.Run with the SIP device simulator
// against the SBC emulator pair, so the results are what certify produces.
const (
	scenarioPassing  = "passing"
	scenarioExpired  = "expired-certificate"
	scenarioPassword = "wrong-passwords"
	scenarioDevices  = 60
)

func init() {
	// sipgo's connection bookkeeping ("TCP ref went negative") is noise here.
	device.SetSIPLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
}

var scenarioModels = []struct{ make, model, location string }{
	{"Yealink", "T57W", "Berlin HQ"}, {"Yealink", "T54W", "Berlin HQ"}, {"Poly", "VVX 450", "Munich"},
	{"Grandstream", "GRP2614", "Hamburg"}, {"Yealink", "T33G", "Cologne warehouse"},
}

type scenario struct {
	plan    *migrate.Plan
	events  []migrate.Event
	results []certify.Result
}

var (
	scenarioMu    sync.Mutex
	scenarioCache = map[string]*scenario{}
)

// certifiedScenario runs (once per test binary) the named scenario.
func certifiedScenario(t *testing.T, name string) *scenario {
	t.Helper()
	scenarioMu.Lock()
	defer scenarioMu.Unlock()
	if sc := scenarioCache[name]; sc != nil {
		return sc
	}
	l := devicetest.Start(t)
	base := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	sc := &scenario{plan: &migrate.Plan{Created: base, Inventory: "fleet.xlsx", OrgID: "Y2lzY29zcGFyazovL3VzL09SR0FOSVpBVElPTi9hY21l"}}
	var targets []certify.Target
	ts := base
	for i := range scenarioDevices {
		m := scenarioModels[i%len(scenarioModels)]
		user := fmt.Sprintf("%d", 3001+i)
		cfg := l.Config(user, fmt.Sprintf("Pa55!word-%02d", i))
		cfg.Make, cfg.Model = m.make, m.model
		targets = append(targets, certify.Target{MAC: cfg.MAC, Make: m.make, Model: m.model, Config: cfg})
		if name == scenarioPassword && i%3 == 1 {
			l.Users.Set(user, fmt.Sprintf("Rotated!pw-%02d", i)) // Webex holds a newer password than the device
		}
		sc.plan.Devices = append(sc.plan.Devices, migrate.PlannedDevice{
			MAC: cfg.MAC, Type: inventory.Phone, Make: m.make, Model: m.model, Vendor: "yealink",
			Owner: fmt.Sprintf("user%02d@acme.example", i), OwnerType: inventory.Person, Location: m.location,
			Lines: 1, Action: migrate.ActionCreate,
			Pos: inventory.Pos{File: "fleet.xlsx", Sheet: "Devices", Row: i + 2, Column: "A", Header: "mac"},
		})
		for si, step := range Pipeline {
			ts = ts.Add(40 * time.Millisecond)
			sc.events = append(sc.events, migrate.Event{TS: ts, MAC: cfg.MAC, Step: step, Status: migrate.StatusStarted, Attempt: 1})
			ts = ts.Add(time.Duration(90+si*25+i%7*10) * time.Millisecond)
			e := migrate.Event{TS: ts, MAC: cfg.MAC, Step: step, Status: migrate.StatusDone, Attempt: 1, DurationMS: int64(90 + si*25 + i%7*10)}
			if step == migrate.StepCreate {
				e.IDs = map[string]string{"deviceId": "Y2lzY29zcGFyazovL3VzL0RFVklDRS9" + cfg.MAC}
			}
			if step == migrate.StepMembers {
				e.Status, e.Detail = migrate.StatusSkipped, "owner line set by create"
			}
			sc.events = append(sc.events, e)
		}
	}
	if name == scenarioExpired {
		if err := l.SBC1.SetFault(sbc.Fault{ExpiredCert: true}); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	res, err := certify.Run(ctx, targets, certify.Options{
		SBC: devicetest.Domain, Resolver: l.Resolver(), Roots: l.Roots, Jobs: 8,
		Timeout: 2 * time.Second, FailbackInterval: 50 * time.Millisecond,
		Observer: certify.Observers{l.SBC1, l.SBC2}, Rand: rand.New(rand.NewPCG(1, 2)),
	})
	if err != nil {
		t.Fatal(err)
	}
	sc.results = res
	scenarioCache[name] = sc
	return sc
}

func (sc *scenario) data() *Data {
	d := Build(sc.plan, sc.events, sc.results, fixedNow)
	d.Run = "run-" + time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC).Format("20060102")
	return d
}

// writeScenario writes the scenario's HTML report and returns its path. With
// CUTOVER_REPORT_DUMP=DIR it also leaves a copy there, to look at.
func writeScenario(t *testing.T, name string, d *Data) string {
	t.Helper()
	dir := t.TempDir()
	if dump := os.Getenv("CUTOVER_REPORT_DUMP"); dump != "" {
		dir = filepath.Join(dump, name)
	}
	if err := WriteAll(dir, d, Paths{}); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, HTMLFile)
}

func TestDumpScenarios(t *testing.T) {
	if os.Getenv("CUTOVER_REPORT_DUMP") == "" {
		t.Skip("set CUTOVER_REPORT_DUMP=DIR to write the three scenario reports there")
	}
	for _, n := range []string{scenarioPassing, scenarioExpired, scenarioPassword} {
		d := certifiedScenario(t, n).data()
		t.Logf("%s: %s", n, writeScenario(t, n, d))
		for _, l := range CauseLines(d, 5) {
			t.Log(l)
		}
	}
}

// TestOneCausePerFix groups real certification failures: an expired SBC
// certificate is one cause over all 60 devices, a third of the passwords
// wrong one cause over those 20, and nothing failing is no cause at all.
// The cases that need a registration are blocked, not extra failures.
func TestOneCausePerFix(t *testing.T) {
	for _, tc := range []struct {
		name    string
		devices int
		remedy  string
		where   []string
	}{
		{scenarioExpired, 60, "renew the SBC certificate for " + devicetest.Primary, []string{certify.CaseTLSChain, certify.CaseRegister}},
		{scenarioPassword, 20, "SIP password", []string{certify.CaseRegister}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := certifiedScenario(t, tc.name).data()
			if len(d.Groups) != 1 {
				for _, g := range d.Groups {
					t.Logf("group: %d devices, %s %s: %s", g.Devices(), g.Source, g.Where, g.Remedy)
				}
				t.Fatalf("%d cause groups, want 1", len(d.Groups))
			}
			g := d.Groups[0]
			if g.Devices() != tc.devices || g.Rank != 1 || !strings.Contains(g.Remedy, tc.remedy) {
				t.Errorf("group: %d devices, rank %d, remedy %q; want %d devices, %q", g.Devices(), g.Rank, g.Remedy, tc.devices, tc.remedy)
			}
			for _, w := range tc.where {
				if !strings.Contains(g.Where, w) {
					t.Errorf("group where %q lacks %s", g.Where, w)
				}
			}
			if d.Summary.CertFailed != tc.devices || d.Summary.CasesBlocked != 5*tc.devices+countFailbackBlocked(d) {
				t.Errorf("%d devices failed certification, %d cases blocked", d.Summary.CertFailed, d.Summary.CasesBlocked)
			}
			for _, f := range d.Failures {
				if certify.NeedsRegister(f.Where) {
					t.Errorf("%s %s counted as a failure: it needs the register that failed (%s)", f.MAC, f.Where, f.Reason)
				}
			}
			for _, dev := range d.Devices {
				if (dev.Cert == certify.Fail) != (dev.Cause != "" && dev.CauseGroup == 1) {
					t.Errorf("%s: cert %s, cause %q in group %d", dev.MAC, dev.Cert, dev.Cause, dev.CauseGroup)
				}
			}
			lines := CauseLines(d, 5)
			if len(lines) != 5 || !strings.HasPrefix(lines[0], "Not ready: ") || !strings.Contains(lines[1], "1 cause to fix") ||
				!strings.Contains(lines[2], fmt.Sprintf("1. %d devices", tc.devices)) {
				t.Errorf("terminal summary:\n%s", strings.Join(lines, "\n"))
			}
		})
	}
	d := certifiedScenario(t, scenarioPassing).data()
	if len(d.Groups) != 0 || !d.Verdict().Ready || d.Summary.CasesBlocked != 0 {
		t.Errorf("passing run: %d groups, verdict %+v", len(d.Groups), d.Verdict())
	}
	if lines := CauseLines(d, 5); len(lines) != 1 || !strings.HasPrefix(lines[0], "Ready: ") {
		t.Errorf("passing run summary: %q", lines)
	}
}

// countFailbackBlocked counts failbacks blocked by a failed failover (the
// wrong password fails the failover device's registration too).
func countFailbackBlocked(d *Data) int {
	n := 0
	for ci, c := range d.Cases {
		if c != certify.CaseFailback {
			continue
		}
		for _, dev := range d.Devices {
			if dev.Outcomes != nil && dev.Outcomes[ci] == certify.Blocked {
				n++
			}
		}
	}
	return n
}

// TestJUnitBlockedIsSkipped: CI sees a case blocked by a failed register as
// skipped, with the reason, and counts only real failures as failures.
func TestJUnitBlockedIsSkipped(t *testing.T) {
	d := certifiedScenario(t, scenarioPassword).data()
	doc := JUnit(d)
	var blocked, failures int
	for _, s := range doc.Suites {
		failures += s.Failures
		for _, c := range s.Cases {
			if c.Skipped != nil && strings.Contains(c.Skipped.Message, "blocked") {
				blocked++
				if c.Failure != nil {
					t.Errorf("%s %s is both skipped and failed", s.Name, c.Name)
				}
			}
		}
	}
	if blocked != d.Summary.CasesBlocked || blocked == 0 {
		t.Errorf("%d blocked testcases skipped with the reason, want %d", blocked, d.Summary.CasesBlocked)
	}
	if failures != d.Summary.CasesFailed {
		t.Errorf("%d JUnit failures, want the %d failed cases", failures, d.Summary.CasesFailed)
	}
}

// TestTimelineOfALiveOutage certifies four devices through a live outage
// (the primary stopped and restarted for the whole fleet, as certify
// --primary-down/--primary-up do) and checks the report draws it as one.
func TestTimelineOfALiveOutage(t *testing.T) {
	l := devicetest.Start(t)
	var targets []certify.Target
	for i := range 4 {
		cfg := l.Config(fmt.Sprintf("%d", 4001+i), fmt.Sprintf("Pa55!word-%02d", i))
		targets = append(targets, certify.Target{MAC: cfg.MAC, Make: cfg.Make, Model: cfg.Model, Config: cfg})
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := certify.Run(ctx, targets, certify.Options{
		SBC: devicetest.Domain, Resolver: l.Resolver(), Roots: l.Roots, Jobs: 4, Timeout: 2 * time.Second,
		FailbackInterval: 50 * time.Millisecond, Rand: rand.New(rand.NewPCG(3, 4)),
		Cases:       []string{certify.CaseRegister, certify.CaseFailover, certify.CaseFailback},
		PrimaryDown: func(context.Context) error { return l.SBC1.SetFault(sbc.Fault{Down: true}) },
		PrimaryUp:   func(context.Context) error { return l.SBC1.SetFault(sbc.Fault{}) },
	})
	if err != nil {
		t.Fatal(err)
	}
	d := Build(nil, nil, res, fixedNow)
	out := renderHTML(t, d)
	if !strings.Contains(out, `id="chart-timeline"`) || !strings.Contains(out, "Live outage: the primary stopped for the whole fleet; failover and failback of 4 devices") {
		t.Errorf("no live timeline in the report")
	}
	// The fleet's figures of the same outage: every device got there.
	if !strings.Contains(out, `id="chart-fleet"`) || !strings.Contains(out, "failover (4): 50% ") || !strings.Contains(out, "failback (4): 50% ") || strings.Contains(out, notReached) {
		t.Errorf("no fleet chart of 4 devices all there in the report")
	}
	props := junitProps(t, d)
	for _, c := range []string{certify.CaseFailover, certify.CaseFailback} {
		p := props["certify."+c]
		if p["fleet."+c+".devices"] != "4" || p["fleet."+c+".never"] != "0" || p["fleet."+c+".p100_ms"] == "" || p["fleet."+c+".p100_ms"] == notReached {
			t.Errorf("%s properties: %v", c, p)
		}
	}
	// The same cases run device by device are not called a live outage.
	sim := certifiedScenario(t, scenarioPassing).data()
	if h := renderHTML(t, sim); strings.Contains(h, "Live outage") || !strings.Contains(h, "treated as down on its own") {
		t.Error("a simulated failover is drawn as a live outage")
	}
}
