package main

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/urfave/cli/v2"
	"golang.org/x/time/rate"

	"github.com/cutover-dev/cutover/migrate"
	"github.com/cutover-dev/cutover/rundir"
	"github.com/cutover-dev/cutover/shard"
	"github.com/cutover-dev/cutover/webex"
)

func init() { register(newMigrateCommand) }

const (
	flagRate        = "rate"
	flagDryRun      = "dry-run"
	flagSkipInvalid = "skip-invalid"
)

// migrateStepFactories build extra pipeline steps (render, publish) from the
// migrate command's flags; a file adding a step registers its factory in
// init with registerMigrateStep, together with any flags it reads. A factory
// returns ok=false when its flags leave the step off.
var (
	migrateStepFactories []func(c *cli.Context, dir string) (step migrate.ExtraStep, ok bool, err error)
	migrateStepFlags     []cli.Flag
)

func registerMigrateStep(f func(c *cli.Context, dir string) (migrate.ExtraStep, bool, error), flags ...cli.Flag) {
	migrateStepFactories = append(migrateStepFactories, f)
	migrateStepFlags = append(migrateStepFlags, flags...)
}

type migrateOptions struct {
	planOptions
	dryRun bool
}

func rateFlag() cli.Flag {
	return &cli.Float64Flag{Name: flagRate, Value: float64(webex.DefaultRate),
		Usage: "at most `R` Webex requests a second, shared by all jobs (cut by 10% on a 429, then recovering); " +
			"with --shard K/N, R is the org's rate and each shard keeps to R/N"}
}

// parseRate reads --rate as client options: sh's share of it, so that the
// N shards of a split together stay inside the org's rate.
func parseRate(c *cli.Context, sh shard.Spec) ([]webex.Option, error) {
	r := c.Float64(flagRate)
	if r <= 0 {
		return nil, usageErrorf("--%s %g: expected a positive number of requests per second", flagRate, r)
	}
	return []webex.Option{webex.WithRate(rate.Limit(sh.Share(r)), webex.DefaultBurst)}, nil
}

func newMigrateCommand() *cli.Command {
	flags := []cli.Flag{
		runDirFlag(), jobsFlag(), onlyFlag(), waveFlag(), rateFlag(), shardFlag(),
		&cli.BoolFlag{Name: flagDryRun, Usage: "plan (read-only) and list each device's remaining steps; write nothing to Webex or DIR"},
		&cli.BoolFlag{Name: flagSkipInvalid, Usage: "migrate the inventory's valid rows and mark the invalid ones in --errors (default DIR/" + invalidRowsFile + ")"},
		&cli.StringFlag{Name: flagErrors, Usage: "with --skip-invalid, write the inventory with the skipped rows' bad cells marked to `OUT.xlsx` (0600)"},
	}
	return &cli.Command{
		Name:      "migrate",
		Usage:     "provision an inventory's devices in Webex; re-running with the same --run DIR resumes",
		ArgsUsage: "INVENTORY",
		UsageText: "cutover migrate INVENTORY --run DIR [--jobs N] [--rate R] [--only MACS] [--wave NAME] [--shard K/N] [--dry-run] [--skip-invalid [--errors OUT.xlsx]]",
		Description: "Plans the inventory afresh, then takes each device through create, SIP password, lines, apply\n" +
			"changes and device info, journaling every step in DIR/journal.jsonl. SIP passwords go to\n" +
			"DIR/secrets.json (0600; encrypted when CUTOVER_SECRET_KEY is set). A failed device is journaled\n" +
			"and the run goes on. An inventory row with a problem stops the run before it starts, unless\n" +
			"--skip-invalid: then the valid rows are migrated and the invalid ones marked in --errors, as\n" +
			"Control Hub's bulk import does. When the journal shows every device done, it says so without\n" +
			"planning again. Exit 0 when every device is done, 1 when some failed or were not touched\n" +
			"(conflict, invalid, skipped), 2 on bad usage or an unreadable inventory, 3 on a fatal error,\n" +
			"130 on Ctrl-C (run it again to resume).\n" +
			"--shard K/N migrates only shard K of N (see README, Bigger than one machine): each shard its\n" +
			"own --run DIR, at 1/N of --rate; the inventory is still checked whole, so a bad row stops\n" +
			"every shard alike. cutover report --run A --run B ... merges the shards' reports.\n\n" +
			"Example:\n   cutover migrate fixtures/inventory.xlsx --run wave1 --jobs 8 --rate 20 --token $WEBEX_TOKEN",
		Flags: append(flags, migrateStepFlags...),
		Action: func(c *cli.Context) error {
			po, err := parsePlanFlags(c)
			if err != nil {
				return err
			}
			return runMigrate(c, migrateOptions{planOptions: po, dryRun: c.Bool(flagDryRun)})
		},
	}
}

