package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/cutover-dev/cutover/migrate"
)

func init() { register(newRollbackCommand) }

type rollbackOptions struct {
	runFlags
	dryRun bool
}

func newRollbackCommand() *cli.Command {
	return &cli.Command{
		Name:      "rollback",
		Usage:     "delete the devices a run created (lab and dry runs)",
		UsageText: "cutover rollback --run DIR [--only MACS] [--jobs N] [--dry-run]",
		Description: "Deletes every device DIR's journal says this run created; adopted devices are never touched.\n" +
			"Each delete is journaled; running it again is harmless (a device already gone counts as done),\n" +
			"and a later migrate with the same DIR creates the devices again.\n\n" +
			"Example:\n   cutover rollback --run wave1 --token $WEBEX_TOKEN",
		Flags: []cli.Flag{runDirFlag(), jobsFlag(), onlyFlag(), rateFlag(),
			&cli.BoolFlag{Name: flagDryRun, Usage: "list what would be deleted; delete nothing"}},
		Action: func(c *cli.Context) error {
			if c.NArg() != 0 {
				return usageErrorf("rollback takes no arguments, got %q", c.Args().Slice())
			}
			f, err := parseRunFlags(c)
			if err != nil {
				return err
			}
			return runRollback(c, rollbackOptions{runFlags: f, dryRun: c.Bool(flagDryRun)})
		},
	}
}

func runRollback(c *cli.Context, o rollbackOptions) error {
	client, err := newWebexClient(c, o.rate...)
	if err != nil {
		return err
	}
	prog := newProgress(c, progressOptions{name: "rollback", stats: client, rate: c.Float64(flagRate)})
	res, err := migrate.Rollback(c.Context, client, o.dir, migrate.RollbackOptions{
		Jobs: o.jobs, Only: o.only, DryRun: o.dryRun, Progress: prog.progress(), Logger: logger(c),
	})
	prog.close()
	w := c.App.Writer
	if res != nil {
		for _, m := range res.Pending {
			fmt.Fprintf(w, "would delete %s\n", m)
		}
		for _, f := range res.Failures {
			fmt.Fprintf(w, "failed %s: %s\n", f.MAC, terminalSafe(redact(f.Detail)))
		}
		if !o.dryRun {
			fmt.Fprintf(w, "rollback: %d deleted, %d already gone, %d failed\n", res.Deleted, res.Gone, res.Failed)
		}
	}
	if err != nil {
		return withCode(exitFatal, err)
	}
	if res.Failed > 0 {
		return fmt.Errorf("%d deletes failed: %w", res.Failed, errSomeFailed)
	}
	return nil
}
