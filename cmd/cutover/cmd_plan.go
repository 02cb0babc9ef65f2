package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/cutover-dev/cutover/migrate"
	"github.com/cutover-dev/cutover/migrate/inventory"
	"github.com/cutover-dev/cutover/render"
	"github.com/cutover-dev/cutover/rundir"
	"github.com/cutover-dev/cutover/shard"
	"github.com/cutover-dev/cutover/webex"
)

func init() { register(newPlanCommand) }

// Flags shared by plan, migrate and rollback.
const (
	flagRun  = "run"
	flagJobs = "jobs"
	flagOnly = "only"
	flagWave = "wave"
)

func runDirFlag() cli.Flag {
	return &cli.StringFlag{Name: flagRun, Required: true, Usage: "run `DIR`: plan.json, journal.jsonl, secrets.json, info/"}
}

func jobsFlag() cli.Flag {
	return &cli.IntFlag{Name: flagJobs, Value: 8, Usage: "`N` devices talking to Webex at once (the request rate is --rate)"}
}

func onlyFlag() cli.Flag {
	return &cli.StringFlag{Name: flagOnly, Usage: "comma-separated `MACS` to restrict the run to"}
}

func waveFlag() cli.Flag {
	return &cli.StringFlag{Name: flagWave, Usage: "wave `NAME`: recorded in the journal; selects the rows of an inventory's wave column"}
}

// runFlags are the flags shared by the commands that work on a run's
// devices in Webex: plan, migrate and rollback.
type runFlags struct {
	dir  string
	jobs int
	only []string
	rate []webex.Option
	// shard is --shard (plan and migrate); rateLimit is this process's
	// share of --rate: all of it, or 1/N of it for a shard.
	shard     shard.Spec
	rateLimit float64
}

// parseRunFlags reads --run, --jobs, --only, --shard and --rate.
func parseRunFlags(c *cli.Context) (runFlags, error) {
	f := runFlags{dir: c.String(flagRun), jobs: c.Int(flagJobs)}
	if f.jobs < 1 {
		return f, usageErrorf("--%s %d: expected at least 1", flagJobs, f.jobs)
	}
	var err error
	if f.only, err = parseMACList(c.String(flagOnly)); err != nil {
		return f, err
	}
	if f.shard, err = parseShard(c); err != nil {
		return f, err
	}
	f.rateLimit = f.shard.Share(c.Float64(flagRate))
	f.rate, err = parseRate(c, f.shard)
	return f, err
}

type planOptions struct {
	runFlags
	inventory string
	wave      string
	// skipInvalid plans only the inventory's valid rows (migrate
	// --skip-invalid); errorsOut is where the invalid ones are marked.
	skipInvalid bool
	errorsOut   string
}

func newPlanCommand() *cli.Command {
	return &cli.Command{
		Name:      "plan",
		Usage:     "decide, read-only, what migrating an inventory would do to each device",
		ArgsUsage: "INVENTORY",
		UsageText: "cutover plan INVENTORY --run DIR [--jobs N] [--only MACS] [--wave NAME] [--shard K/N]",
		Description: "Resolves owners, locations and models against Webex without changing anything, validates the\n" +
			"MACs, finds devices that already exist, and writes DIR/plan.json. Each device is planned as\n" +
			"create, adopt (exists with the same owner, model and lines), update (lines differ), conflict\n" +
			"(the MAC is someone else's: never touched) or invalid.\n\n" +
			"Example:\n   cutover plan fixtures/inventory.xlsx --run wave1 --token $WEBEX_TOKEN",
		Flags: []cli.Flag{runDirFlag(), jobsFlag(), onlyFlag(), waveFlag(), rateFlag(), shardFlag()},
		Action: func(c *cli.Context) error {
			opts, err := parsePlanFlags(c)
			if err != nil {
				return err
			}
			return runPlan(c, opts)
		},
	}
}

func parsePlanFlags(c *cli.Context) (planOptions, error) {
	if c.NArg() != 1 {
		return planOptions{}, usageErrorf("expected one INVENTORY file, got %d arguments", c.NArg())
	}
	f, err := parseRunFlags(c)
	o := planOptions{runFlags: f, inventory: c.Args().First(), wave: c.String(flagWave),
		skipInvalid: c.Bool(flagSkipInvalid), errorsOut: c.String(flagErrors)}
	if err == nil && o.errorsOut != "" && !o.skipInvalid {
		err = usageErrorf("--%s goes with --%s: it receives the rows skipped", flagErrors, flagSkipInvalid)
	}
	return o, err
}

// parseMACList reads --only: comma-separated MACs in any notation.
func parseMACList(s string) ([]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []string
	for i, m := range strings.Split(s, ",") {
		mac, err := inventory.NormalizeMAC(m)
		if err != nil {
			return nil, usageErrorf("--%s: item %d %q: %v", flagOnly, i+1, strings.TrimSpace(m), err)
		}
		out = append(out, mac)
	}
	return out, nil
}

