package main

import (
	"errors"
	"fmt"
	"io/fs"

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
	dir   string
	paths reports.Paths
}

func newReportCommand() *cli.Command {
	return &cli.Command{
		Name:      "report",
		Usage:     "regenerate the HTML, Excel and JUnit reports of a run from its journal",
		UsageText: "cutover report --run DIR [--html FILE] [--xlsx FILE] [--junit FILE]",
		Description: "Reads DIR/plan.json, DIR/journal.jsonl and DIR/certify.jsonl (any of them may be missing)\n" +
			"and writes DIR/report.html (one self-contained page), DIR/report.xlsx and DIR/junit.xml.\n" +
			"Nothing is contacted; run it as often as you like, even while a migration is running.\n\n" +
			"Example:\n   cutover report --run wave1 --junit ci/junit.xml",
		Flags: []cli.Flag{
			runDirFlag(),
			&cli.StringFlag{Name: flagHTML, Usage: "write the HTML report to `FILE` (default DIR/report.html)"},
			&cli.StringFlag{Name: flagXLSX, Usage: "write the Excel workbook to `FILE` (default DIR/report.xlsx)"},
			&cli.StringFlag{Name: flagJUnit, Usage: "write JUnit XML to `FILE` (default DIR/junit.xml)"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 0 {
				return usageErrorf("report takes no arguments, got %q", c.Args().Slice())
			}
			o := reportOptions{dir: c.String(flagRun), paths: reports.Paths{
				HTML: c.String(flagHTML), XLSX: c.String(flagXLSX), JUnit: c.String(flagJUnit),
			}}
			return runReport(c, o)
		},
	}
}

func runReport(c *cli.Context, o reportOptions) error {
	var d *reports.Data
	p, err := reports.Generate(o.dir, reports.WithLoaded(func(x *reports.Data) { d = x }),
		reports.WithHTML(o.paths.HTML), reports.WithXLSX(o.paths.XLSX), reports.WithJUnit(o.paths.JUnit))
	switch {
	case errors.Is(err, reports.ErrNoRunData), errors.Is(err, fs.ErrNotExist):
		return withCode(exitUsage, fmt.Errorf("%w (is --run %s a run directory?)", err, o.dir))
	case errors.Is(err, reports.ErrWriting):
		return withCode(exitFatal, err)
	case err != nil:
		return withCode(exitUsage, err) // a malformed plan, journal or results file
	}
	w := c.App.Writer
	if l := reports.FleetLine(d.FleetFailover, d.FleetFailback); l != "" {
		fmt.Fprintln(w, l)
	}
	for _, l := range reports.CauseLines(d, certMaxCausesShown) {
		fmt.Fprintln(w, l)
	}
	fmt.Fprintf(w, "wrote %s\nwrote %s\nwrote %s\n", p.HTML, p.XLSX, p.JUnit)
	return nil
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
