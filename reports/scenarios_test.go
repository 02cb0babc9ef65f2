package reports

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/cutover-dev/cutover/certify"
	"github.com/cutover-dev/cutover/migrate"
	"github.com/cutover-dev/cutover/migrate/inventory"
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
