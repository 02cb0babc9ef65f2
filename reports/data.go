package reports

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/cutover-dev/cutover/certify"
	"github.com/cutover-dev/cutover/migrate"
	"github.com/cutover-dev/cutover/rundir"
)

// File names inside a run directory (rundir owns them).
const (
	PlanFile      = rundir.PlanFile
	JournalFile   = rundir.JournalFile
	ResultsFile   = rundir.ResultsFile
	HTMLFile      = rundir.HTMLFile
	XLSXFile      = rundir.XLSXFile
	JUnitFile     = rundir.JUnitFile
	defaultNoMake = "unknown"
)

// ErrNoRunData is returned by Load when the directory holds none of
// plan.json, journal.jsonl and certify.jsonl.
var ErrNoRunData = errors.New("no plan, journal or certification results")

// Status is a device's migration state derived from the plan and the journal.
type Status string

// Device statuses.
const (
	StatusProvisioned Status = "provisioned" // the last pipeline step is done
	StatusRolledBack  Status = "rolled-back" // rollback deleted what the run created
	StatusInProgress  Status = "in-progress" // some steps done, the last one not yet
	StatusUnknown     Status = "unknown"     // a step started and never ended (crash): resume decides
	StatusPending     Status = "pending"     // planned, no step journaled yet
	StatusFailed      Status = "failed"      // a step's latest event is failed
	StatusConflict    Status = "conflict"    // MAC owned by someone else: never touched
	StatusInvalid     Status = "invalid"     // cannot be migrated as written
	StatusNotPlanned  Status = "not-planned" // known only from certification results
)

// AllStatuses lists every Status in the order reports show them.
var AllStatuses = []Status{
	StatusProvisioned, StatusFailed, StatusConflict, StatusInvalid, StatusUnknown,
	StatusInProgress, StatusPending, StatusRolledBack, StatusNotPlanned,
}

// Pipeline is the order of migration steps a device passes (rundir's one
// order); rollback's delete is not part of it.
var Pipeline = rundir.Pipeline

// Data is everything the writers render, derived once by Load or Build.
// Slices are sorted (devices by MAC) so that output is deterministic.
type Data struct {
	Generated time.Time `json:"generated"`
	Run       string    `json:"run"` // the run directory's base name
	Inventory string    `json:"inventory,omitempty"`
	OrgID     string    `json:"orgId,omitempty"`
	HasPlan   bool      `json:"hasPlan"`
	// LastStep is the pipeline step whose completion makes a device
	// provisioned: publish, or render when the journal has no publish event
	// at all (a run without a publish target).
	LastStep migrate.Step `json:"lastStep"`

	Summary  Summary     `json:"summary"`
	Devices  []Device    `json:"devices"`
	Steps    []StepStat  `json:"steps"`   // per pipeline step, in pipeline order
	Cases    []string    `json:"cases"`   // certification cases present, in run order
	CaseSums []CaseSum   `json:"caseSum"` // aligned with Cases
	Timings  []Timing    `json:"timings"` // certification timings by name, sorted
	Failures []Failure   `json:"failures"`
	Groups   []FailGroup `json:"groups"` // failures grouped by cause, most devices first
	// FleetFailover and FleetFailback are the fleet's figures of a live
	// outage (certify.Fleet over the results): Devices 0 when there was none.
	FleetFailover certify.FleetPhase `json:"fleetFailover"`
	FleetFailback certify.FleetPhase `json:"fleetFailback"`

	certFails []Failure // certification failures, completed by collectFailures
	spans     []span    // failover and failback results, for the timeline
}

// span is one failover or failback result placed in time.
type span struct {
	mac, cas string
	start    time.Time
	ms       int64
	outcome  certify.Outcome
	live     bool // the primary was stopped for the whole fleet (certify --primary-down)
}

// Journaled says whether any pipeline step ended (done or failed) in the
// journal: a certification-only run has no migration to report.
func (d *Data) Journaled() bool {
	for _, s := range d.Steps {
		if s.Done+s.Failed > 0 {
			return true
		}
	}
	return false
}

