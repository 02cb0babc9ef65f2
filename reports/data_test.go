package reports

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cutover-dev/cutover/certify"
	"github.com/cutover-dev/cutover/migrate"
)

func ev(sec int, mac string, step migrate.Step, st migrate.Status, ms int64, detail string) migrate.Event {
	return migrate.Event{TS: time.Date(2026, 11, 23, 10, 0, sec, 0, time.UTC), MAC: mac, Step: step, Status: st, Attempt: 1, DurationMS: ms, Detail: detail}
}

// allDone journals every pipeline step of mac as done, 100 ms each.
func allDone(sec int, mac string) []migrate.Event {
	var out []migrate.Event
	for _, s := range Pipeline {
		out = append(out, ev(sec, mac, s, migrate.StatusStarted, 0, ""), ev(sec, mac, s, migrate.StatusDone, 100, ""))
	}
	return out
}

func TestBuildDerivesStatusFromTheLatestEventPerStep(t *testing.T) {
	plan := &migrate.Plan{Devices: []migrate.PlannedDevice{
		{MAC: "A00000000001", Make: "Yealink", Model: "T54W", Action: migrate.ActionCreate},
		{MAC: "A00000000002", Make: "Yealink", Model: "T54W", Action: migrate.ActionCreate},
		{MAC: "A00000000003", Make: "Poly", Model: "VVX 450", Action: migrate.ActionCreate},
		{MAC: "A00000000004", Make: "Poly", Model: "VVX 450", Action: migrate.ActionCreate},
		{MAC: "A00000000005", Make: "Poly", Model: "VVX 450", Action: migrate.ActionCreate},
		{MAC: "A00000000006", Action: migrate.ActionConflict, Reason: "MAC in use"},
		{MAC: "A00000000007", Action: migrate.ActionInvalid, Reason: "owner missing"},
		{MAC: "A00000000008", Action: migrate.ActionCreate},
		{MAC: "A00000000009", Action: migrate.ActionCreate},
	}}
	var events []migrate.Event
	events = append(events, allDone(1, "A00000000001")...)
	// 2: members failed, then a resume retried it and everything finished.
	events = append(events, ev(2, "A00000000002", migrate.StepMembers, migrate.StatusFailed, 900, "503"))
	events = append(events, allDone(3, "A00000000002")...)
	// 3: publish failed last.
	events = append(events, allDone(4, "A00000000003")[:12]...)
	events = append(events, ev(5, "A00000000003", migrate.StepPublish, migrate.StatusStarted, 0, ""),
		ev(5, "A00000000003", migrate.StepPublish, migrate.StatusFailed, 50, "PUT /x.cfg: 403 Forbidden"))
	// 4: crashed inside apply.
	events = append(events, ev(6, "A00000000004", migrate.StepCreate, migrate.StatusDone, 10, ""),
		ev(6, "A00000000004", migrate.StepApply, migrate.StatusStarted, 0, ""))
	// 5: halfway, nothing pending.
	events = append(events, ev(7, "A00000000005", migrate.StepCreate, migrate.StatusDone, 10, ""))
	// 8: provisioned, then rolled back.
	events = append(events, allDone(8, "A00000000008")...)
	events = append(events, ev(9, "A00000000008", migrate.StepDelete, migrate.StatusDone, 20, ""))
	// 9: nothing journaled: pending. Z: only certified.
	results := []certify.Result{
		{MAC: "A00000000001", Case: certify.CaseRegister, Outcome: certify.Fail, Reason: "401 twice", Started: time.Unix(1, 0), Timings: map[string]float64{"register": 80}},
		{MAC: "A00000000001", Case: certify.CaseRegister, Outcome: certify.Pass, Started: time.Unix(2, 0), Timings: map[string]float64{"register": 40}},
		{MAC: "A00000000002", Case: certify.CaseRegister, Outcome: certify.Pass, Started: time.Unix(2, 0), Timings: map[string]float64{"register": 60}},
		{MAC: "A00000000002", Case: certify.CaseFailover, Outcome: certify.Fail, Reason: "no answer", Started: time.Unix(2, 0)},
		{MAC: "A0000000000Z", Make: "Cisco", Model: "ATA 192", Case: certify.CaseRegister, Outcome: certify.Skip, Started: time.Unix(2, 0)},
	}
	d := Build(plan, events, results, time.Unix(0, 0))
	want := map[string]Status{
		"A00000000001": StatusProvisioned, "A00000000002": StatusProvisioned, "A00000000003": StatusFailed,
		"A00000000004": StatusUnknown, "A00000000005": StatusInProgress, "A00000000006": StatusConflict,
		"A00000000007": StatusInvalid, "A00000000008": StatusRolledBack, "A00000000009": StatusPending,
		"A0000000000Z": StatusNotPlanned,
	}
	if len(d.Devices) != len(want) {
		t.Fatalf("got %d devices, want %d", len(d.Devices), len(want))
	}
	for _, dev := range d.Devices {
		if dev.Status != want[dev.MAC] {
			t.Errorf("%s: status %s, want %s (step %s, reason %q)", dev.MAC, dev.Status, want[dev.MAC], dev.Step, dev.Reason)
		}
	}
	dev := func(mac string) Device {
		for _, x := range d.Devices {
			if x.MAC == mac {
				return x
			}
		}
		t.Fatalf("no device %s", mac)
		return Device{}
	}
	if x := dev("A00000000003"); x.Step != migrate.StepPublish || x.Reason != "PUT /x.cfg: 403 Forbidden" {
		t.Errorf("failed device: step %s reason %q", x.Step, x.Reason)
	}
	if x := dev("A00000000001"); x.Cert != certify.Pass || x.DurationMS != 700 {
		t.Errorf("device 1: cert %q (the later pass replaces the fail), duration %d want 700", x.Cert, x.DurationMS)
	}
	if x := dev("A00000000002"); x.Cert != certify.Fail {
		t.Errorf("device 2: cert %q, want fail", x.Cert)
	}
	if x := dev("A0000000000Z"); x.Make != "Cisco" || x.Cert != certify.Skip {
		t.Errorf("certified-only device: %+v", x)
	}
	s := d.Summary
	if s.Planned != 9 || s.Count(StatusProvisioned) != 2 || s.Count(StatusFailed) != 1 || s.Certified != 3 || s.CertPassed != 2 || s.CertFailed != 1 {
		t.Errorf("summary %+v", s)
	}
	if len(d.Cases) != 2 || d.Cases[0] != certify.CaseRegister || d.Cases[1] != certify.CaseFailover {
		t.Errorf("cases %v, want register, failover in run order", d.Cases)
	}
	if len(d.Timings) != 1 || d.Timings[0].Name != "register" || d.Timings[0].Count != 2 || d.Timings[0].Max != 60 {
		t.Errorf("timings %+v (only the latest result per case counts)", d.Timings)
	}
	// Failures: conflict and invalid from the plan, publish from the journal, failover from certify.
	var got []string
	for _, f := range d.Failures {
		got = append(got, f.Source+"/"+f.Where+"/"+f.MAC)
		if f.Remedy == "" {
			t.Errorf("failure %+v has no remedy", f)
		}
	}
	wantF := "certify/failover/A00000000002 migrate/publish/A00000000003 plan/conflict/A00000000006 plan/invalid/A00000000007"
	if strings.Join(got, " ") != wantF {
		t.Errorf("failures\n got %s\nwant %s", strings.Join(got, " "), wantF)
	}
	var members StepStat
	for _, st := range d.Steps {
		if st.Step == migrate.StepMembers {
			members = st
		}
	}
	// Device 8 was rolled back: the replay resets its steps, so only the
	// three devices still migrated count.
	if members.Done != 3 || members.Failed != 0 || members.P50MS != 100 {
		t.Errorf("members step %+v: the retried failure must not count", members)
	}
}

