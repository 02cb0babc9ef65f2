package migrate

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/cutover-dev/cutover/migrate/inventory"
	"github.com/cutover-dev/cutover/rundir"
	"github.com/cutover-dev/cutover/shard"
)

// Migrate is what `cutover migrate` does: it plans devs afresh (the state
// of Webex may have moved since the last plan), writes DIR/plan.json (not on
// a dry run), and runs the plan; the journal in DIR makes a second call
// resume. The plan is returned even when running it fails. Errors are as
// for MakePlan and Run.
//
// When DIR's plan covers exactly the selected devices, as the inventory
// describes them now, for the same org, and the journal shows every one of
// them done, nothing is planned: re-planning a finished run would read
// every device back from Webex (minutes for thousands at the default rate)
// only to find nothing left. The Result then has Finished set and the plan
// is DIR's.
func Migrate(ctx context.Context, api API, devs []inventory.Device, popts PlanOptions, ropts RunOptions) (*Plan, *Result, error) {
	if popts.Logger == nil {
		popts.Logger = ropts.Logger
	}
	if popts.Jobs == 0 {
		popts.Jobs = ropts.Jobs
	}
	// The lock comes first: a second migrate on a directory in use must
	// neither plan against it nor replace the plan its run follows.
	if !ropts.DryRun && ropts.Lock == nil {
		l, err := rundir.Acquire(ropts.Dir)
		if err != nil {
			return nil, nil, fmt.Errorf("migrating: %w", err)
		}
		defer l.Release()
		ropts.Lock = l
	}
	if pp, ok := ropts.Progress.(PlanProgress); ok && popts.Progress == nil {
		popts.Progress = pp
	}
	if err := CheckShard(ropts.Dir, popts.Shard); err != nil {
		return nil, nil, err
	}
	steps := runSteps(ropts)
	selected := selectDevices(devs, popts.Only, popts.Wave, popts.Shard)
	if old, ok := finished(ropts.Dir, selected, steps); ok && old.OrgID == popts.OrgID {
		return old, &Result{Devices: len(old.Devices), Done: len(old.Devices), Finished: true}, nil
	}
	plan, err := MakePlan(ctx, api, devs, popts)
	if err != nil {
		return nil, nil, err
	}
	plan.markDone(ropts.Dir, steps)
	if popts.Ready != nil {
		popts.Ready(plan)
	}
	if !ropts.DryRun {
		if err := WritePlan(ropts.Lock, plan); err != nil {
			return plan, nil, err
		}
	}
	res, err := Run(ctx, api, plan, devs, ropts)
	return plan, res, err
}

// MarkDone fills p.Done from the journal in dir: the devices whose Webex
// steps (create to info) it shows done; and p.Resume: those this run
// created whose later steps are left. A plan knows Webex, not the run;
// with Done its summary reads "done" for them, not "adopt" (a device this
// run created exists in Webex, as an adopted one does).
func (p *Plan) MarkDone(dir string) {
	p.markDone(dir, runSteps(RunOptions{}))
}

func (p *Plan) markDone(dir string, steps []Step) {
	states, err := journalStates(dir)
	if err != nil {
		return // no journal to trust: the plan's own actions stand
	}
	for _, pd := range p.Devices {
		st := states[pd.MAC]
		switch {
		case allDone(st, steps):
			if p.Done == nil {
				p.Done = map[string]bool{}
			}
			p.Done[pd.MAC] = true
		case st != nil && st.Created:
			if p.Resume == nil {
				p.Resume = map[string]bool{}
			}
			p.Resume[pd.MAC] = true
		}
	}
}

// runSteps is the pipeline Run takes each device through.
func runSteps(opts RunOptions) []Step {
	// The engine's own steps, in rundir's one order, then the extra ones.
	steps := slices.Clone(rundir.Pipeline[:StepInfo.Index()+1])
	for _, x := range opts.ExtraSteps {
		steps = append(steps, x.Step)
	}
	return steps
}

func journalStates(dir string) (map[string]*DeviceState, error) {
	events, err := ReadJournal(filepath.Join(dir, JournalFile))
	if err != nil {
		return nil, err
	}
	return Replay(events), nil
}

// allDone reports whether the journal shows every step of st done.
func allDone(st *DeviceState, steps []Step) bool {
	if st == nil {
		return false
	}
	for _, s := range steps {
		if !st.Step(s).Done() {
			return false
		}
	}
	return true
}

// finished returns dir's plan when it proves the run over: it plans exactly
// the devices of devs, each still as the inventory has it (make, model,
// owner, location, lines) and to be migrated (no conflict or invalid, which
// Webex may have resolved since), and the journal shows each one's steps
// done and its device info on disk.
func finished(dir string, devs []inventory.Device, steps []Step) (*Plan, bool) {
	if len(devs) == 0 {
		return nil, false
	}
	plan, err := ReadPlan(dir)
	if err != nil || len(plan.Devices) != len(devs) {
		return nil, false
	}
	byMAC := make(map[string]*PlannedDevice, len(plan.Devices))
	for i := range plan.Devices {
		byMAC[plan.Devices[i].MAC] = &plan.Devices[i]
	}
	states, err := journalStates(dir)
	if err != nil {
		return nil, false
	}
	for i := range devs {
		d := &devs[i]
		pd := byMAC[d.MAC]
		if pd == nil || !samePlanned(pd, d) || !allDone(states[d.MAC], steps) {
			return nil, false
		}
		switch pd.Action {
		case ActionCreate, ActionAdopt, ActionUpdate:
		default:
			return nil, false
		}
		if _, err := ReadInfo(dir, d.MAC); err != nil {
			return nil, false
		}
	}
	return plan, true
}

// samePlanned reports whether pd was planned from the inventory row d as it
// reads now.
func samePlanned(pd *PlannedDevice, d *inventory.Device) bool {
	return pd.Type == d.Type && pd.Make == d.Make && pd.Model == d.Model && pd.OwnerType == d.OwnerType &&
		strings.EqualFold(pd.Owner, d.Owner) && strings.EqualFold(pd.Location, d.Location) && pd.Lines == len(d.Lines)
}

// ErrShardMismatch is wrapped by CheckShard's error: the run directory
// belongs to another shard (or to none).
var ErrShardMismatch = errors.New("run directory of another shard")

// CheckShard refuses to work in dir as shard s when dir's plan was made for
// another shard, or for the whole inventory while s is one shard (and the
// other way round): the journal there follows other devices, and a resume
// under a different split would plan devices another shard's process owns.
// A directory without a plan is anyone's. The error wraps ErrShardMismatch.
func CheckShard(dir string, s shard.Spec) error {
	if dir == "" {
		return nil
	}
	old, err := ReadPlan(dir)
	if err != nil {
		return nil // no plan yet (or an unreadable one, which planning reports)
	}
	if old.Shard == s.String() {
		return nil
	}
	name := func(sh string) string {
		if sh == "" {
			return "the whole inventory (no --shard)"
		}
		return "shard " + sh
	}
	return fmt.Errorf("%w: %s was planned for %s, this command asks for %s: give each shard its own run directory "+
		"(e.g. --run wave1/shard-K) and keep its --shard on every resume", ErrShardMismatch, rundir.Path(dir, rundir.PlanFile), name(old.Shard), name(s.String()))
}