// Summary holds the headline counts.
type Summary struct {
	Planned    int            `json:"planned"` // devices in the plan (or seen anywhere without a plan)
	ByStatus   map[Status]int `json:"byStatus"`
	ByAction   map[string]int `json:"byAction"`
	Certified  int            `json:"certified"`  // devices with at least one certification result
	CertPassed int            `json:"certPassed"` // devices whose every case passed or was skipped
	CertFailed int            `json:"certFailed"`
	// CasesPassed etc. count individual results (device × case).
	CasesPassed  int `json:"casesPassed"`
	CasesFailed  int `json:"casesFailed"`
	CasesSkipped int `json:"casesSkipped"`
	CasesBlocked int `json:"casesBlocked"`
	// Connected counts the devices `cutover watch` saw connected in Webex
	// (a first-connected time in the journal).
	Connected int `json:"connected"`
}

// Count returns the number of devices with status s.
func (s Summary) Count(st Status) int { return s.ByStatus[st] }

// PassRate is the share of certified devices that passed, in [0,1]; NaN
// when nothing was certified.
func (s Summary) PassRate() float64 {
	if s.Certified == 0 {
		return math.NaN()
	}
	return float64(s.CertPassed) / float64(s.Certified)
}

// Device is one device's row in every report.
type Device struct {
	MAC      string `json:"mac"`
	Type     string `json:"type,omitempty"`
	Make     string `json:"make,omitempty"`
	Model    string `json:"model,omitempty"`
	Vendor   string `json:"vendor,omitempty"`
	Owner    string `json:"owner,omitempty"`
	Location string `json:"location,omitempty"`
	Lines    int    `json:"lines"`
	MaxLines int    `json:"maxLines,omitempty"`
	Action   string `json:"action,omitempty"` // the plan's decision
	DeviceID string `json:"deviceId,omitempty"`
	Pos      string `json:"pos,omitempty"` // inventory position FILE:SHEET:ROW:COL

	Status     Status       `json:"status"`
	Step       migrate.Step `json:"step,omitempty"` // the furthest step reached, or the failed one
	Reason     string       `json:"reason,omitempty"`
	Attempts   int          `json:"attempts,omitempty"`   // highest attempt number journaled
	DurationMS int64        `json:"durationMs,omitempty"` // sum of the latest done/failed durations

	// Cert is the device's certification verdict: pass, fail, skip or "".
	Cert certify.Outcome `json:"cert,omitempty"`
	// Cause is the device's first failure (the migration's, else its
	// first failing case's reason) and CauseGroup its group's rank in
	// Data.Groups (1-based; 0 when nothing failed).
	Cause      string `json:"cause,omitempty"`
	CauseGroup int    `json:"causeGroup,omitempty"`
	// Outcomes is aligned with Data.Cases; "" where a case did not run.
	Outcomes []certify.Outcome `json:"outcomes,omitempty"`
	// CaseMS and CaseReasons are aligned with Outcomes: each case's wall
	// time and, for a failure or a skip, why.
	CaseMS      []int64  `json:"-"`
	CaseReasons []string `json:"-"`
	// Members are the planned line appearances or ports, when the plan has them.
	Members []Member `json:"-"`
	// FirstConnected is when `cutover watch` first saw Webex show the device
	// connected (the journal's StepConnected); zero when it never did.
	FirstConnected time.Time `json:"firstConnected,omitzero"`
}

// Member is one planned line appearance (phone) or port (gateway).
type Member struct {
	Port     int
	LineType string // PRIMARY or SHARED_CALL_APPEARANCE
	Primary  bool   // the device owner's own line
	ID       string // the Webex person or workspace id
	Label    string
}

// StepStat summarises one pipeline step over every device.
type StepStat struct {
	Step    migrate.Step `json:"step"`
	Done    int          `json:"done"`
	Failed  int          `json:"failed"`
	Skipped int          `json:"skipped"` // nothing to do (adopted, set by create)
	P50MS   float64      `json:"p50"`
	P95MS   float64      `json:"p95"`
	MaxMS   float64      `json:"max"`
}

// CaseSum counts one certification case's outcomes.
type CaseSum struct {
	Case                string
	Pass, Fail, Skip    int
	Blocked             int
	P50MS, P95MS, MaxMS float64
	durations           []float64
}

// Timing holds percentiles of one named certification measurement (e.g.
// "register", "failover"), in milliseconds.
type Timing struct {
	Name  string  `json:"name"`
	Count int     `json:"count"`
	P50   float64 `json:"p50"`
	P90   float64 `json:"p90"`
	P95   float64 `json:"p95"`
	P99   float64 `json:"p99"`
	Max   float64 `json:"max"`
}

