package migrate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/cutover-dev/cutover/migrate/inventory"
	"github.com/cutover-dev/cutover/render"
	"github.com/cutover-dev/cutover/rundir"
	"github.com/cutover-dev/cutover/webex"
)

// StepFunc is one extra step of a device's pipeline (render, publish). It is
// called once per device and run; a returned error fails the device (the run
// goes on) unless it is fatal (webex.IsFatal, ErrJournal, or wraps ErrFatal).
type StepFunc func(ctx context.Context, d *DeviceRun) error

// ErrFatal may be wrapped by an extra step's error to stop the whole run
// (disk full, publish target refusing credentials).
var ErrFatal = errors.New("fatal")

// ExtraStep is a step appended to the pipeline after StepInfo. Extra steps
// are local work (render, publish): they run outside the Jobs bound on
// Webex calls (RunOptions.Jobs), so one must not call Webex.
type ExtraStep struct {
	Step Step
	Run  StepFunc
}

// DeviceRun is what a step sees of one device.
type DeviceRun struct {
	Planned *PlannedDevice
	// Device is the inventory row.
	Device *inventory.Device
	// Dir is the run directory.
	Dir string
	// IDs holds deviceId and callingDeviceId once the device exists.
	IDs map[string]string

	secrets *Secrets
	info    *render.DeviceInfo
}

// MAC returns the device's MAC (12 upper-case hex digits).
func (d *DeviceRun) MAC() string { return d.Planned.MAC }

// Password returns the device's SIP password from the run's secrets.
func (d *DeviceRun) Password() (string, bool) { return d.secrets.Get(d.Planned.MAC) }

// Info returns the device information the info step saved, reading
// DIR/info/<MAC>.json when the step ran in an earlier run.
func (d *DeviceRun) Info() (*render.DeviceInfo, error) {
	if d.info != nil {
		return d.info, nil
	}
	info, err := ReadInfo(d.Dir, d.Planned.MAC)
	if err != nil {
		return nil, err
	}
	d.info = info
	return info, nil
}

// ReadInfo reads DIR/info/<MAC>.json (rundir.ReadInfo: a file naming
// another MAC is refused).
func ReadInfo(dir, mac string) (*render.DeviceInfo, error) {
	var info render.DeviceInfo
	if err := rundir.ReadInfo(dir, mac, &info); err != nil {
		return nil, err
	}
	return &info, nil
}

// RunOptions tunes Run.
type RunOptions struct {
	// Dir is the run directory (journal, secrets, info files). Required.
	Dir string
	// Jobs is how many devices are in their Webex steps (create to info) at
	// once (default 8). The request rate is the client's business. The
	// extra steps after them are local (render, publish) and do not hold
	// one of the Jobs: up to LocalBacklog more devices may be in them, so
	// that a publisher's group commit (an fsync per batch) collects many
	// devices while the next ones talk to Webex.
	Jobs int
	// DryRun reports what would be done and writes nothing, neither to Webex
	// nor to Dir.
	DryRun bool
	// ExtraSteps run after StepInfo, in order.
	ExtraSteps []ExtraStep
	// Progress receives step events; nil reports nowhere.
	Progress Progress
	Logger   *slog.Logger
	Now      func() time.Time
	// Journal tunes the journal's batching.
	Journal []JournalOption
	// Lock is Dir's lock when the caller holds it already (Migrate takes it
	// before planning); nil makes Run take it.
	Lock *rundir.Lock
}

// Result sums a run up.
type Result struct {
	Devices     int // devices in the plan
	Done        int // every step done (in this run or an earlier one)
	Failed      int // a step failed
	Conflict    int // never touched: the MAC is someone else's
	Invalid     int // never touched: cannot be migrated as written
	Interrupted int // not finished when the run stopped
	Created     int // created by this invocation
	// Finished says the journal showed every device done before anything
	// was planned: Migrate neither planned nor ran.
	Finished bool
	Failures []Failure
	// Pending lists, for a dry run, the steps each device would still go
	// through (devices with nothing left are absent).
	Pending []PendingDevice
}

// OK reports whether every device of the plan is done.
func (r *Result) OK() bool { return r.Done == r.Devices }

// Failure is one failed device.
type Failure struct {
	MAC    string
	Step   Step
	Detail string
}

// PendingDevice is a device a dry run would work on.
type PendingDevice struct {
	MAC    string
	Action Action
	Steps  []Step
}