func runMigrate(c *cli.Context, o migrateOptions) error {
	// The lock comes before anything is read, planned or written: a second
	// migrate on a directory in use changes nothing in it.
	var lock *rundir.Lock
	if !o.dryRun {
		var err error
		if lock, err = rundir.Acquire(o.dir); err != nil {
			return withCode(exitFatal, err)
		}
		defer lock.Release()
	}
	devs, skipped, client, err := planInputs(c, o.planOptions, o.dryRun)
	if err != nil {
		return err
	}
	var extra []migrate.ExtraStep
	for _, f := range migrateStepFactories {
		s, ok, err := f(c, o.dir)
		if err != nil {
			return err
		}
		if ok {
			extra = append(extra, s)
		}
	}
	start := time.Now()
	w := c.App.Writer
	printShardNote(c, o.runFlags, devs)
	prog := newProgress(c, progressOptions{name: "migrate", stats: client, rate: o.rateLimit})
	ready := func(p *migrate.Plan) {
		prog.planEnd()
		if o.dryRun || !c.Bool(flagQuiet) {
			_ = p.WriteSummary(safeLines{w})
		}
	}
	_, res, err := migrate.Migrate(c.Context, client, devs,
		migrate.PlanOptions{Only: o.only, Wave: o.wave, Shard: o.shard, Source: o.inventory, OrgID: c.String(flagOrgID), Ready: ready},
		migrate.RunOptions{Dir: o.dir, Jobs: o.jobs, DryRun: o.dryRun, ExtraSteps: extra,
			Progress: prog.progress(), Logger: logger(c), Lock: lock})
	prog.close()
	if res != nil && res.Finished {
		fmt.Fprintf(w, "all %d devices already done: the journal in %s shows every step of each; nothing to do "+
			"(cutover plan compares them with Webex as it is now)\n", res.Devices, o.dir)
		if skipped > 0 {
			return fmt.Errorf("%d invalid inventory rows skipped: %w", skipped, errSomeFailed)
		}
		return nil
	}
	if res != nil {
		if o.dryRun {
			printPending(w, res)
		}
		printMigrateSummary(w, res, time.Since(start), o.dryRun)
	}
	// The reports are written whenever the run got as far as running,
	// failed devices and an interrupted run included: they are how an
	// operator sees what happened.
	if res != nil && !o.dryRun {
		if rerr := writeRunReports(c, o.dir); rerr != nil && err == nil {
			return rerr
		}
	}
	if err != nil {
		if errors.Is(err, migrate.ErrSecretKey) || errors.Is(err, migrate.ErrShardMismatch) {
			return withCode(exitUsage, err)
		}
		return withCode(exitFatal, err)
	}
	if !o.dryRun && !res.OK() {
		return fmt.Errorf("%d failed, %d conflict, %d invalid: %w", res.Failed, res.Conflict, res.Invalid, errSomeFailed)
	}
	if !o.dryRun && skipped > 0 {
		// The skipped rows are not migrated: the run is not all done.
		return fmt.Errorf("%d invalid inventory rows skipped: %w", skipped, errSomeFailed)
	}
	return nil
}

func printPending(w io.Writer, res *migrate.Result) {
	for _, p := range res.Pending {
		fmt.Fprintf(w, "would %s %s:", p.Action, p.MAC)
		for _, s := range p.Steps {
			fmt.Fprintf(w, " %s", s)
		}
		fmt.Fprintln(w)
	}
}

func printMigrateSummary(w io.Writer, res *migrate.Result, took time.Duration, dry bool) {
	for _, f := range res.Failures {
		fmt.Fprintf(w, "failed %s at %s: %s\n", f.MAC, f.Step, terminalSafe(redact(f.Detail)))
	}
	if dry {
		fmt.Fprintf(w, "dry run: %d devices, %d already done, %d to work on, %d conflict, %d invalid\n",
			res.Devices, res.Done, len(res.Pending), res.Conflict, res.Invalid)
		return
	}
	// Created is its own sentence: devices created now may have failed or
	// been interrupted at a later step, so it is no part of done.
	fmt.Fprintf(w, "%d devices: %d done, %d failed, %d conflict, %d invalid, %d interrupted; %d created in Webex by this command; took %s\n",
		res.Devices, res.Done, res.Failed, res.Conflict, res.Invalid, res.Interrupted, res.Created, took.Round(time.Millisecond))
}