// The report and a resume read the journal through one replay: for a
// journal whose timestamps go backwards (a clock stepped back), every
// device's report status agrees with what rundir.Replay (what a resume
// does) says about it.
func TestReportAgreesWithResumeOnOutOfOrderTimestamps(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	at := func(sec int, mac string, s migrate.Step, st migrate.Status, detail string) migrate.Event {
		return migrate.Event{TS: t0.Add(time.Duration(sec) * time.Second), MAC: mac, Step: s, Status: st, Attempt: 1, Detail: detail}
	}
	var events []migrate.Event
	// A: members failed, then (clock stepped back) retried and done; all done.
	for _, s := range Pipeline[:2] {
		events = append(events, at(0, "A00000000001", s, migrate.StatusDone, ""))
	}
	events = append(events, at(100, "A00000000001", migrate.StepMembers, migrate.StatusFailed, "boom"))
	for _, s := range Pipeline[2:6] {
		events = append(events, at(-3600, "A00000000001", s, migrate.StatusDone, ""))
	}
	// B: create done, then apply done stamped later than a failure that
	// came after it in the file: the failure is the truth.
	events = append(events, at(0, "A00000000002", migrate.StepCreate, migrate.StatusDone, ""))
	events = append(events, at(500, "A00000000002", migrate.StepPassword, migrate.StatusDone, ""))
	events = append(events, at(10, "A00000000002", migrate.StepPassword, migrate.StatusFailed, "later in the file"))
	// C: rolled back, then migrated again with an older clock.
	events = append(events, at(0, "A00000000003", migrate.StepCreate, migrate.StatusDone, ""))
	events = append(events, at(50, "A00000000003", migrate.StepDelete, migrate.StatusDone, ""))
	for _, s := range Pipeline[:6] {
		events = append(events, at(-50, "A00000000003", s, migrate.StatusDone, ""))
	}
	d := Build(nil, events, nil, t0)
	states := migrate.Replay(events)
	want := map[string]Status{"A00000000001": StatusProvisioned, "A00000000002": StatusFailed, "A00000000003": StatusProvisioned}
	for _, dev := range d.Devices {
		st := states[dev.MAC]
		failedStep, _ := st.Failed()
		resume := StatusProvisioned
		switch {
		case st.Deleted:
			resume = StatusRolledBack
		case failedStep != "":
			resume = StatusFailed
		}
		if dev.Status != want[dev.MAC] || dev.Status != resume {
			t.Errorf("%s: report %s, resume's replay %s, want %s", dev.MAC, dev.Status, resume, want[dev.MAC])
		}
	}
}

