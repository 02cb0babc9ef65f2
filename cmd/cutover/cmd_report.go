package main

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/cutover-dev/cutover/reports"
)

func init() { register(newReportCommand) }

const (
	flagHTML  = "html"
	flagXLSX  = "xlsx"
	flagJUnit = "junit"
)

type reportOptions struct {
	dirs  []string // one run, or the shards to merge
	out   string   // with several runs: where the merged reports go
	paths reports.Paths
}

const flagReportOut = "out"

func newReportCommand() *cli.Command {
	return &cli.Command{
		Name:  "report",
		Usage: "regenerate the HTML, Excel and JUnit reports of a run (or merge shards' runs) from the journal",
		UsageText: "cutover report --run DIR [--html FILE] [--xlsx FILE] [--junit FILE]\n" +
			"   cutover report --out DIR --run SHARD_DIR --run SHARD_DIR ... [--html FILE] [--xlsx FILE] [--junit FILE]",
		Description: "Reads DIR/plan.json, DIR/journal.jsonl and DIR/certify.jsonl (any of them may be missing)\n" +
			"and writes DIR/report.html (one self-contained page), DIR/report.xlsx and DIR/junit.xml.\n" +
			"Nothing is contacted; run it as often as you like, even while a migration is running.\n" +
			"Given several --run directories (repeated, comma-separated, or more directories after the\n" +
			"flags, as a shell glob gives them), typically the shards of one migrate --shard K/N split, it\n" +
			"merges them into one report in --out DIR, as if one run had done the work. A device in two\n" +
			"directories, shards of different splits, or one shard twice is refused (exit 2); a shard\n" +
			"of the split that is missing is said, not refused.\n\n" +
			"Examples:\n   cutover report --run wave1 --junit ci/junit.xml\n" +
			"   cutover report --out wave1/merged --run wave1/shard-*",
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: flagRun, Required: true, Usage: "run `DIR` (repeat, or give more after the flags, to merge shards)"},
			&cli.StringFlag{Name: flagReportOut, Usage: "with several runs, write the merged reports into `DIR` (report.html, report.xlsx, junit.xml)"},
			&cli.StringFlag{Name: flagHTML, Usage: "write the HTML report to `FILE` (default DIR/report.html)"},
			&cli.StringFlag{Name: flagXLSX, Usage: "write the Excel workbook to `FILE` (default DIR/report.xlsx)"},
			&cli.StringFlag{Name: flagJUnit, Usage: "write JUnit XML to `FILE` (default DIR/junit.xml)"},
		},
		Action: func(c *cli.Context) error {
			o, err := parseReportFlags(c)
			if err != nil {
				return err
			}
			return runReport(c, o)
		},
	}
}

// parseReportFlags reads --run (repeated, plus any directories after the
// flags), --out and the report paths.
func parseReportFlags(c *cli.Context) (reportOptions, error) {
	o := reportOptions{dirs: append(c.StringSlice(flagRun), c.Args().Slice()...), out: c.String(flagReportOut), paths: reports.Paths{
		HTML: c.String(flagHTML), XLSX: c.String(flagXLSX), JUnit: c.String(flagJUnit),
	}}
	if len(o.dirs) > 1 && o.out == "" {
		return o, usageErrorf("merging %d runs needs --%s DIR for the merged reports", len(o.dirs), flagReportOut)
	}
	if len(o.dirs) > 1 && slices.Contains(o.dirs, o.out) {
		return o, usageErrorf("--%s %s is one of the runs merged: give the merged reports a directory of their own", flagReportOut, o.out)
	}
	return o, nil
}

func runReport(c *cli.Context, o reportOptions) error {
	var d *reports.Data
	p, err := reports.GenerateRuns(o.dirs, o.out, reports.WithLoaded(func(x *reports.Data) { d = x }),
		reports.WithHTML(o.paths.HTML), reports.WithXLSX(o.paths.XLSX), reports.WithJUnit(o.paths.JUnit))
	switch {
	case errors.Is(err, reports.ErrNoRunData), errors.Is(err, fs.ErrNotExist):
		return withCode(exitUsage, fmt.Errorf("%w (is --run %s a run directory?)", err, strings.Join(o.dirs, ", ")))
	case errors.Is(err, reports.ErrWriting):
		return withCode(exitFatal, err)
	case err != nil:
		return withCode(exitUsage, err) // a malformed plan, journal or results file; runs that do not merge
	}
	w := c.App.Writer
	if len(o.dirs) > 1 {
		printMerged(c, o.dirs, d)
	}
	if l := reports.FleetLine(d.FleetFailover, d.FleetFailback); l != "" {
		fmt.Fprintln(w, l)
	}
	for _, l := range reports.CauseLines(d, certMaxCausesShown) {
		fmt.Fprintln(w, l)
	}
	fmt.Fprintf(w, "wrote %s\nwrote %s\nwrote %s\n", p.HTML, p.XLSX, p.JUnit)
	return nil
}

// printMerged says what a merged report covers, and which shards of the
// split it lacks.
func printMerged(c *cli.Context, dirs []string, d *reports.Data) {
	sh, err := reports.ShardsOf(dirs)
	if err != nil { // LoadRuns already checked; nothing to add
		return
	}
	fmt.Fprintf(c.App.Writer, "merged %d runs: %d devices\n", len(dirs), len(d.Devices))
	if miss := sh.Missing(); len(miss) > 0 {
		ks := make([]string, len(miss))
		for i, k := range miss {
			ks[i] = fmt.Sprintf("%d/%d", k, sh.N)
		}
		fmt.Fprintf(c.App.ErrWriter, "warning: the merged report lacks shard %s of the split: their devices are not in it\n", strings.Join(ks, ", "))
	}
}

// writeRunReports writes dir's three reports at the end of migrate and
// certify (README: "each run ends with its reports"), atomically, and says
// where they are unless --quiet.
func writeRunReports(c *cli.Context, dir string) error {
	p, err := reports.Generate(dir)
	if err != nil {
		return withCode(exitFatal, fmt.Errorf("writing the run's reports: %w", err))
	}
	if !c.Bool(flagQuiet) {
		fmt.Fprintf(c.App.Writer, "reports: %s, %s, %s\n", p.HTML, p.XLSX, p.JUnit)
	}
	return nil
}
