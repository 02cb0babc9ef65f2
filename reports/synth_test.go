package reports

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cutover-dev/cutover/certify"
	"github.com/cutover-dev/cutover/migrate"
	"github.com/cutover-dev/cutover/migrate/inventory"
	"github.com/cutover-dev/cutover/rundir"
	"github.com/cutover-dev/cutover/webex"
)

// fixedNow is the generation time of every golden report.
var fixedNow = time.Date(2026, 11, 23, 18, 0, 0, 0, time.UTC)

// Planted values that must come out escaped, as text, or not at all.
const (
	plantedSecret  = "Hunter2!Secret"
	plantedFormula = `=HYPERLINK("http://evil.example","click")`
	plantedMarkup  = `<script>alert("owned")</script>`
)

type synthModel struct {
	make, model, vendor string
	kind                inventory.Kind
}

var synthModels = []synthModel{
	{"Yealink", "T54W", "yealink", inventory.Phone},
	{"Yealink", "T46U", "yealink", inventory.Phone},
	{"Yealink", "T33G", "yealink", inventory.Phone},
	{"Poly", "VVX 450", "poly", inventory.Phone},
	{"Poly", "Edge E350", "poly", inventory.Phone},
	{"Grandstream", "GRP2614", "grandstream", inventory.Phone},
	{"AudioCodes", "MP-114", "audiocodes", inventory.Gateway},
	{"Patton", "SN200", "patton", inventory.Gateway},
	{"Cisco", "ATA 192", "cisco", inventory.Gateway},
}

// synthRun is a realistic run: a plan with conflicts and invalid rows, a
// journal with failures, retries, a crash mid-step and unfinished devices,
// and certification results with failures and skips. It is deterministic for
// a given n and seed, and sized for benchmarks too.
type synthRun struct {
	Plan    *migrate.Plan
	Events  []migrate.Event
	Results []certify.Result
}

