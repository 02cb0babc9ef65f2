package migrate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/cutover-dev/cutover/rundir"
	"github.com/cutover-dev/cutover/webex"
)

// RollbackOptions tunes Rollback.
type RollbackOptions struct {
	// Jobs is how many deletes are in flight at once (default 8).
	Jobs int
	// Only restricts the rollback to these MACs (any notation).
	Only []string
	// DryRun lists what would be deleted and changes nothing.
	DryRun   bool
	Progress Progress
	Logger   *slog.Logger
	Now      func() time.Time
	Journal  []JournalOption
}

// RollbackResult sums a rollback up.
type RollbackResult struct {
	Deleted  int      // deleted now
	Gone     int      // already gone (404)
	Failed   int      // delete failed
	Pending  []string // a dry run's MACs to delete
	Failures []Failure
}

// Rollback deletes the devices the run in dir created (its journal's done
// creates; adopted devices are never deleted) and journals each delete as
// StepDelete. A create whose outcome is unknown is resolved by looking the
// MAC up first. Rollback is idempotent: a device already deleted by an
// earlier rollback is skipped, and a 404 counts as gone. A later migrate with
// the same dir creates the devices again. Errors are returned as by Run.
func Rollback(ctx context.Context, api API, dir string, opts RollbackOptions) (*RollbackResult, error) {
	if opts.Jobs <= 0 {
		opts.Jobs = 8
	}
	if opts.Progress == nil {
		opts.Progress = nopProgress{}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	// The lock comes before the journal is read: a migrate still appending
	// to it would otherwise leave devices out of what is rolled back.
	if !opts.DryRun {
		l, err := rundir.Acquire(dir)
		if err != nil {
			return nil, fmt.Errorf("rolling back: %w", err)
		}
		defer l.Release()
	}
	events, err := ReadJournal(filepath.Join(dir, JournalFile))
	if err != nil {
		return nil, err
	}
	keep := map[string]bool{}
	for _, m := range opts.Only {
		keep[NormalizeMAC(m)] = true
	}
	var todo []*DeviceState
	for _, st := range Replay(events) {
		if len(keep) > 0 && !keep[st.MAC] {
			continue
		}
		if st.Created || (!st.Adopted && st.Step(StepCreate).Unknown()) {
			todo = append(todo, st)
		}
	}
	sort.Slice(todo, func(i, j int) bool { return todo[i].MAC < todo[j].MAC })
	res := &RollbackResult{}
	if opts.DryRun {
		for _, st := range todo {
			res.Pending = append(res.Pending, st.MAC)
		}
		return res, nil
	}
	j, err := OpenJournal(dir, append([]JournalOption{journalClock(opts.Now)}, opts.Journal...)...)
	if err != nil {
		return nil, err
	}
	var mu sync.Mutex
	opts.Progress.Begin([]Step{StepDelete}, len(todo))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(opts.Jobs)
	for _, st := range todo {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			opts.Progress.StepStarted(st.MAC, StepDelete)
			gone, err := deleteOne(gctx, api, j, st)
			opts.Progress.StepDone(st.MAC, StepDelete, stepOutcome(gctx, err))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil && (fatal(gctx, err)):
				return err
			case err != nil:
				res.Failed++
				res.Failures = append(res.Failures, Failure{MAC: st.MAC, Step: StepDelete, Detail: err.Error()})
			case gone:
				res.Gone++
			default:
				res.Deleted++
			}
			return nil
		})
	}
	runErr := g.Wait()
	opts.Progress.End()
	if err := j.Close(); err != nil && runErr == nil {
		runErr = err
	}
	if runErr == nil {
		runErr = ctx.Err()
	}
	sort.Slice(res.Failures, func(a, b int) bool { return res.Failures[a].MAC < res.Failures[b].MAC })
	return res, runErr
}

// deleteOne deletes one device, reporting whether it was already gone.
func deleteOne(ctx context.Context, api API, j *Journal, st *DeviceState) (bool, error) {
	attempt := st.Step(StepDelete).Attempts + 1
	if err := j.Append(Event{MAC: st.MAC, Step: StepDelete, Status: StatusStarted, Attempt: attempt}); err != nil {
		return false, err
	}
	t0 := time.Now()
	finish := func(status Status, ids map[string]string, detail string) error {
		return j.Append(Event{MAC: st.MAC, Step: StepDelete, Status: status, Attempt: attempt,
			IDs: ids, Detail: detail, DurationMS: time.Since(t0).Milliseconds()})
	}
	id := st.IDs[idDevice]
	if id == "" || !st.Created {
		// The create's outcome is unknown: whatever holds the MAC now is
		// the device that create made.
		found, err := api.ListDevices(ctx, webex.DeviceQuery{MAC: st.MAC})
		if err != nil {
			return false, failDelete(ctx, finish, st.MAC, fmt.Errorf("looking up MAC: %w", err))
		}
		id = ""
		for _, d := range found {
			if NormalizeMAC(d.MAC) == st.MAC {
				id = d.ID
			}
		}
		if id == "" {
			return true, finish(StatusDone, nil, "never created")
		}
	}
	ids := map[string]string{idDevice: id}
	err := api.DeleteDevice(ctx, id)
	switch {
	case errors.Is(err, webex.ErrNotFound):
		return true, finish(StatusDone, ids, "already gone")
	case err != nil:
		return false, failDelete(ctx, finish, st.MAC, err)
	}
	return false, finish(StatusDone, ids, "")
}

func failDelete(ctx context.Context, finish func(Status, map[string]string, string) error, mac string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	err = fmt.Errorf("deleting device %s: %w", mac, err)
	if jerr := finish(StatusFailed, nil, err.Error()); jerr != nil {
		return jerr
	}
	return err
}
