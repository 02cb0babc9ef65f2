package migrate

import (
	"context"
	"errors"
	"fmt"
)

// Progress receives the engine's progress; the engine itself prints nothing.
// Calls come from many goroutines at once.
type Progress interface {
	// Begin announces the steps each device passes and how many devices run.
	Begin(steps []Step, devices int)
	// StepStarted says a device entered a step.
	StepStarted(mac string, step Step)
	// StepDone says a device left a step: err is nil when the step completed
	// or was skipped (already done in an earlier run, or not needed). An
	// err that wraps ErrInterrupted is no failure: the run stopped (Ctrl-C,
	// or a fatal error elsewhere) during the step, and the next run resumes
	// it. Any other err is a failure the Result counts.
	StepDone(mac string, step Step, err error)
	// End says the run is over.
	End()
}

// ErrInterrupted marks, in StepDone, a step cut short by the run stopping:
// the device counts as interrupted in the Result, not failed.
var ErrInterrupted = errors.New("interrupted")

// stepOutcome is the err StepDone receives for a step that ended with err:
// the run stopping is no failure of the device.
func stepOutcome(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil || fatal(ctx, err) || errors.Is(err, ErrFatal) {
		return fmt.Errorf("%w: %w", ErrInterrupted, err)
	}
	return err
}

// PlanPhase is one part of planning that a PlanProgress counts.
type PlanPhase string

// Planning phases, in order.
const (
	// PhaseResolve resolves each device's owner, lines, location and model.
	PhaseResolve PlanPhase = "resolve"
	// PhaseLookup reads each device whose MAC is already in use, to tell
	// adopt and update from conflict: against a finished run, every device.
	PhaseLookup PlanPhase = "lookup"
)

// PlanProgress receives the planner's progress (PlanOptions.Progress).
// Calls come from many goroutines at once.
type PlanProgress interface {
	// PlanPhase announces a phase and how many devices it goes through.
	PlanPhase(phase PlanPhase, devices int)
	// PlanDone says one device went through phase.
	PlanDone(phase PlanPhase)
}

type nopProgress struct{}

func (nopProgress) Begin([]Step, int)            {}
func (nopProgress) StepStarted(string, Step)     {}
func (nopProgress) StepDone(string, Step, error) {}
func (nopProgress) End()                         {}
func (nopProgress) PlanPhase(PlanPhase, int)     {}
func (nopProgress) PlanDone(PlanPhase)           {}
