package certify

import (
	"slices"
	"time"
)

// FleetMarks are the shares of a fleet (in percent) whose times the reports
// give: half, nearly all, all.
var FleetMarks = []int{50, 95, 100}

// FleetPhase is how a fleet lived one side of a live outage: after the
// primary was stopped (failover: on a secondary) or after it came back
// (failback: on the primary again). It is recomputed from the per-device
// results, so the results of several runs or shards pool into one fleet.
type FleetPhase struct {
	Case string `json:"case"` // CaseFailover or CaseFailback
	// Devices is how many took part: every device with a result for the
	// case carrying an Outage.
	Devices int `json:"devices"`
	// MS holds, sorted, each device's time from the outage until it got
	// there, for the devices that did; Devices-len(MS) never did.
	MS []float64 `json:"ms"`
	// Outages counts the distinct outage moments pooled (1 for one run).
	Outages int `json:"outages"`
}

// FleetMark is the time until Percent of a phase's devices got there.
type FleetMark struct {
	Percent int     `json:"percent"`
	MS      float64 `json:"ms"`
	// Reached is false when fewer devices than Percent of the fleet ever
	// got there: then MS means nothing and is 0.
	Reached bool `json:"reached"`
}

// Never counts the devices that took part and never got there.
func (p FleetPhase) Never() int { return p.Devices - len(p.MS) }

// Mark is the time until percent of the devices that took part got there:
// the time of the k-th device, k = ceil(percent × Devices / 100), so 100%
// waits for the last device and a device that never got there leaves 100%
// not reached (not a number).
func (p FleetPhase) Mark(percent int) FleetMark {
	m := FleetMark{Percent: percent}
	if p.Devices == 0 || percent <= 0 {
		return m
	}
	k := (percent*p.Devices + 99) / 100
	if k <= len(p.MS) {
		m.MS, m.Reached = p.MS[k-1], true
	}
	return m
}

// Marks returns Mark of each of FleetMarks.
func (p FleetPhase) Marks() []FleetMark {
	out := make([]FleetMark, len(FleetMarks))
	for i, pc := range FleetMarks {
		out[i] = p.Mark(pc)
	}
	return out
}

// Fleet derives the fleet's failover and failback from results: per device
// and case its latest result carrying an Outage (a later run's non-live
// result does not hide a live one). A phase with Devices 0 had no live
// outage.
func Fleet(results []Result) (failover, failback FleetPhase) {
	type key struct{ mac, cas string }
	latest := map[key]int{}
	for i := range results {
		r := &results[i]
		if r.Outage.IsZero() || (r.Case != CaseFailover && r.Case != CaseFailback) {
			continue
		}
		k := key{r.MAC, r.Case}
		if j, ok := latest[k]; !ok || !r.Started.Before(results[j].Started) {
			latest[k] = i
		}
	}
	failover, failback = FleetPhase{Case: CaseFailover}, FleetPhase{Case: CaseFailback}
	outages := map[string]map[time.Time]bool{CaseFailover: {}, CaseFailback: {}}
	for k, i := range latest {
		r := &results[i]
		p := &failover
		if k.cas == CaseFailback {
			p = &failback
		}
		p.Devices++
		outages[k.cas][r.Outage.UTC()] = true
		if v, ok := r.Timings[k.cas]; ok && v >= 0 {
			p.MS = append(p.MS, v)
		}
	}
	for _, p := range []*FleetPhase{&failover, &failback} {
		slices.Sort(p.MS)
		p.Outages = len(outages[p.Case])
	}
	return failover, failback
}
