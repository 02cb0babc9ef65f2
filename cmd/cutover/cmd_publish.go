package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/cutover-dev/cutover/compose"
	"github.com/cutover-dev/cutover/migrate"
	"github.com/cutover-dev/cutover/render"
	"github.com/cutover-dev/cutover/render/publish"
)

func init() { register(newPublishCommand) }

// publishStepFlags are the migrate flags of the publish step (registered in
// cmd_render.go, after the render step it depends on).
func publishStepFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: publishFlagPublish, Usage: "also publish each device's configs to `TARGET` (dir://PATH or https://URL)"},
		&cli.StringFlag{Name: publishFlagCA, Usage: "extra CA certificates (PEM `FILE`) trusted for an https:// publish target"},
	}
}

// Flag names of cutover publish and of migrate's publish step.
const (
	publishFlagTo      = "to"
	publishFlagPublish = "publish"
	publishFlagCA      = "publish-ca"
)

type publishOptions struct {
	dir, to, caFile string
	jobs            int
}

func newPublishCommand() *cli.Command {
	return &cli.Command{
		Name:      "publish",
		Usage:     "publish a run's rendered configs to a directory or an HTTPS provisioning server",
		UsageText: "cutover publish --run DIR --to TARGET [--publish-ca FILE] [--jobs N]",
		Description: "Publishes DIR/configs/ to TARGET: dir://PATH writes each file atomically (0600) with a\n" +
			"manifest.json of SHA-256 sums; https://URL PUTs each file (auth from CUTOVER_PUBLISH_TOKEN, or\n" +
			"CUTOVER_PUBLISH_USER and CUTOVER_PUBLISH_PASSWORD; certificates verified against the system\n" +
			"roots plus --publish-ca), retrying 5xx and timeouts. Files the target already holds unchanged\n" +
			"are skipped, so publishing again writes nothing.\n\n" +
			"Example:\n   cutover publish --run wave1 --to dir:///srv/provisioning/phones",
		Flags: []cli.Flag{
			runDirFlag(),
			&cli.StringFlag{Name: publishFlagTo, Required: true, Usage: "`TARGET`: dir://PATH or https://URL"},
			&cli.StringFlag{Name: publishFlagCA, Usage: "extra CA certificates (PEM `FILE`) for an https:// target"},
			&cli.IntFlag{Name: flagJobs, Usage: "`N` files written at once", DefaultText: "4 for dir://, 8 for https://"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 0 {
				return usageErrorf("publish takes no arguments, got %q", c.Args().Slice())
			}
			return runPublish(c, publishOptions{dir: c.String(flagRun), to: c.String(publishFlagTo),
				caFile: c.String(publishFlagCA), jobs: c.Int(flagJobs)})
		},
	}
}

// openTarget opens the publish target for the configs of run directory dir.
func openTarget(c *cli.Context, dir, spec, caFile string, jobs int) (publish.Target, error) {
	t, err := compose.Publisher(compose.PublisherOptions{Spec: spec, CAFile: caFile, Jobs: jobs, Logger: logger(c),
		Source: filepath.Join(dir, render.ConfigsDir)})
	if err != nil {
		return nil, withCode(exitUsage, err)
	}
	return t, nil
}

func runPublish(c *cli.Context, o publishOptions) error {
	t, err := openTarget(c, o.dir, o.to, o.caFile, o.jobs)
	if err != nil {
		return err
	}
	configs := filepath.Join(o.dir, render.ConfigsDir)
	if _, err := os.Stat(configs); err != nil {
		return withCode(exitUsage, fmt.Errorf("publishing: %w (run cutover render --run %s first)", err, o.dir))
	}
	start := time.Now()
	res, err := publish.PublishDir(c.Context, t, configs)
	fmt.Fprintf(c.App.Writer, "published %d files (%d bytes), %d unchanged, in %s\n",
		res.Written, res.Bytes, res.Skipped, time.Since(start).Round(time.Millisecond))
	if err != nil {
		return withCode(exitFatal, err)
	}
	return nil
}

// publishStep publishes each device's configs as the migration's publish
// step. Devices are batched so that a directory target writes its manifest
// a few times a second, not once per device.
func publishStep(c *cli.Context, dir string) (migrate.ExtraStep, bool, error) {
	spec := c.String(publishFlagPublish)
	if spec == "" {
		return migrate.ExtraStep{}, false, nil
	}
	t, err := openTarget(c, dir, spec, c.String(publishFlagCA), 0)
	if err != nil {
		return migrate.ExtraStep{}, false, err
	}
	// The batcher lives as long as the process: the migration's last devices
	// flush within the batch window, and nothing is queued after it.
	step, _ := compose.PublishStep(t)
	return step, true, nil
}