func TestLastStepIsRenderWithoutPublishEvents(t *testing.T) {
	var events []migrate.Event
	for _, s := range Pipeline[:6] {
		events = append(events, ev(1, "A00000000001", s, migrate.StatusDone, 5, ""))
	}
	d := Build(nil, events, nil, time.Unix(0, 0))
	if d.LastStep != migrate.StepRender || d.Devices[0].Status != StatusProvisioned {
		t.Fatalf("last step %s, status %s", d.LastStep, d.Devices[0].Status)
	}
	if d.Summary.Planned != 1 {
		t.Errorf("planned %d without a plan: want the devices seen", d.Summary.Planned)
	}
}

func TestPercentileNearestRank(t *testing.T) {
	v := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	for _, c := range []struct{ p, want float64 }{{50, 5}, {95, 10}, {90, 9}, {10, 1}, {0, 1}, {100, 10}} {
		if got := percentile(v, c.p); got != c.want {
			t.Errorf("p%v = %v, want %v", c.p, got, c.want)
		}
	}
	if percentile(nil, 50) != 0 {
		t.Error("percentile of nothing")
	}
}

func TestLoadNoRunData(t *testing.T) {
	_, err := Load(t.TempDir())
	if !errors.Is(err, ErrNoRunData) {
		t.Fatalf("err = %v, want ErrNoRunData", err)
	}
}

func TestLoadMalformedInputsAreLocated(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, PlanFile), []byte(`{"devices": [}`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(dir)
	if err == nil || !strings.Contains(err.Error(), "plan.json") {
		t.Fatalf("err = %v, want one naming plan.json", err)
	}
	dir = t.TempDir()
	body := "{\"mac\":\"A1\",\"step\":\"create\",\"status\":\"done\"}\nnot json\n{\"mac\":\"A1\",\"step\":\"password\",\"status\":\"done\"}\n"
	if err := os.WriteFile(filepath.Join(dir, JournalFile), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Load(dir)
	if err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("err = %v, want one naming line 2", err)
	}
}

func TestLoadReadsARunDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "wave1")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	run := synth(300, 1)
	run.writeRun(t, dir)
	d, err := Load(dir, WithClock(func() time.Time { return fixedNow }))
	if err != nil {
		t.Fatal(err)
	}
	if d.Run != "wave1" || !d.Generated.Equal(fixedNow) || len(d.Devices) != 300 || d.Summary.Planned != 300 {
		t.Fatalf("run %q generated %v devices %d planned %d", d.Run, d.Generated, len(d.Devices), d.Summary.Planned)
	}
	want := run.data()
	want.Run = d.Run
	if d.Summary.Count(StatusProvisioned) != want.Summary.Count(StatusProvisioned) || len(d.Failures) != len(want.Failures) {
		t.Errorf("Load and Build disagree: %+v vs %+v", d.Summary, want.Summary)
	}
	for _, st := range []Status{StatusProvisioned, StatusFailed, StatusConflict, StatusInvalid, StatusUnknown, StatusPending} {
		if d.Summary.Count(st) == 0 {
			t.Errorf("the synthetic run has no %s device; it should exercise every status", st)
		}
	}
}

func TestRemedyMapsKnownFailures(t *testing.T) {
	for _, c := range []struct{ src, where, reason, want string }{
		{SourceMigrate, "create", "creating device X: POST /devices: 409 MAC address is in use", "Release the MAC"},
		{SourceMigrate, "create", "POST /devices: 429 Too Many Requests", "--rate"},
		{SourceMigrate, "publish", "PUT: permission denied", "provisioning target"},
		{SourcePlan, "conflict", "", "release the MAC"},
		{SourceCertify, certify.CaseTLSChain, "x509", "IdenTrust root"},
		{SourceCertify, certify.CaseFailover, "34 s", "secondary"},
		{SourceCertify, "some-new-case", "x", "certify again"},
	} {
		if got := Remedy(c.src, c.where, c.reason); !strings.Contains(got, c.want) {
			t.Errorf("Remedy(%s, %s, %q) = %q, want it to mention %q", c.src, c.where, c.reason, got, c.want)
		}
	}
}