// Failure is one thing that went wrong, with what to do about it.
type Failure struct {
	Source string `json:"source"` // plan, migrate or certify
	MAC    string `json:"mac"`
	Make   string `json:"make,omitempty"`
	Model  string `json:"model,omitempty"`
	Where  string `json:"where"` // the plan action, step or case
	Reason string `json:"reason"`
	Remedy string `json:"remedy"`
	Pos    string `json:"pos,omitempty"`
}

// FailGroup is one cause to fix: the failures sharing a source and a
// remedy (the same fix on the same target, whatever case or step showed
// it), with every device it affects.
type FailGroup struct {
	Rank    int      `json:"rank"` // 1 for the cause affecting the most devices
	Source  string   `json:"source"`
	Where   string   `json:"where"` // the steps or cases that showed it, comma-separated, in run order
	Remedy  string   `json:"remedy"`
	Count   int      `json:"count"` // failures
	MACs    []string `json:"macs"`  // the affected devices, sorted
	Example string   `json:"example"`
}

// Devices is the number of devices the cause affects.
func (g FailGroup) Devices() int { return len(g.MACs) }

// Option configures Load and Generate.
type Option func(*config)

type config struct {
	now             func() time.Time
	html, xlsx, jnt string
	loaded          func(*Data)
}

// WithLoaded has Generate hand the model it built to f, so that a caller
// can print its verdict and causes (CauseLines) without reading the run
// twice.
func WithLoaded(f func(*Data)) Option { return func(c *config) { c.loaded = f } }

// WithClock sets the clock that stamps Data.Generated (default time.Now);
// tests and golden files inject a fixed one.
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// WithHTML, WithXLSX and WithJUnit set where Generate writes each report;
// relative paths are taken as given (relative to the working directory).
func WithHTML(path string) Option  { return func(c *config) { c.html = path } }
func WithXLSX(path string) Option  { return func(c *config) { c.xlsx = path } }
func WithJUnit(path string) Option { return func(c *config) { c.jnt = path } }

func newConfig(opts []Option) *config {
	c := &config{now: time.Now}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Load reads dir's plan.json, journal.jsonl and certify.jsonl (each may be
// missing) and builds the report model. It returns an error wrapping
// ErrNoRunData when none of them exists, and a located error for a
// malformed file.
func Load(dir string, opts ...Option) (*Data, error) {
	cfg := newConfig(opts)
	in, err := readRun(dir)
	if err != nil {
		return nil, err
	}
	d := Build(in.plan, in.events, in.results, cfg.now())
	d.Run = runName(dir)
	return d, nil
}

// runInputs is what one run directory holds for the reports.
type runInputs struct {
	dir     string
	plan    *migrate.Plan // nil without plan.json
	events  []migrate.Event
	results []certify.Result
}

// readRun is the one reader of a run directory for the reports: Load and
// LoadRuns (the merge of shards) both go through it, so whatever a run
// holds reaches a merged report too.
func readRun(dir string) (runInputs, error) {
	in := runInputs{dir: dir}
	if !rundir.HasRunData(dir) {
		if _, err := migrate.ReadPlan(dir); err != nil && !errors.Is(err, os.ErrNotExist) {
			return in, err
		}
		return in, fmt.Errorf("loading reports from %s: %w", dir, ErrNoRunData)
	}
	// The plan, the journal and the results are separate files, each a
	// few tenths of a second to decode at 10,000 devices: read at once,
	// errors reported in that order.
	var (
		wg                        sync.WaitGroup
		planErr, evErr, resultErr error
	)
	wg.Go(func() {
		in.plan, planErr = migrate.ReadPlan(dir)
		if errors.Is(planErr, os.ErrNotExist) {
			in.plan, planErr = nil, nil
		}
	})
	wg.Go(func() { in.events, evErr = rundir.ReadJournal(rundir.Path(dir, JournalFile)) })
	wg.Go(func() { in.results, resultErr = certify.ReadResults(rundir.Path(dir, ResultsFile)) })
	wg.Wait()
	return in, cmp.Or(planErr, evErr, resultErr)
}

// runName is the base name of dir, as reports title a run.
func runName(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = dir
	}
	return filepath.Base(abs)
}

