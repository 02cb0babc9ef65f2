package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/cutover-dev/cutover/certify"
	"github.com/cutover-dev/cutover/demo"
	"github.com/cutover-dev/cutover/reports"
)

func init() { register(newDemoCommand) }

const (
	demoFlagOut     = "out"
	demoFlagDevices = "devices"
	demoDefaultOut  = "cutover-demo"
)

type demoOptions struct {
	out     string
	devices int
	jobs    int
	provURL string
}

func newDemoCommand() *cli.Command {
	return &cli.Command{
		Name:      "demo",
		Usage:     "run the whole job on the embedded default: emulated Webex, two SBCs and SRV DNS; real files out",
		UsageText: "cutover demo [--out DIR] [--devices N] [--jobs N] [--provisioning-url URL]",
		Description: "Starts the Webex emulator (HTTPS), two SBC emulators (TLS 1.2) and an SRV DNS server in this\n" +
			"process, migrates fixtures/inventory.xlsx (or N generated devices) into DIR, renders and publishes\n" +
			"every config to DIR/configs, certifies every device from its published config (taking the primary\n" +
			"SBC down half-way and back), and writes DIR/report.html, DIR/report.xlsx and DIR/junit.xml.\n" +
			"DIR is an ordinary run directory afterwards; an earlier demo's files in it are replaced.\n" +
			"Exit 0 only if every device migrated and every case passed.\n\n" +
			"Example:\n   cutover demo --out /tmp/demo --devices 500",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: demoFlagOut, Value: demoDefaultOut, Usage: "run `DIR`"},
			&cli.IntFlag{Name: demoFlagDevices, Usage: "generate `N` devices instead of the 60-device fixture"},
			&cli.IntFlag{Name: flagJobs, Value: 16, Usage: "devices migrated and certified at once"},
			&cli.StringFlag{Name: flagProvisioningURL, Value: demo.DefaultProvisioningURL,
				Usage: "the https `URL` the configs name the published lab CA under (Yealink, AudioCodes)"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 0 {
				return usageErrorf("demo takes no arguments, got %q", c.Args().Slice())
			}
			o := demoOptions{out: c.String(demoFlagOut), devices: c.Int(demoFlagDevices), jobs: c.Int(flagJobs), provURL: c.String(flagProvisioningURL)}
			if o.devices < 0 || o.jobs < 1 {
				return usageErrorf("--devices must be 0 or more and --jobs 1 or more")
			}
			return runDemo(c, o)
		},
	}
}

func runDemo(c *cli.Context, o demoOptions) error {
	w := c.App.Writer
	var bar *certifyProgress
	prog := newProgress(c, progressOptions{name: "demo"})
	sum, err := demo.Run(c.Context, demo.Options{
		Dir: o.out, Devices: o.devices, Jobs: o.jobs, Progress: prog.progress(), Logger: logger(c), ProvisioningURL: o.provURL,
		CertifyBegin: func(n int) { prog.close(); bar = newCertifyProgress(c, n) },
		OnResult:     func(r certify.Result) { bar.result(r) },
	})
	prog.close()
	bar.end()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "migrated %d of %d devices (%d failed); certified %d devices: %d of %d cases passed, %d skipped, %d failed\n",
		sum.Migrated, sum.Devices, sum.Failed, sum.Certified, sum.Cases-sum.CasesFail-sum.CasesSkip, sum.Cases, sum.CasesSkip, sum.CasesFail)
	if l := reports.FleetLine(sum.Failover, sum.Failback); l != "" {
		fmt.Fprintln(w, l)
	}
	switch {
	case sum.Watch != nil && sum.Watch.Counts.Total > 0:
		printWatchResult(w, sum.Watch)
	case sum.WatchErr != nil:
		fmt.Fprintf(w, "watch: %s\n", terminalSafe(sum.WatchErr.Error()))
	}
	fmt.Fprintf(w, "reports:\n  %s\n  %s\n  %s\n", sum.Reports.HTML, sum.Reports.XLSX, sum.Reports.JUnit)
	if !sum.Passed() {
		return fmt.Errorf("demo: %w", errSomeFailed)
	}
	fmt.Fprintln(w, "demo passed")
	return nil
}
