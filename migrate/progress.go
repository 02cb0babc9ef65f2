package migrate

// Progress receives the engine's progress; the engine itself prints nothing.
// Calls come from many goroutines at once.
type Progress interface {
	// Begin announces the steps each device passes and how many devices run.
	Begin(steps []Step, devices int)
	// StepStarted says a device entered a step.
	StepStarted(mac string, step Step)
	// StepDone says a device left a step: err is nil when the step completed
	// or was skipped (already done in an earlier run, or not needed).
	StepDone(mac string, step Step, err error)
	// End says the run is over.
	End()
}

type nopProgress struct{}

func (nopProgress) Begin([]Step, int)            {}
func (nopProgress) StepStarted(string, Step)     {}
func (nopProgress) StepDone(string, Step, error) {}
func (nopProgress) End()                         {}