// readMigrationInventory reads an inventory that is about to be planned.
// A row with a problem is a usage error listing them (fix them first:
// cutover validate marks the cells), unless o.skipInvalid: then, as Control
// Hub's bulk import does, the valid rows go on and the invalid ones are
// marked in the errors workbook (o.errorsOut, else DIR/invalid-rows.xlsx;
// on a dry run only when --errors names it).
func readMigrationInventory(c *cli.Context, o planOptions, dryRun bool) (devs []inventory.Device, skipped int, err error) {
	path := o.inventory
	inv, err := inventory.ReadContext(c.Context, path, inventory.Options{Rules: render.Rules{}})
	if err != nil {
		return nil, 0, withCode(exitUsage, err)
	}
	if inv.Valid() {
		return inv.Devices, 0, nil
	}
	const show = 20
	w := c.App.ErrWriter
	for i, p := range inv.Problems {
		if i == show {
			fmt.Fprintf(w, "... and %d more\n", len(inv.Problems)-show)
			break
		}
		fmt.Fprintln(w, terminalSafe(p.String()))
	}
	if !o.skipInvalid {
		hint := ""
		if c.Command.Name == "migrate" {
			hint = fmt.Sprintf(", or migrate the valid rows with --%s (the invalid ones go to --%s OUT.xlsx)", flagSkipInvalid, flagErrors)
		}
		return nil, 0, usageErrorf("%s has %d problems; fix them first (cutover validate %s --errors marked.xlsx)%s",
			path, len(inv.Problems), path, hint)
	}
	out := o.errorsOut
	if out == "" && !dryRun {
		if err := os.MkdirAll(o.dir, rundir.ModeDir); err != nil {
			return nil, 0, withCode(exitFatal, err)
		}
		out = filepath.Join(o.dir, invalidRowsFile)
	}
	skipped = inv.Rows - len(inv.Devices)
	if out == "" {
		fmt.Fprintf(c.App.Writer, "skipping %d invalid rows of %s (%d problems above)\n", skipped, path, len(inv.Problems))
		return inv.Devices, skipped, nil
	}
	if err := inventory.WriteErrors(inv, path, out); err != nil {
		return nil, 0, withCode(exitFatal, err)
	}
	fmt.Fprintf(c.App.Writer, "skipping %d invalid rows of %s: marked in %s\n", skipped, path, out)
	return inv.Devices, skipped, nil
}

// invalidRowsFile is where migrate --skip-invalid marks the rows it skipped
// when --errors names no file (rundir owns the name).
const invalidRowsFile = rundir.InvalidRowsFile

// planInputs reads the inventory to plan (see readMigrationInventory for
// its problems) and opens the Webex client: what plan and migrate start
// from. skipped counts the invalid rows --skip-invalid left out.
func planInputs(c *cli.Context, o planOptions, dryRun bool) (devs []inventory.Device, skipped int, client *webex.Client, err error) {
	devs, skipped, err = readMigrationInventory(c, o, dryRun)
	if err != nil {
		return nil, 0, nil, err
	}
	client, err = newWebexClient(c, o.rate...)
	if err != nil {
		return nil, 0, nil, err
	}
	return devs, skipped, client, nil
}

func runPlan(c *cli.Context, o planOptions) error {
	// The lock comes before anything is read or planned: a plan made while
	// another process runs this directory must not replace the plan it follows.
	lock, err := rundir.Acquire(o.dir)
	if err != nil {
		return withCode(exitFatal, err)
	}
	defer lock.Release()
	if err := migrate.CheckShard(o.dir, o.shard); err != nil {
		return withCode(exitUsage, err)
	}
	devs, _, client, err := planInputs(c, o, false)
	if err != nil {
		return err
	}
	printShardNote(c, o.runFlags, devs)
	prog := newProgress(c, progressOptions{name: "plan", stats: client, rate: o.rateLimit})
	plan, err := migrate.MakePlan(c.Context, client, devs, migrate.PlanOptions{
		Jobs: o.jobs, Only: o.only, Wave: o.wave, Shard: o.shard, Source: o.inventory, OrgID: c.String(flagOrgID), Logger: logger(c),
		Progress: prog.planProgress(),
	})
	prog.close()
	if err != nil {
		return withCode(exitFatal, err)
	}
	if err := migrate.WritePlan(lock, plan); err != nil {
		return withCode(exitFatal, err)
	}
	plan.MarkDone(o.dir)
	if err := plan.WriteSummary(safeLines{c.App.Writer}); err != nil {
		return err
	}
	fmt.Fprintf(c.App.Writer, "plan written to %s\n", rundir.Path(o.dir, rundir.PlanFile))
	return nil
}