// Run executes plan: each device whose action is create, adopt or update
// goes through create, password, members, apply, info and opts.ExtraSteps,
// concurrently (opts.Jobs devices at once). Every step is journaled in
// DIR/journal.jsonl; a device's steps already done in an earlier run are
// skipped, so running again with the same Dir resumes.
//
// What each action does:
//   - create: POST /devices with the device's SIP password (which is
//     therefore not set again), members put, apply, info.
//   - adopt: the existing device keeps its lines; its SIP password is set
//     (Webex never reveals a password, and a config cannot be rendered
//     without it), then apply and info.
//   - update: like adopt, but the lines are replaced by the inventory's.
//
// Conflict and invalid devices are never touched. SIP passwords (the
// inventory's, or generated with crypto/rand) are saved to DIR/secrets.json
// before any is sent. A failed device is journaled and the run goes on; Run
// returns an error (with the partial Result) only when ctx ends or an error is
// fatal: the token or a scope refused, or the journal cannot be written.
func Run(ctx context.Context, api API, plan *Plan, devs []inventory.Device, opts RunOptions) (*Result, error) {
	if opts.Dir == "" {
		return nil, errors.New("running plan: no run directory")
	}
	if !opts.DryRun && opts.Lock == nil {
		l, err := rundir.Acquire(opts.Dir)
		if err != nil {
			return nil, fmt.Errorf("running plan: %w", err)
		}
		defer l.Release()
	}
	r := &runner{api: api, opts: opts, log: opts.Logger, progress: opts.Progress}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if r.progress == nil {
		r.progress = nopProgress{}
	}
	if r.opts.Jobs <= 0 {
		r.opts.Jobs = 8
	}
	if r.opts.Now == nil {
		r.opts.Now = time.Now
	}
	r.steps = runSteps(opts)
	return r.run(ctx, plan, devs)
}

// LocalBacklog is how many devices may be in the extra steps beside the
// Jobs in their Webex steps. At 5,000 devices published to a directory on
// ext4 a device waited 12 ms for the publisher's fsync while holding a job;
// it was half of the migration's time.
const LocalBacklog = 256

type runner struct {
	api      API
	webex    chan struct{} // a token per device in its Webex steps (Jobs of them)
	opts     RunOptions
	log      *slog.Logger
	progress Progress
	steps    []Step
	journal  *Journal
	secrets  *Secrets
	domains  memo[string]

	mu  sync.Mutex
	res Result
}

