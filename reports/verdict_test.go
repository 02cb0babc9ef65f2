package reports

import (
	"strings"
	"testing"

	"github.com/cutover-dev/cutover/certify"
	"github.com/cutover-dev/cutover/migrate"
)

// migratedOnly is a run whose every device is provisioned and that was
// never certified.
func migratedOnly() *Data {
	run := synth(20, 5)
	plan := *run.Plan
	plan.Devices = nil
	var events []migrate.Event
	for _, p := range run.Plan.Devices {
		p.Action = migrate.ActionCreate
		plan.Devices = append(plan.Devices, p)
		for _, st := range Pipeline {
			events = append(events, migrate.Event{TS: fixedNow, MAC: p.MAC, Step: st, Status: migrate.StatusDone, Attempt: 1})
		}
	}
	return Build(&plan, events, nil, fixedNow)
}

// TestNeverCertifiedIsNotGreen: a run migrated but never certified is not
// ready, and no tile shows a green zero for certification.
func TestNeverCertifiedIsNotGreen(t *testing.T) {
	d := migratedOnly()
	if d.Summary.Count(StatusProvisioned) != 20 {
		t.Fatalf("%d provisioned, want 20", d.Summary.Count(StatusProvisioned))
	}
	v := d.Verdict()
	if v.Ready || !strings.Contains(v.Why, "not certified") {
		t.Errorf("verdict %+v, want not ready because not certified", v)
	}
	out := renderHTML(t, d)
	for _, bad := range []string{`class="card good" id="card-pass-rate"`, `class="card good" id="card-certified"`, `data-count="cert-failed">0<`} {
		if strings.Contains(out, bad) {
			t.Errorf("a never-certified run shows %s", bad)
		}
	}
	if !strings.Contains(out, `data-count="pass-rate">not certified<`) || !strings.Contains(out, `data-ready="false"`) {
		t.Error("the pass-rate tile does not say \"not certified\"")
	}

	// Certified and all passing, the same run is ready.
	var results []certify.Result
	for _, dev := range d.Devices {
		for _, c := range []string{certify.CaseRegister, certify.CaseOptions} {
			results = append(results, certify.Result{MAC: dev.MAC, Case: c, Outcome: certify.Pass, Started: fixedNow})
		}
	}
	plan := &migrate.Plan{}
	for _, dev := range d.Devices {
		plan.Devices = append(plan.Devices, migrate.PlannedDevice{MAC: dev.MAC, Action: migrate.ActionCreate})
	}
	var events []migrate.Event
	for _, dev := range d.Devices {
		for _, st := range Pipeline {
			events = append(events, migrate.Event{TS: fixedNow, MAC: dev.MAC, Step: st, Status: migrate.StatusDone, Attempt: 1})
		}
	}
	ok := Build(plan, events, results, fixedNow)
	if v := ok.Verdict(); !v.Ready || !strings.HasPrefix(v.Why, "All 20 planned devices") {
		t.Errorf("verdict %+v, want ready", v)
	}
	if v := ok.Verdict(); v.Title != "Ready" || strings.Contains(v.Why, "proven") {
		t.Errorf("verdict %+v: a run without skips is plainly ready", v)
	}
	// A check the config could not prove is never shown as a clean pass.
	skipped := append([]certify.Result(nil), results...)
	skipped[0].Outcome, skipped[0].Reason = certify.Skip, "tls-chain: not certifiable from the config"
	if v := Build(plan, events, skipped, fixedNow).Verdict(); !v.Ready || v.Title != "Ready, with unproven checks" ||
		!strings.Contains(v.Why, "1 check could not be proven") || strings.Contains(v.Why, "passed every case.") {
		t.Errorf("verdict %+v, want ready with one unproven check", v)
	}
	// One failed step makes it not ready again, naming the step's cause.
	events[len(events)-1].Status, events[len(events)-1].Detail = migrate.StatusFailed, "PUT: 503 Service Unavailable"
	bad := Build(plan, events, results, fixedNow)
	if v := bad.Verdict(); v.Ready || !strings.Contains(v.Why, "1 device failed migration") || !strings.Contains(v.Why, "fix first (1 device)") {
		t.Errorf("verdict %+v, want not ready for one failed device", v)
	}
}

// TestCausesSplitByTarget: the same kind of failure on two different
// targets is two fixes (two SBCs, each with its own expired certificate),
// while one target over many cases and devices stays one.
func TestCausesSplitByTarget(t *testing.T) {
	var results []certify.Result
	for i, mac := range []string{"0004F2000001", "0004F2000002", "0004F2000003"} {
		host := "sbc1.example.test"
		if i == 2 {
			host = "sbc2.example.test"
		}
		for _, c := range []string{certify.CaseTLSChain, certify.CaseRegister} {
			results = append(results, certify.Result{MAC: mac, Case: c, Outcome: certify.Fail, Started: fixedNow,
				Reason: c + ": " + host + ":5061: certificate expired", Remedy: "renew the SBC certificate for " + host})
		}
		results = append(results, certify.Result{MAC: mac, Case: certify.CaseOptions, Outcome: certify.Blocked, Started: fixedNow,
			Reason: "options: blocked: register failed on this device", Remedy: "fix register first"})
	}
	d := Build(nil, nil, results, fixedNow)
	if len(d.Groups) != 2 {
		t.Fatalf("%d groups, want 2 (one per SBC)", len(d.Groups))
	}
	g := d.Groups[0]
	if g.Devices() != 2 || g.Count != 4 || g.Where != "tls-chain, register" || !strings.HasSuffix(g.Remedy, "sbc1.example.test") {
		t.Errorf("first group %+v", g)
	}
	if d.Groups[1].Devices() != 1 || d.Groups[1].Rank != 2 {
		t.Errorf("second group %+v", d.Groups[1])
	}
	if d.Summary.CasesBlocked != 3 || d.Summary.CasesFailed != 6 || len(d.Failures) != 6 {
		t.Errorf("blocked %d, failed %d, failures %d: a blocked case is not a failure", d.Summary.CasesBlocked, d.Summary.CasesFailed, len(d.Failures))
	}
	if dev := d.Devices[2]; dev.CauseGroup != 2 || !strings.HasPrefix(dev.Cause, "tls-chain: sbc2") {
		t.Errorf("device 3: cause %q in group %d", dev.Cause, dev.CauseGroup)
	}
}

func TestMACListFitsACell(t *testing.T) {
	macs := make([]string, 3000)
	for i := range macs {
		macs[i] = "0004F2" + strings.Repeat("0", 6)
	}
	got := macList(macs)
	if len(got) > 32767 || !strings.HasSuffix(got, "and 1000 more (filter Devices on Cause #)") {
		t.Errorf("%d characters, ending %q", len(got), got[len(got)-60:])
	}
	if got := macList(macs[:3]); got != "0004F2000000, 0004F2000000, 0004F2000000" {
		t.Errorf("short list %q", got)
	}
}
