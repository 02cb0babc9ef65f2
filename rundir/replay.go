package rundir

import "time"

// StepState is what the journal says about one step of one device.
type StepState struct {
	Status     Status // the last event's status
	Attempts   int    // started events seen
	Detail     string // the last event's detail
	DurationMS int64  // the last event's duration (done and failed events carry one)
}

// Done reports whether the step completed (done or skipped).
func (s StepState) Done() bool { return s.Status == StatusDone || s.Status == StatusSkipped }

// Unknown reports whether the step was started and never ended: its outcome
// is unknown (the run crashed or was killed during the call).
func (s StepState) Unknown() bool { return s.Status == StatusStarted }

// DeviceState is one device's state derived from the journal.
type DeviceState struct {
	MAC   string
	Steps map[Step]StepState
	// IDs merges the ids of every event, later ones winning: deviceId,
	// callingDeviceId, ownerId, wave. Nil when no event had any.
	IDs map[string]string
	// Created says the device was created by this run (a done create that
	// is not an adoption) and not deleted since: rollback deletes it.
	Created bool
	// Adopted says the device existed before the run and was taken over.
	Adopted bool
	// Deleted says rollback removed the device; steps were reset.
	Deleted bool
	// Attempt is the highest attempt number any of its events carries.
	Attempt int
	// FirstConnected is when watch first saw Webex show the device
	// connected (the first done StepConnected event since its last delete);
	// zero when it never did.
	FirstConnected time.Time
}

// Step returns the state of step s (zero when the journal never mentions it).
func (d *DeviceState) Step(s Step) StepState { return d.Steps[s] }

// Failed returns the first step whose last event is a failure, or "".
func (d *DeviceState) Failed() (Step, string) {
	for _, s := range allSteps {
		if st, ok := d.Steps[s]; ok && st.Status == StatusFailed {
			return s, st.Detail
		}
	}
	for s, st := range d.Steps {
		if st.Status == StatusFailed {
			return s, st.Detail
		}
	}
	return "", ""
}

var allSteps = append(append([]Step{}, Pipeline...), StepDelete, StepConnected)

// Replay derives every device's state from events in journal order: the
// one replay of the module. A resumed run, rollback, render, certify and the
// reports all read state through it, so that what a report says is what a
// resume will do.
//
// The rule is file order, never timestamps: the journal is appended by one
// process at a time (the run directory's lock), so its order is the order
// things happened, while a wall clock may step back (NTP, a VM restored, a
// run resumed on another machine). A done delete resets a device's steps:
// after a rollback, the next run starts it afresh.
func Replay(events []Event) map[string]*DeviceState {
	out := make(map[string]*DeviceState)
	// States are allocated in slabs and IDs maps only when an event has
	// ids: the reports replay journals of a million events.
	var slab []DeviceState
	for _, ev := range events {
		d := out[ev.MAC]
		if d == nil {
			if len(slab) == 0 {
				slab = make([]DeviceState, 256)
			}
			d, slab = &slab[0], slab[1:]
			d.MAC, d.Steps = ev.MAC, make(map[Step]StepState, len(allSteps))
			out[ev.MAC] = d
		}
		for k, v := range ev.IDs {
			if v != "" {
				if d.IDs == nil {
					d.IDs = make(map[string]string, 4)
				}
				d.IDs[k] = v
			}
		}
		st := d.Steps[ev.Step]
		if ev.Status == StatusStarted {
			st.Attempts++
		}
		st.Status, st.Detail, st.DurationMS = ev.Status, ev.Detail, ev.DurationMS
		d.Attempt = max(d.Attempt, ev.Attempt)
		d.Steps[ev.Step] = st
		switch {
		case ev.Step == StepCreate && ev.Status == StatusDone:
			d.Created, d.Adopted, d.Deleted = true, false, false
		case ev.Step == StepCreate && ev.Status == StatusSkipped && ev.Detail == DetailAdopted:
			d.Adopted, d.Created, d.Deleted = true, false, false
		case ev.Step == StepConnected && ev.Status == StatusDone:
			if d.FirstConnected.IsZero() {
				d.FirstConnected = ev.TS
			}
		case ev.Step == StepDelete && ev.Status == StatusDone:
			d.Created, d.Adopted, d.Deleted = false, false, true
			d.FirstConnected = time.Time{}
			d.Steps = map[Step]StepState{StepDelete: st}
			delete(d.IDs, IDDevice)
			delete(d.IDs, IDCallingDevice)
		}
	}
	return out
}
