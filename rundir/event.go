package rundir

import "time"

// Step names a stage of a device's pipeline, in order.
type Step string

// The pipeline steps, in the order a device passes them; StepDelete is rollback's.
const (
	StepCreate   Step = "create"
	StepPassword Step = "password"
	StepMembers  Step = "members"
	StepApply    Step = "apply"
	StepInfo     Step = "info"
	StepRender   Step = "render"
	StepPublish  Step = "publish"
	StepDelete   Step = "delete"
	// StepConnected is watch's: a done event records the first time Webex
	// showed the device connected (the event's TS); its detail carries
	// Webex's own firstSeen when it gave one.
	StepConnected Step = "connected"
)

// Pipeline is the one step order: the steps a device passes, in order (a run
// without publishing ends at StepRender). The engine runs them in this
// order, replay reports the first failed one in this order, and the reports
// lay their columns out by it. StepDelete (rollback's) and StepConnected
// (watch's) are outside it.
var Pipeline = []Step{StepCreate, StepPassword, StepMembers, StepApply, StepInfo, StepRender, StepPublish}

// Index returns s's position in Pipeline, or -1 for a step outside it.
func (s Step) Index() int {
	for i, p := range Pipeline {
		if p == s {
			return i
		}
	}
	return -1
}

// Status is the outcome an Event records.
type Status string

// Event statuses. StatusStarted is written before a step's first call, so
// that an event without its ending says the step's outcome is unknown.
const (
	StatusStarted Status = "started"
	StatusDone    Status = "done"
	StatusFailed  Status = "failed"
	StatusSkipped Status = "skipped"
)

// Event is one line of DIR/journal.jsonl. It never holds a secret.
type Event struct {
	TS      time.Time         `json:"ts"`
	MAC     string            `json:"mac"`
	Step    Step              `json:"step"`
	Status  Status            `json:"status"`
	Attempt int               `json:"attempt"`
	IDs     map[string]string `json:"ids,omitempty"` // deviceId, callingDeviceId, ownerId, ...
	Detail  string            `json:"detail,omitempty"`
	// DurationMS is the step's wall time on done and failed events.
	DurationMS int64 `json:"ms,omitempty"`
}

// Event id keys and the details replay gives meaning to.
const (
	IDDevice        = "deviceId"
	IDCallingDevice = "callingDeviceId"
	IDOwner         = "ownerId"
	IDWave          = "wave"

	// DetailAdopted marks a create skipped because the device already
	// existed with the same owner: the run adopted it.
	DetailAdopted = "adopted"
)
