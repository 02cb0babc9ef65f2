// Package migrate is the batch engine: it plans a migration against Webex,
// runs each device through the step pipeline concurrently, journals every step
// so that a crashed or interrupted run resumes without duplicates, and rolls
// back what a run created.
package migrate

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
)

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