func (r *runner) run(ctx context.Context, plan *Plan, devs []inventory.Device) (*Result, error) {
	events, err := ReadJournal(filepath.Join(r.opts.Dir, JournalFile))
	if err != nil {
		return nil, err
	}
	states := Replay(events)
	byMAC := make(map[string]*inventory.Device, len(devs))
	for i := range devs {
		byMAC[devs[i].MAC] = &devs[i]
	}
	r.res.Devices = len(plan.Devices)

	var work []int
	for i := range plan.Devices {
		pd := &plan.Devices[i]
		switch pd.Action {
		case ActionConflict:
			r.res.Conflict++
			continue
		case ActionInvalid:
			r.res.Invalid++
			continue
		case ActionCreate, ActionAdopt, ActionUpdate:
		default:
			return nil, fmt.Errorf("running plan: device %s: unknown action %q", pd.MAC, pd.Action)
		}
		if byMAC[pd.MAC] == nil {
			return nil, fmt.Errorf("running plan: device %s is not in the inventory", pd.MAC)
		}
		work = append(work, i)
	}

	if r.opts.DryRun {
		for _, i := range work {
			pd := &plan.Devices[i]
			st := states[pd.MAC]
			var left []Step
			for _, s := range r.steps {
				if st == nil || !st.Step(s).Done() {
					left = append(left, s)
				}
			}
			if len(left) == 0 {
				r.res.Done++
				continue
			}
			r.res.Pending = append(r.res.Pending, PendingDevice{MAC: pd.MAC, Action: pd.Action, Steps: left})
		}
		return &r.res, nil
	}

	if r.secrets, err = OpenSecrets(r.opts.Dir); err != nil {
		return nil, err
	}
	if err := r.secrets.EncryptNow(); err != nil {
		return nil, err
	}
	if err := r.assignPasswords(plan, work, byMAC, states); err != nil {
		return nil, err
	}
	jopts := append([]JournalOption{journalClock(r.opts.Now)}, r.opts.Journal...)
	if r.journal, err = OpenJournal(r.opts.Dir, jopts...); err != nil {
		return nil, err
	}

	r.progress.Begin(r.steps, len(work))
	g, gctx := errgroup.WithContext(ctx)
	r.webex = make(chan struct{}, r.opts.Jobs)
	if len(r.opts.ExtraSteps) > 0 {
		g.SetLimit(r.opts.Jobs + LocalBacklog)
	} else {
		g.SetLimit(r.opts.Jobs)
	}
	// The intents of the next batch are made durable while the current one
	// is dispatched, so that the workers never wait on the dispatcher's
	// fsync (on a busy disk one can take a second).
	next := r.writeIntentsAsync(plan, work, 0, states)
	var (
		intents map[string]bool
		runErr  error
	)
dispatch:
	for k, i := range work {
		if gctx.Err() != nil {
			break
		}
		if k%intentBatch == 0 {
			b := <-next
			if b.err != nil {
				runErr = b.err
				next = nil
				break dispatch
			}
			intents = b.intents
			next = r.writeIntentsAsync(plan, work, k+intentBatch, states)
		}
		pd := &plan.Devices[i]
		st := states[pd.MAC]
		if st == nil {
			st = &DeviceState{MAC: pd.MAC, Steps: map[Step]StepState{}, IDs: map[string]string{}}
		}
		intent := intents[pd.MAC]
		g.Go(func() error { return r.device(gctx, pd, byMAC[pd.MAC], st, intent) })
	}
	// The batch written ahead may be unused: wait for it anyway, so that
	// the journal is not closed under it.
	if next != nil {
		<-next
	}
	if err := g.Wait(); runErr == nil {
		runErr = err
	}
	r.progress.End()
	if err := r.journal.Close(); err != nil && runErr == nil {
		runErr = err
	}
	if runErr == nil {
		runErr = ctx.Err()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.res.Interrupted = r.res.Devices - r.res.Done - r.res.Failed - r.res.Conflict - r.res.Invalid
	sort.Slice(r.res.Failures, func(i, j int) bool { return r.res.Failures[i].MAC < r.res.Failures[j].MAC })
	res := r.res
	return &res, runErr
}

// intentBatch is how many creates' started events are made durable with
// one fsync, ahead of the workers.
const intentBatch = 64

// intentsDone is a batch of intents made durable.
type intentsDone struct {
	intents map[string]bool
	err     error
}

// writeIntentsAsync writes, in the background, the intents of the batch of
// work starting at from (nothing past the end of work).
func (r *runner) writeIntentsAsync(plan *Plan, work []int, from int, states map[string]*DeviceState) <-chan intentsDone {
	ch := make(chan intentsDone, 1)
	if from >= len(work) {
		ch <- intentsDone{}
		return ch
	}
	batch := work[from:min(from+intentBatch, len(work))]
	go func() {
		intents, err := r.writeIntents(plan, batch, states)
		ch <- intentsDone{intents, err}
	}()
	return ch
}

// writeIntents journals the started event of every create among the next
// devices and syncs once: a create's started event must be on disk before its
// POST, so that after a crash the next run looks the MAC up instead of
// creating it again. A device whose POST was never sent only costs that
// lookup. One fsync per batch instead of one per create matters on slow disks.
// It returns the MACs whose intent it wrote.
func (r *runner) writeIntents(plan *Plan, next []int, states map[string]*DeviceState) (map[string]bool, error) {
	intents := map[string]bool{}
	for _, i := range next {
		pd := &plan.Devices[i]
		st := states[pd.MAC]
		if pd.Action != ActionCreate || (st != nil && st.Step(StepCreate).Done()) {
			continue
		}
		attempt := 1
		if st != nil {
			attempt = st.Step(StepCreate).Attempts + 1
		}
		if err := r.journal.Append(Event{MAC: pd.MAC, Step: StepCreate, Status: StatusStarted,
			Attempt: attempt, IDs: waveIDs(pd)}); err != nil {
			return nil, err
		}
		intents[pd.MAC] = true
	}
	if len(intents) == 0 {
		return intents, nil
	}
	return intents, r.journal.Sync()
}

func waveIDs(pd *PlannedDevice) map[string]string {
	ids := map[string]string{}
	if pd.Wave != "" {
		ids[idWave] = pd.Wave
	}
	return ids
}

// assignPasswords gives every device to run a SIP password and saves them
// all before the first is sent: a device that Webex may already hold a
// password for (its create or password step was attempted) keeps the stored
// one; otherwise the inventory's wins, then a stored one, then a new one.
func (r *runner) assignPasswords(plan *Plan, work []int, byMAC map[string]*inventory.Device, states map[string]*DeviceState) error {
	changed := false
	for _, i := range work {
		pd := &plan.Devices[i]
		dev := byMAC[pd.MAC]
		stored, ok := r.secrets.Get(pd.MAC)
		st := states[pd.MAC]
		touched := st != nil && (st.Step(StepCreate).Attempts > 0 || st.Step(StepPassword).Attempts > 0)
		switch {
		case ok && touched:
		case dev.SIPPassword != "":
			if stored != dev.SIPPassword {
				r.secrets.Set(pd.MAC, dev.SIPPassword)
				changed = true
			}
		case ok:
		default:
			pw, err := generatePassword([]string{pd.OwnerExtension}, r.secrets.Used)
			if err != nil {
				return fmt.Errorf("assigning password to %s: %w", pd.MAC, err)
			}
			r.secrets.Set(pd.MAC, pw)
			changed = true
		}
	}
	if !changed {
		return nil
	}
	return r.secrets.Save()
}

// device runs one device's pipeline. It returns an error only when the run
// must stop.
func (r *runner) device(ctx context.Context, pd *PlannedDevice, dev *inventory.Device, st *DeviceState, intent bool) error {
	d := &DeviceRun{Planned: pd, Device: dev, Dir: r.opts.Dir, IDs: map[string]string{}, secrets: r.secrets}
	for k, v := range st.IDs {
		d.IDs[k] = v
	}
	// The device holds a Webex token through its engine steps and gives it
	// back before the extra (local) ones.
	held := false
	release := func() {
		if held {
			<-r.webex
			held = false
		}
	}
	defer release()
	for _, step := range r.steps {
		if err := ctx.Err(); err != nil {
			return err
		}
		ss := st.Step(step)
		if ss.Done() && step == StepInfo {
			if _, err := d.Info(); err != nil {
				ss = StepState{Attempts: ss.Attempts} // the file is gone: read it again
			}
		}
		if ss.Done() {
			r.progress.StepDone(pd.MAC, step, nil)
			continue
		}
		switch {
		case !engineStep(step):
			release()
		case !held:
			select {
			case r.webex <- struct{}{}:
				held = true
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		r.progress.StepStarted(pd.MAC, step)
		err := r.step(ctx, d, st, step, ss.Attempts+1, intent && step == StepCreate)
		r.progress.StepDone(pd.MAC, step, stepOutcome(ctx, err))
		if err == nil {
			continue
		}
		if fatal(ctx, err) || errors.Is(err, ErrFatal) {
			return err
		}
		r.mu.Lock()
		r.res.Failed++
		r.res.Failures = append(r.res.Failures, Failure{MAC: pd.MAC, Step: step, Detail: err.Error()})
		r.mu.Unlock()
		return nil
	}
	r.mu.Lock()
	r.res.Done++
	r.mu.Unlock()
	return nil
}

// engineStep reports whether step is one of the engine's own (Webex)
// steps, create to info, rather than an extra one after them.
func engineStep(step Step) bool {
	i := step.Index()
	return i >= 0 && i <= StepInfo.Index()
}

// outcome is what a step function reports besides its error.
type outcome struct {
	status Status // done (default) or skipped
	ids    map[string]string
	detail string
}

// step journals and runs one step; started says the step's started event
// is in the journal already (a create's intent).
func (r *runner) step(ctx context.Context, d *DeviceRun, st *DeviceState, step Step, attempt int, started bool) error {
	mac := d.Planned.MAC
	ids := waveIDs(d.Planned)
	var fn func(context.Context, *DeviceRun, *DeviceState) (outcome, error)
	switch step {
	case StepCreate:
		fn = r.create
	case StepPassword:
		fn = r.password
	case StepMembers:
		fn = r.members
	case StepApply:
		fn = r.apply
	case StepInfo:
		fn = r.info
	default:
		for _, x := range r.opts.ExtraSteps {
			if x.Step == step {
				run := x.Run
				fn = func(ctx context.Context, d *DeviceRun, _ *DeviceState) (outcome, error) {
					return outcome{}, run(ctx, d)
				}
			}
		}
	}
	if !started {
		// A create reaching here without an intent is an adoption, which
		// sends nothing: no need to wait for the disk.
		if err := r.journal.Append(Event{MAC: mac, Step: step, Status: StatusStarted, Attempt: attempt, IDs: ids}); err != nil {
			return err
		}
	}
	t0 := time.Now()
	out, err := fn(ctx, d, st)
	ms := time.Since(t0).Milliseconds()
	if err != nil {
		if ctx.Err() != nil {
			// Interrupted: the outcome is unknown, which is exactly what
			// the lone started event says.
			return ctx.Err()
		}
		err = fmt.Errorf("%s %s: %w", stepVerb(step), mac, err)
		if jerr := r.journal.Append(Event{MAC: mac, Step: step, Status: StatusFailed, Attempt: attempt,
			IDs: ids, Detail: err.Error(), DurationMS: ms}); jerr != nil {
			return jerr
		}
		return err
	}
	for k, v := range out.ids {
		ids[k] = v
		d.IDs[k] = v
	}
	status := out.status
	if status == "" {
		status = StatusDone
	}
	return r.journal.Append(Event{MAC: mac, Step: step, Status: status, Attempt: attempt,
		IDs: ids, Detail: out.detail, DurationMS: ms})
}

func stepVerb(s Step) string {
	switch s {
	case StepCreate:
		return "creating device"
	case StepPassword:
		return "setting SIP password of"
	case StepMembers:
		return "assigning lines of"
	case StepApply:
		return "applying changes to"
	case StepInfo:
		return "reading device info of"
	case StepDelete:
		return "deleting device"
	}
	return string(s) + "ing"
}

func deviceIDs(dev *webex.Device) map[string]string {
	ids := map[string]string{idDevice: dev.ID}
	if dev.CallingDeviceID != "" {
		ids[idCallingDevice] = dev.CallingDeviceID
	}
	if dev.PersonID != "" {
		ids[idOwner] = dev.PersonID
	} else if dev.WorkspaceID != "" {
		ids[idOwner] = dev.WorkspaceID
	}
	return ids
}

func (r *runner) create(ctx context.Context, d *DeviceRun, st *DeviceState) (outcome, error) {
	pd := d.Planned
	ours := st.Step(StepCreate).Attempts > 0
	if pd.Action != ActionCreate {
		ids := map[string]string{idDevice: pd.DeviceID, idOwner: pd.OwnerID}
		if pd.CallingDeviceID != "" {
			ids[idCallingDevice] = pd.CallingDeviceID
		}
		if ours {
			// An earlier run's create landed though its answer was lost:
			// the plan found the device, which is ours.
			return outcome{ids: ids, detail: "found by MAC after an unknown outcome"}, nil
		}
		return outcome{status: StatusSkipped, ids: ids, detail: detailAdopted}, nil
	}
	if ours {
		// Never create twice: look the MAC up first.
		found, err := r.api.ListDevices(ctx, webex.DeviceQuery{MAC: pd.MAC})
		if err != nil {
			return outcome{}, fmt.Errorf("looking up MAC: %w", err)
		}
		for i := range found {
			if NormalizeMAC(found[i].MAC) == pd.MAC {
				return outcome{ids: deviceIDs(&found[i]), detail: "found by MAC after an unknown outcome"}, nil
			}
		}
	}
	pw, ok := d.Password()
	if !ok {
		return outcome{}, errors.New("no SIP password in secrets.json")
	}
	req := webex.CreateDeviceRequest{MAC: pd.MAC, Model: pd.WebexModel, Password: pw}
	if pd.OwnerType == inventory.Workspace {
		req.WorkspaceID = pd.OwnerID
	} else {
		req.PersonID = pd.OwnerID
	}
	dev, err := r.api.CreateDevice(ctx, req)
	if err != nil {
		return outcome{}, err
	}
	r.mu.Lock()
	r.res.Created++
	r.mu.Unlock()
	return outcome{ids: deviceIDs(dev)}, nil
}

// tid is the id for telephony calls.
func (d *DeviceRun) tid() string { return telephonyID(d.IDs[idDevice], d.IDs[idCallingDevice]) }

func (r *runner) password(ctx context.Context, d *DeviceRun, _ *DeviceState) (outcome, error) {
	// An adopted device's password is set even when an earlier run of ours
	// created it: setting the stored password again changes nothing.
	if d.Planned.Action == ActionCreate {
		return outcome{status: StatusSkipped, detail: "set by create"}, nil
	}
	pw, ok := d.Password()
	if !ok {
		return outcome{}, errors.New("no SIP password in secrets.json")
	}
	return outcome{}, r.api.SetSIPPassword(ctx, d.tid(), pw)
}

func (r *runner) members(ctx context.Context, d *DeviceRun, _ *DeviceState) (outcome, error) {
	pd := d.Planned
	if pd.Action == ActionAdopt {
		return outcome{status: StatusSkipped, detail: "adopted: lines kept"}, nil
	}
	// Webex gives a new device its owner on port 1 as primary: a device
	// with that one line needs no second call.
	if pd.Action == ActionCreate && len(pd.Members) == 1 && pd.Members[0].Port == 1 &&
		pd.Members[0].ID == pd.OwnerID && pd.Members[0].LineLabel == "" {
		return outcome{status: StatusSkipped, detail: "owner line set by create"}, nil
	}
	return outcome{}, r.api.PutMembers(ctx, d.tid(), d.Planned.Members)
}

func (r *runner) apply(ctx context.Context, d *DeviceRun, _ *DeviceState) (outcome, error) {
	if !d.Planned.ApplyChanges {
		return outcome{status: StatusSkipped, detail: "model does not support applyChanges"}, nil
	}
	return outcome{}, r.api.ApplyChanges(ctx, d.tid())
}

func (r *runner) info(ctx context.Context, d *DeviceRun, _ *DeviceState) (outcome, error) {
	pd := d.Planned
	td, err := r.api.GetTelephonyDevice(ctx, d.tid())
	if err != nil {
		return outcome{}, err
	}
	mem, err := r.api.GetMembers(ctx, d.tid())
	if err != nil {
		return outcome{}, err
	}
	domain, err := r.domains.get(ctx, pd.LocationID, func(ctx context.Context) (string, error) {
		lc, err := r.api.GetLocationCalling(ctx, pd.LocationID)
		if err != nil {
			return "", fmt.Errorf("reading location %s: %w", pd.LocationID, err)
		}
		return lc.DefaultDomain, nil
	})
	if err != nil {
		return outcome{}, err
	}
	info := BuildInfo(d.IDs[idDevice], pd.WebexModel, td, mem, domain, d.Device)
	info.MAC = pd.MAC
	b, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return outcome{}, err
	}
	// Not fsynced, for speed: a file lost to a power cut is noticed on
	// resume (see device) and the step runs again.
	if err := rundir.WriteFile(d.Dir, filepath.Join(rundir.InfoDir, pd.MAC+".json"), append(b, '\n'), rundir.ModePublic, false); err != nil {
		return outcome{}, fmt.Errorf("%w: saving device info: %w", ErrFatal, err)
	}
	d.info = info
	return outcome{}, nil
}

// BuildInfo assembles a device's information from T1, T3 and the location's
// default domain; labels the inventory gives are kept where Webex holds none.
func BuildInfo(deviceID, model string, td *webex.TelephonyDevice, mem *webex.Members, domain string, dev *inventory.Device) *render.DeviceInfo {
	info := &render.DeviceInfo{
		MAC: NormalizeMAC(td.MAC), Model: td.Model, DeviceID: deviceID,
		SIPUserName: td.Owner.SIPUserName, OutboundProxy: td.Proxy.OutboundProxy, Domain: domain,
	}
	if info.Model == "" {
		info.Model = model
	}
	labels := map[int]string{}
	if dev != nil {
		for _, l := range dev.Lines {
			labels[l.Port] = l.Label
		}
	}
	ms := slices.Clone(mem.Members)
	sort.Slice(ms, func(i, j int) bool { return ms[i].Port < ms[j].Port })
	for _, m := range ms {
		label := m.LineLabel
		if label == "" {
			label = labels[m.Port]
		}
		info.Lines = append(info.Lines, render.LineInfo{
			Port: m.Port, LinePort: m.LinePort,
			DisplayName: strings.TrimSpace(m.FirstName + " " + m.LastName),
			Extension:   m.Extension, PhoneNumber: m.PhoneNumber, Label: label,
			PrimaryOwner: m.PrimaryOwner, Shared: m.LineType == webex.LineShared,
		})
	}
	return info
}
