// Package watch follows a run's devices in Webex's own view until the fleet
// is online: it polls GET /devices (paged, every device of the org at up to
// a page size per call, never one call per device) at a pace inside the
// client's rate limit, sorts each device of the run by its connectionStatus,
// and journals the first time each one shows connected (rundir.StepConnected),
// which the reports then show. It stops when every device is connected or
// the deadline passes. It prints nothing: progress goes to a Progress.
package watch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/cutover-dev/cutover/macaddr"
	"github.com/cutover-dev/cutover/rundir"
	"github.com/cutover-dev/cutover/webex"
)

// API is the one Webex call watch makes; *webex.Client has it.
type API interface {
	ListDevices(ctx context.Context, q webex.DeviceQuery) ([]webex.Device, error)
}

var _ API = (*webex.Client)(nil)

// ErrDeadline is returned (wrapped, naming how many devices are not
// connected) when the deadline passes first.
var ErrDeadline = errors.New("deadline passed before every device was connected")

// ErrNoDevices is returned when the run's journal holds no device that
// reached Webex (nothing was migrated, or everything was rolled back).
var ErrNoDevices = errors.New("no device of the run is in Webex")

// Defaults.
const (
	DefaultInterval = 15 * time.Second
	DefaultTimeout  = time.Hour
)

// Bucket is how watch counts a device's state.
type Bucket int

// The buckets, in the order progress shows them.
const (
	// Connected: connectionStatus connected.
	Connected Bucket = iota
	// Issues: connected_with_issues (registered, but Webex reports a
	// problem: not counted as done).
	Issues
	// Activating: activating.
	Activating
	// Disconnected: seen before (Webex has a firstSeen, or watch saw it
	// connected) and now disconnected, offline_expired, offline_deep_sleep
	// or unknown.
	Disconnected
	// NeverSeen: not connected and never seen by Webex.
	NeverSeen
	// Missing: not in Webex's list at all (deleted behind the run's back).
	Missing
	numBuckets
)

var bucketNames = [numBuckets]string{"connected", "with issues", "activating", "disconnected", "never seen", "missing"}

func (b Bucket) String() string {
	if b < 0 || b >= numBuckets {
		return fmt.Sprintf("bucket(%d)", int(b))
	}
	return bucketNames[b]
}

// Buckets lists every bucket in display order.
func Buckets() []Bucket {
	out := make([]Bucket, numBuckets)
	for i := range out {
		out[i] = Bucket(i)
	}
	return out
}

// Counts are how many of the watched devices are in each bucket after one
// poll.
type Counts struct {
	Total   int
	ByState [numBuckets]int
}

// Of returns the count of bucket b.
func (c Counts) Of(b Bucket) int { return c.ByState[b] }

// NotConnected is how many watched devices are not connected.
func (c Counts) NotConnected() int { return c.Total - c.ByState[Connected] }

// Progress receives each poll's counts; nil reports nowhere.
type Progress interface {
	Poll(c Counts)
}

// Options configure Run.
type Options struct {
	// Dir is the run directory; its journal says which devices to watch
	// (those with a Webex device id, not rolled back) and receives the
	// first-connected events.
	Dir string
	// Lock is the run directory's lock when the caller holds it already;
	// otherwise Run takes it (and fails at once with rundir.ErrBusy while a
	// migrate or another watch works in Dir).
	Lock *rundir.Lock
	// Include keeps a device (by its canonical MAC) in the watched set;
	// nil keeps every device. A shard is one line: Include: spec.Has.
	Include func(mac string) bool
	// Interval is the time from the start of one poll to the start of the
	// next (DefaultInterval). A poll of an org of M devices costs
	// ceil(M/page size) requests; the client's rate limiter paces them.
	Interval time.Duration
	// Deadline is when watching gives up (now + DefaultTimeout when zero).
	Deadline time.Time
	// Query narrows GET /devices further (e.g. Type); its MAC, PersonID and
	// WorkspaceID must stay empty, since the run's devices span owners.
	Query webex.DeviceQuery
	// Progress receives each poll's counts.
	Progress Progress
	// Now is the clock (time.Now); Sleep waits (a timer honouring ctx).
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	// Logger receives diagnostics; silent by default.
	Logger *slog.Logger
}