// Build derives the report model from already-read inputs; plan may be nil.
// A device's state is the replay of its events: the latest event of each
// step wins (a failed step later retried and done is done).
func Build(plan *migrate.Plan, events []migrate.Event, results []certify.Result, generated time.Time) *Data {
	d := &Data{Generated: generated.UTC()}
	byMAC := make(map[string]*Device)
	get := func(mac string) *Device {
		dev := byMAC[mac]
		if dev == nil {
			dev = &Device{MAC: mac}
			byMAC[mac] = dev
		}
		return dev
	}
	if plan != nil {
		d.HasPlan = true
		d.Inventory, d.OrgID = redact(plan.Inventory), plan.OrgID
		for _, p := range plan.Devices {
			dev := get(p.MAC)
			dev.Type, dev.Make, dev.Model, dev.Vendor = string(p.Type), p.Make, p.Model, p.Vendor
			dev.Owner, dev.Location, dev.Lines = p.Owner, p.Location, p.Lines
			if p.Type != "" {
				dev.MaxLines = p.Type.MaxLines()
			}
			dev.Action, dev.DeviceID = string(p.Action), p.DeviceID
			for _, m := range p.Members {
				dev.Members = append(dev.Members, Member{Port: m.Port, LineType: m.LineType, Primary: m.PrimaryOwner, ID: m.ID, Label: m.LineLabel})
			}
			if p.Pos.File != "" || p.Pos.Row != 0 {
				dev.Pos = p.Pos.String()
			}
			switch p.Action {
			case migrate.ActionConflict:
				dev.Status, dev.Reason = StatusConflict, redact(p.Reason)
			case migrate.ActionInvalid:
				dev.Status, dev.Reason = StatusInvalid, redact(p.Reason)
			default:
				dev.Status = StatusPending
			}
		}
	}

	d.LastStep = migrate.StepRender
	for i := range events {
		if events[i].Step == migrate.StepPublish {
			d.LastStep = migrate.StepPublish
			break
		}
	}
	replay(d, events, get)
	certResults(d, results, get)
	d.FleetFailover, d.FleetFailback = certify.Fleet(results)

	d.Devices = make([]Device, 0, len(byMAC))
	for _, dev := range byMAC {
		if dev.Status == "" {
			dev.Status = StatusNotPlanned
		}
		dev.Cert = verdict(dev.Outcomes)
		d.Devices = append(d.Devices, *dev)
	}
	slices.SortFunc(d.Devices, func(a, b Device) int { return cmp.Compare(a.MAC, b.MAC) })
	summarise(d, plan)
	d.Failures = collectFailures(d)
	d.Groups = groupFailures(d.Failures)
	firstCauses(d)
	return d
}