func synth(n int, seed uint64) *synthRun {
	rng := rand.New(rand.NewPCG(seed, 42))
	base := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	run := &synthRun{Plan: &migrate.Plan{Created: base, Inventory: "inventory.xlsx", OrgID: "Y2lzY29zcGFyazovL3VzL09SR0FOSVpBVElPTi9hY21l", Summary: map[migrate.Action]int{}}}
	ts := base
	tick := func() time.Time { ts = ts.Add(time.Millisecond); return ts }
	for i := range n {
		m := synthModels[i%len(synthModels)]
		mac := fmt.Sprintf("0004F2%06X", i)
		owner := fmt.Sprintf("user%05d@acme.example", i)
		if m.kind == inventory.Gateway {
			owner = fmt.Sprintf("Lobby %d", i)
		}
		switch i {
		case 3:
			owner = plantedFormula
		case 4:
			owner = plantedMarkup
		}
		lines := 1 + i%4
		pd := migrate.PlannedDevice{
			MAC: mac, Type: m.kind, Make: m.make, Model: m.model, Vendor: m.vendor, WebexModel: "DMS " + m.make + " " + m.model,
			Owner: owner, OwnerType: inventory.Person, Location: fmt.Sprintf("Site %d", i%7), Lines: lines, Action: migrate.ActionCreate,
			Pos: inventory.Pos{File: "inventory.xlsx", Sheet: "Devices", Row: i + 2, Column: "A", Header: "mac"},
		}
		if m.kind == inventory.Gateway {
			pd.OwnerType = inventory.Workspace
		}
		for p := 1; p <= lines; p++ {
			lt := "PRIMARY"
			if p > 1 {
				lt = "SHARED_CALL_APPEARANCE"
			}
			pd.Members = append(pd.Members, webex.MemberPut{Port: p, ID: fmt.Sprintf("person-%d-%d", i, p), PrimaryOwner: p == 1, LineType: lt, LineWeight: 1, LineLabel: fmt.Sprintf("Line %d", p)})
		}
		switch {
		case i%97 == 5:
			pd.Action, pd.Reason, pd.DeviceID = migrate.ActionConflict, "MAC "+mac+" is in use by another organization", "dev-other-"+mac
		case i%89 == 6:
			pd.Action, pd.Reason = migrate.ActionInvalid, fmt.Sprintf("inventory.xlsx:Devices:%d:F: owner %q not found", i+2, owner)
		case i%13 == 7:
			pd.Action, pd.DeviceID = migrate.ActionAdopt, "dev-"+mac
		}
		run.Plan.Devices = append(run.Plan.Devices, pd)
		run.Plan.Summary[pd.Action]++
		if pd.Action == migrate.ActionConflict || pd.Action == migrate.ActionInvalid {
			continue
		}
		if i >= n-n/100 && n >= 100 {
			continue // the last 1% has not started: pending
		}
		provisioned := true
		for si, step := range Pipeline {
			ev := func(st migrate.Status, attempt int, ms int64, detail string) {
				e := migrate.Event{TS: tick(), MAC: mac, Step: step, Status: st, Attempt: attempt, Detail: detail}
				if st == migrate.StatusDone || st == migrate.StatusFailed {
					e.DurationMS = ms
				}
				if step == migrate.StepCreate && st == migrate.StatusDone {
					e.IDs = map[string]string{"deviceId": "dev-" + mac}
				}
				run.Events = append(run.Events, e)
			}
			dur := int64(40 + rng.IntN(200) + si*30)
			ev(migrate.StatusStarted, 1, 0, "")
			switch {
			case step == migrate.StepCreate && i%31 == 8:
				ev(migrate.StatusFailed, 1, dur, "creating device "+mac+": POST /devices: 409 MAC address is in use by another organization (tracking ID ROUTER_1234)")
				provisioned = false
			case step == migrate.StepPassword && i%37 == 9:
				ev(migrate.StatusFailed, 1, dur, "setting password of "+mac+": PUT /telephony/config/devices/x/settings: 400 password="+plantedSecret+" violates policy")
				provisioned = false
			case step == migrate.StepMembers && i%41 == 10:
				// Failed, then retried on resume and done: the latest event wins.
				ev(migrate.StatusFailed, 1, dur, "assigning members of "+mac+": PUT /members: 503 Service Unavailable")
				ev(migrate.StatusStarted, 2, 0, "")
				ev(migrate.StatusDone, 2, dur, "")
			case step == migrate.StepApply && i%71 == 11:
				provisioned = false // crashed mid-step: started without an end
			case step == migrate.StepPublish && i%53 == 12:
				ev(migrate.StatusFailed, 1, dur, "publishing "+mac+".cfg: PUT https://prov.acme.example/"+mac+".cfg: "+plantedMarkup)
				provisioned = false
			default:
				ev(migrate.StatusDone, 1, dur, "")
			}
			if !provisioned {
				break
			}
		}
		if !provisioned {
			continue
		}
		// cutover watch saw most provisioned devices connected in Webex.
		if i%5 != 0 {
			run.Events = append(run.Events, migrate.Event{TS: base.Add(time.Hour + time.Duration(i)*time.Second), MAC: mac, Step: rundir.StepConnected, Status: migrate.StatusDone})
		}
		started := tick()
		for _, c := range certify.AllCases {
			r := certify.Result{MAC: mac, Make: m.make, Model: m.model, Case: c, Outcome: certify.Pass, Target: "sbc1.acme.example:5061",
				Started: started, DurationMS: int64(20 + rng.IntN(80))}
			switch c {
			case certify.CaseRegister:
				r.Timings = map[string]float64{"register": float64(30 + rng.IntN(170))}
			case certify.CaseFailover:
				// A live outage of the whole fleet, as certify --primary-down runs it.
				r.Outage = base.Add(time.Hour)
				r.Timings = map[string]float64{"failover": float64(2000 + rng.IntN(30000))}
				r.DurationMS = int64(r.Timings["failover"])
				if i%17 == 13 {
					r.Outcome, r.Reason = certify.Fail, "failover: secondary sbc2.acme.example:5061 answered after 34.2 s, limit 32 s"
					r.Timings["failover"] = 34200
				}
			case certify.CaseTLSChain:
				if i%43 == 14 {
					r.Outcome, r.Reason = certify.Fail, "tls-chain: x509: certificate signed by unknown authority"
				}
			case certify.CaseCall:
				r.Outcome, r.Reason = certify.Skip, "the SBC does not route calls"
			}
			run.Results = append(run.Results, r)
		}
	}
	return run
}

// writeRun writes the run's files into dir the way migrate and certify do.
func (r *synthRun) writeRun(tb testing.TB, dir string) {
	tb.Helper()
	b, err := json.MarshalIndent(r.Plan, "", "  ")
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, PlanFile), b, 0o644); err != nil {
		tb.Fatal(err)
	}
	writeJSONL(tb, filepath.Join(dir, JournalFile), r.Events)
	writeJSONL(tb, filepath.Join(dir, ResultsFile), r.Results)
}

func writeJSONL[T any](tb testing.TB, path string, vs []T) {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	enc := json.NewEncoder(f)
	for _, v := range vs {
		if err := enc.Encode(v); err != nil {
			tb.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
}

func (r *synthRun) data() *Data {
	d := Build(r.Plan, r.Events, r.Results, fixedNow)
	d.Run = "wave1"
	return d
}