// Result is what watching found.
type Result struct {
	Counts Counts
	// NotConnected are the MACs not connected at the last poll, sorted,
	// with their bucket.
	NotConnected []Pending
	// FirstConnected are the devices first seen connected during this
	// watch (journaled); earlier ones are in the journal already.
	FirstConnected map[string]time.Time
	// Unmigrated counts the run's devices without a Webex device (failed
	// or never reached create): not watched.
	Unmigrated int
	Polls      int
	Elapsed    time.Duration
}

// Pending is one device not connected at the last poll.
type Pending struct {
	MAC    string
	Bucket Bucket
	Status string // Webex's connectionStatus ("" when missing)
}

// AllConnected reports whether every watched device was connected at the
// last poll.
func (r *Result) AllConnected() bool { return r.Counts.Total > 0 && r.Counts.NotConnected() == 0 }

// watched is one device of the run.
type watched struct {
	mac       string
	id        string
	connected time.Time // first seen connected (journal or this watch)
}

// Run watches the run in o.Dir until every device is connected (nil error),
// the deadline passes (an error wrapping ErrDeadline), ctx ends, or a poll
// fails (the client has retried what it can). The Result is filled in every
// case but a failure to read the run.
func Run(ctx context.Context, api API, o Options) (*Result, error) {
	if o.Dir == "" {
		return nil, errors.New("watching: no run directory")
	}
	if o.Query.MAC != "" || o.Query.PersonID != "" || o.Query.WorkspaceID != "" {
		return nil, errors.New("watching: the query may not filter by MAC or owner (the run's devices span owners)")
	}
	if o.Interval <= 0 {
		o.Interval = DefaultInterval
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = sleep
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	start := o.Now()
	if o.Deadline.IsZero() {
		o.Deadline = start.Add(DefaultTimeout)
	}
	if o.Lock == nil {
		l, err := rundir.Acquire(o.Dir)
		if err != nil {
			return nil, fmt.Errorf("watching: %w", err)
		}
		defer l.Release()
	}
	devs, unmigrated, err := load(o.Dir, o.Include)
	if err != nil {
		return nil, fmt.Errorf("watching: %w", err)
	}
	res := &Result{FirstConnected: map[string]time.Time{}, Unmigrated: unmigrated}
	if len(devs) == 0 {
		return res, fmt.Errorf("watching %s: %w (%d without a Webex device)", o.Dir, ErrNoDevices, unmigrated)
	}
	j, err := rundir.OpenJournal(o.Dir)
	if err != nil {
		return nil, fmt.Errorf("watching: %w", err)
	}
	defer j.Close()

	for {
		pollStart := o.Now()
		list, err := api.ListDevices(ctx, o.Query)
		if err != nil {
			res.Elapsed = o.Now().Sub(start)
			return res, fmt.Errorf("watching: polling GET /devices: %w", err)
		}
		res.Polls++
		now := o.Now()
		res.Counts, res.NotConnected = classify(devs, list, now, func(w *watched, d *webex.Device) error {
			ev := rundir.Event{TS: now, MAC: w.mac, Step: rundir.StepConnected, Status: rundir.StatusDone,
				IDs: map[string]string{rundir.IDDevice: d.ID}}
			if !d.FirstSeen.IsZero() {
				ev.Detail = "firstSeen " + d.FirstSeen.UTC().Format(time.RFC3339)
			}
			res.FirstConnected[w.mac] = now
			return j.Append(ev)
		})
		if err := j.Sync(); err != nil {
			return res, fmt.Errorf("watching: %w", err)
		}
		o.Logger.DebugContext(ctx, "webex devices polled", "poll", res.Polls, "listed", len(list),
			"connected", res.Counts.Of(Connected), "notConnected", res.Counts.NotConnected())
		if o.Progress != nil {
			o.Progress.Poll(res.Counts)
		}
		res.Elapsed = now.Sub(start)
		if res.Counts.NotConnected() == 0 {
			return res, nil
		}
		if !now.Before(o.Deadline) {
			return res, fmt.Errorf("watching: %w: %d of %d devices not connected (%s)", ErrDeadline,
				res.Counts.NotConnected(), res.Counts.Total, summary(res.Counts))
		}
		wait := min(pollStart.Add(o.Interval).Sub(now), o.Deadline.Sub(now))
		if wait > 0 {
			if err := o.Sleep(ctx, wait); err != nil {
				return res, fmt.Errorf("watching: %w", err)
			}
		}
	}
}

// load replays the journal: the devices with a Webex device id, not
// rolled back, that include keeps, in MAC order.
func load(dir string, include func(string) bool) (devs []*watched, unmigrated int, err error) {
	evs, err := rundir.ReadJournal(rundir.Path(dir, rundir.JournalFile))
	if err != nil {
		return nil, 0, err
	}
	for mac, st := range rundir.Replay(evs) {
		if include != nil && !include(mac) {
			continue
		}
		id := st.IDs[rundir.IDDevice]
		if st.Deleted || id == "" {
			unmigrated++
			continue
		}
		devs = append(devs, &watched{mac: mac, id: id, connected: st.FirstConnected})
	}
	slices.SortFunc(devs, func(a, b *watched) int {
		switch {
		case a.mac < b.mac:
			return -1
		case a.mac > b.mac:
			return 1
		}
		return 0
	})
	return devs, unmigrated, nil
}

// classify sorts devs by Webex's list: matched by device id (or by MAC for
// an id Webex no longer gives, e.g. a device re-created outside the run).
// first is called for a device connected for the first time.
func classify(devs []*watched, list []webex.Device, now time.Time, first func(*watched, *webex.Device) error) (Counts, []Pending) {
	byID := make(map[string]*webex.Device, len(list))
	byMAC := make(map[string]*webex.Device, len(list))
	for i := range list {
		d := &list[i]
		byID[d.ID] = d
		if d.CallingDeviceID != "" {
			byID[d.CallingDeviceID] = d
		}
		if m, err := macaddr.Parse(d.MAC); err == nil {
			byMAC[m.String()] = d
		}
	}
	c := Counts{Total: len(devs)}
	var pending []Pending
	for _, w := range devs {
		d := byID[w.id]
		if d == nil {
			d = byMAC[w.mac]
		}
		b := bucket(w, d)
		c.ByState[b]++
		if b == Connected {
			if w.connected.IsZero() {
				w.connected = now
				if err := first(w, d); err != nil {
					// The journal error is sticky; Sync reports it.
					continue
				}
			}
			continue
		}
		p := Pending{MAC: w.mac, Bucket: b}
		if d != nil {
			p.Status = d.ConnectionStatus
		}
		pending = append(pending, p)
	}
	return c, pending
}

func bucket(w *watched, d *webex.Device) Bucket {
	switch {
	case d == nil:
		return Missing
	case d.ConnectionStatus == webex.StatusConnected:
		return Connected
	case d.ConnectionStatus == webex.StatusConnectedWithIssues:
		return Issues
	case d.ConnectionStatus == webex.StatusActivating:
		return Activating
	case d.FirstSeen.IsZero() && w.connected.IsZero():
		return NeverSeen
	}
	return Disconnected
}

func summary(c Counts) string {
	var s string
	for _, b := range Buckets() {
		if b == Connected || c.ByState[b] == 0 {
			continue
		}
		if s != "" {
			s += ", "
		}
		s += fmt.Sprintf("%d %s", c.ByState[b], b)
	}
	return s
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