// replay derives each device's status from the journal through
// rundir.Replay, the replay a resume uses (file order; a done delete resets a
// device), so that the report says what a resume will do. Steps outside the
// pipeline and rollback are not part of any status and are not counted.
func replay(d *Data, events []migrate.Event, get func(string) *Device) {
	const nslots = 8 // the pipeline, then delete
	states := rundir.Replay(events)
	macs := make([]string, 0, len(states))
	for mac := range states {
		if mac != "" {
			macs = append(macs, mac)
		}
	}
	slices.Sort(macs)
	var (
		durations [nslots][]float64
		stats     [nslots]StepStat
	)
	lastIdx := pipelineIndex(d.LastStep)
	for _, mac := range macs {
		st := states[mac]
		var latest [nslots]*rundir.StepState
		for k := range nslots {
			step := rundir.StepDelete
			if k < nslots-1 {
				step = Pipeline[k]
			}
			if ss, ok := st.Steps[step]; ok {
				latest[k] = &ss
			}
		}
		if latest == [nslots]*rundir.StepState{} {
			continue // only steps outside the pipeline
		}
		dev := get(mac)
		dev.Attempts = st.Attempt
		dev.FirstConnected = st.FirstConnected
		// The Webex device ID is the journal's (the plan's is only what
		// existed before the run), as the replay merged it.
		if id := st.IDs[rundir.IDDevice]; id != "" {
			dev.DeviceID = id
		}
		var (
			failed, started = -1, -1 // the earliest such step in pipeline order
			furthest        = -1
			total           int64
		)
		for k, e := range latest {
			if e == nil {
				continue
			}
			switch e.Status {
			case migrate.StatusDone:
				stats[k].Done++
				durations[k] = append(durations[k], float64(e.DurationMS))
				total += e.DurationMS
			case migrate.StatusFailed:
				stats[k].Failed++
				total += e.DurationMS
				if failed < 0 && k < nslots-1 {
					failed = k
				}
			case migrate.StatusSkipped:
				stats[k].Skipped++
			case migrate.StatusStarted:
				if started < 0 && k < nslots-1 {
					started = k
				}
			}
			if k < nslots-1 && e.Status != migrate.StatusStarted {
				furthest = k
			}
		}
		dev.DurationMS = total
		if furthest >= 0 {
			dev.Step = Pipeline[furthest]
		}
		if st.Deleted {
			dev.Status, dev.Step = StatusRolledBack, migrate.StepDelete
			continue
		}
		switch {
		case failed >= 0:
			e := latest[failed]
			dev.Status, dev.Step, dev.Reason = StatusFailed, Pipeline[failed], redact(e.Detail)
			if dev.Reason == "" {
				dev.Reason = "step " + string(Pipeline[failed]) + " failed"
			}
		case started >= 0:
			dev.Status, dev.Step = StatusUnknown, Pipeline[started]
			dev.Reason = "step " + string(Pipeline[started]) + " started and did not end; resume will check it"
		case furthest >= lastIdx:
			dev.Status = StatusProvisioned
		default:
			dev.Status = StatusInProgress
		}
	}
	for k := range nslots {
		ss := &stats[k]
		if k == nslots-1 {
			if ss.Done+ss.Failed == 0 {
				continue
			}
			ss.Step = migrate.StepDelete
		} else {
			ss.Step = Pipeline[k]
		}
		v := durations[k]
		sort.Float64s(v)
		ss.P50MS, ss.P95MS = percentile(v, 50), percentile(v, 95)
		if len(v) > 0 {
			ss.MaxMS = v[len(v)-1]
		}
		d.Steps = append(d.Steps, *ss)
	}
}

// pipelineIndex orders steps; steps outside the pipeline sort last.
func pipelineIndex(s migrate.Step) int {
	if i := slices.Index(Pipeline, s); i >= 0 {
		return i
	}
	return -1
}

