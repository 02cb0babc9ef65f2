package migrate

import (
	"context"
	"os"

	"github.com/cutover-dev/cutover/migrate/inventory"
)

// Migrate is what `cutover migrate` does: it plans devs afresh (the state
// of Webex may have moved since the last plan), writes DIR/plan.json (not on
// a dry run), and runs the plan; the journal in DIR makes a second call
// resume. The plan is returned even when running it fails. Errors are as
// for MakePlan and Run.
func Migrate(ctx context.Context, api API, devs []inventory.Device, popts PlanOptions, ropts RunOptions) (*Plan, *Result, error) {
	if popts.Logger == nil {
		popts.Logger = ropts.Logger
	}
	if popts.Jobs == 0 {
		popts.Jobs = ropts.Jobs
	}
	plan, err := MakePlan(ctx, api, devs, popts)
	if err != nil {
		return nil, nil, err
	}
	if popts.Ready != nil {
		popts.Ready(plan)
	}
	if !ropts.DryRun {
		if err := os.MkdirAll(ropts.Dir, 0o755); err != nil {
			return plan, nil, err
		}
		if err := WritePlan(ropts.Dir, plan); err != nil {
			return plan, nil, err
		}
	}
	res, err := Run(ctx, api, plan, devs, ropts)
	return plan, res, err
}