// certResults folds the certification results into the devices, keeping the
// latest result per device and case (a re-run replaces the earlier verdict).
func certResults(d *Data, results []certify.Result, get func(string) *Device) {
	present := make(map[string]bool)
	for _, r := range results {
		present[r.Case] = true
	}
	for _, c := range certify.AllCases {
		if present[c] {
			d.Cases = append(d.Cases, c)
			delete(present, c)
		}
	}
	var extra []string
	for c := range present {
		extra = append(extra, c)
	}
	sort.Strings(extra)
	d.Cases = append(d.Cases, extra...)
	caseIdx := make(map[string]int, len(d.Cases))
	d.CaseSums = make([]CaseSum, len(d.Cases))
	for i, c := range d.Cases {
		caseIdx[c] = i
		d.CaseSums[i].Case = c
	}

	// The latest result of each device and case: per device, one result
	// index per case (-1 for none), in the order devices first appear.
	picks := make(map[string][]int32)
	var order []string
	for i := range results {
		r := &results[i]
		if r.MAC == "" {
			continue
		}
		p := picks[r.MAC]
		if p == nil {
			p = make([]int32, len(d.Cases))
			for j := range p {
				p[j] = -1
			}
			picks[r.MAC] = p
			order = append(order, r.MAC)
		}
		ci := caseIdx[r.Case]
		if j := p[ci]; j < 0 || !r.Started.Before(results[j].Started) {
			p[ci] = int32(i)
		}
	}
	timings := make(map[string][]float64)
	for _, mac := range order {
		dev := get(mac)
		dev.Outcomes = make([]certify.Outcome, len(d.Cases))
		dev.CaseMS = make([]int64, len(d.Cases))
		dev.CaseReasons = make([]string, len(d.Cases))
		for ci, j := range picks[mac] {
			if j < 0 {
				continue
			}
			r := &results[j]
			if dev.Make == "" {
				dev.Make = r.Make
			}
			if dev.Model == "" {
				dev.Model = r.Model
			}
			dev.Outcomes[ci], dev.CaseMS[ci] = r.Outcome, r.DurationMS
			if r.Case == certify.CaseFailover || r.Case == certify.CaseFailback {
				// A live outage's results carry it; results written before
				// they did are known by their reasons, which name the
				// primary stopped (or its command).
				live := !r.Outage.IsZero() || strings.Contains(r.Reason, " stopped;") || strings.Contains(r.Reason, "primary-down") || strings.Contains(r.Reason, " restarted;")
				d.spans = append(d.spans, span{mac, r.Case, r.Started, r.DurationMS, r.Outcome, live})
			}
			cs := &d.CaseSums[ci]
			switch r.Outcome {
			case certify.Pass:
				cs.Pass++
			case certify.Fail:
				cs.Fail++
			case certify.Blocked:
				cs.Blocked++
			default:
				cs.Skip++
			}
			if r.Outcome != certify.Pass {
				dev.CaseReasons[ci] = redact(r.Reason)
			}
			if r.Outcome == certify.Fail {
				reason := dev.CaseReasons[ci]
				if reason == "" {
					reason = r.Case + " failed"
				}
				remedy := redact(r.Remedy)
				if remedy == "" {
					remedy = Remedy(SourceCertify, r.Case, reason)
				}
				d.certFails = append(d.certFails, Failure{Source: SourceCertify, MAC: mac, Where: r.Case, Reason: reason, Remedy: remedy})
			}
			cs.durations = append(cs.durations, float64(r.DurationMS))
			for name, v := range r.Timings {
				if !math.IsNaN(v) && !math.IsInf(v, 0) {
					timings[name] = append(timings[name], v)
				}
			}
		}
	}
	for i := range d.CaseSums {
		cs := &d.CaseSums[i]
		sort.Float64s(cs.durations)
		cs.P50MS, cs.P95MS = percentile(cs.durations, 50), percentile(cs.durations, 95)
		if n := len(cs.durations); n > 0 {
			cs.MaxMS = cs.durations[n-1]
		}
		cs.durations = nil
	}
	names := make([]string, 0, len(timings))
	for n := range timings {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		v := timings[n]
		sort.Float64s(v)
		d.Timings = append(d.Timings, Timing{
			Name: n, Count: len(v), Max: v[len(v)-1],
			P50: percentile(v, 50), P90: percentile(v, 90), P95: percentile(v, 95), P99: percentile(v, 99),
		})
	}
}

// verdict is a device's certification outcome over its cases.
func verdict(o []certify.Outcome) certify.Outcome {
	var pass, skip bool
	for _, x := range o {
		switch x {
		case certify.Fail:
			return certify.Fail
		case certify.Pass:
			pass = true
		case certify.Skip:
			skip = true
		}
	}
	switch {
	case pass:
		return certify.Pass
	case skip:
		return certify.Skip
	}
	return ""
}

func summarise(d *Data, plan *migrate.Plan) {
	s := Summary{ByStatus: make(map[Status]int), ByAction: make(map[string]int)}
	for i := range d.Devices {
		dev := &d.Devices[i]
		s.ByStatus[dev.Status]++
		if dev.Action != "" {
			s.ByAction[dev.Action]++
		}
		for _, o := range dev.Outcomes {
			switch o {
			case certify.Pass:
				s.CasesPassed++
			case certify.Fail:
				s.CasesFailed++
			case certify.Skip:
				s.CasesSkipped++
			case certify.Blocked:
				s.CasesBlocked++
			}
		}
		if !dev.FirstConnected.IsZero() {
			s.Connected++
		}
		switch dev.Cert {
		case certify.Pass:
			s.Certified++
			s.CertPassed++
		case certify.Fail:
			s.Certified++
			s.CertFailed++
		case certify.Skip:
			s.Certified++
			s.CertPassed++
		}
	}
	if plan != nil {
		s.Planned = len(plan.Devices)
	} else {
		s.Planned = len(d.Devices)
	}
	d.Summary = s
}

// percentile is the nearest-rank percentile of sorted v; 0 for no values.
func percentile(sorted []float64, p float64) float64 {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	r := int(math.Ceil(p / 100 * float64(n)))
	r = min(max(r, 1), n)
	return sorted[r-1]
}
