package main

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/cutover-dev/cutover/compose"
	"github.com/cutover-dev/cutover/migrate"
	"github.com/cutover-dev/cutover/render"
	"github.com/cutover-dev/cutover/rundir"
)

func init() {
	register(newRenderCommand)
	// Both migration steps register here, in pipeline order: init functions
	// run in file name order, and cmd_publish.go would come first.
	registerMigrateStep(renderStep, templatesFlag(), provisioningURLFlag())
	registerMigrateStep(publishStep, publishStepFlags()...)
}

// Flag names of cutover render (prefixed: other commands define their own).
const (
	renderFlagTemplates = "templates"
	renderFlagInventory = "inventory"
	flagProvisioningURL = "provisioning-url"
)

func provisioningURLFlag() cli.Flag {
	return &cli.StringFlag{Name: flagProvisioningURL, Usage: "the https `URL` devices fetch their configs from (e.g. https://prov.example.com/cutover/): " +
		"Yealink and AudioCodes configs download the trusted CA, published beside them, from there"}
}

func templatesFlag() cli.Flag {
	return &cli.StringFlag{Name: renderFlagTemplates, Usage: "partner template `DIR` (yealink.tmpl, yealink-T57W.tmpl, ...) over the embedded defaults"}
}

type renderOptions struct {
	dir       string
	templates string
	provURL   string
	inventory string
	jobs      int
}

func newRenderCommand() *cli.Command {
	return &cli.Command{
		Name:      "render",
		Usage:     "re-render the device configs of a run from its device info, without touching Webex",
		UsageText: "cutover render --run DIR [--templates DIR] [--provisioning-url URL] [--inventory FILE] [--jobs N]",
		Description: "Renders every migrated device of the run (DIR/plan.json, DIR/info/<MAC>.json, the SIP\n" +
			"passwords in DIR/secrets.json, decrypted with CUTOVER_SECRET_KEY when it is encrypted) into\n" +
			"DIR/configs/ (files 0600, replaced atomically, unchanged files left alone). --templates adds\n" +
			"partner templates; --provisioning-url is where devices fetch the configs, under which the trusted\n" +
			"CA's PEM (written into DIR/configs too) is published: Yealink and AudioCodes download it by\n" +
			"that URL, and without one their CA is not certifiable (default: the URL the run was last rendered\n" +
			"for, DIR/provisioning.json). --inventory supplies the extra columns templates read with\n" +
			"{{var \"name\"}} and the per-device template column. Exit 0 when every device rendered, 1 when some failed.\n\n" +
			"Example:\n   cutover render --run wave1 --templates partner-templates --inventory fixtures/inventory.xlsx",
		Flags: []cli.Flag{
			runDirFlag(), templatesFlag(), provisioningURLFlag(),
			&cli.StringFlag{Name: renderFlagInventory, Usage: "the run's inventory `FILE`, for template variables"},
			&cli.IntFlag{Name: flagJobs, Usage: "`N` devices rendered at once", DefaultText: "one per CPU"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 0 {
				return usageErrorf("render takes no arguments, got %q", c.Args().Slice())
			}
			return runRender(c, renderOptions{dir: c.String(flagRun), templates: c.String(renderFlagTemplates),
				provURL: c.String(flagProvisioningURL), inventory: c.String(renderFlagInventory), jobs: c.Int(flagJobs)})
		},
	}
}

func newRenderer(templates, provURL string) (*render.Renderer, error) {
	var opts []render.Option
	if provURL != "" {
		opts = append(opts, render.WithProvisioningURL(provURL))
	}
	r, err := compose.Renderer(templates, opts...)
	if err != nil {
		return nil, withCode(exitUsage, err)
	}
	return r, nil
}

func runRender(c *cli.Context, o renderOptions) error {
	if o.provURL == "" {
		// A re-render keeps the URL the run's configs were rendered for,
		// rather than silently falling back to an uncertifiable bare name.
		if p, err := render.ReadProvisioning(o.dir); err == nil {
			o.provURL = p.URL
		}
	}
	r, err := newRenderer(o.templates, o.provURL)
	if err != nil {
		return err
	}
	// Configs are the run directory's: written by one process at a time.
	lock, err := rundir.Acquire(o.dir)
	if err != nil {
		return withCode(exitFatal, err)
	}
	defer lock.Release()
	secrets, err := migrate.OpenSecrets(o.dir)
	if err != nil {
		return withCode(exitUsage, err)
	}
	// Under the lock, a key set on a plain secrets.json encrypts it now.
	if err := secrets.EncryptNow(); err != nil {
		return withCode(exitFatal, err)
	}
	var extras map[string]render.Extra
	if o.inventory != "" {
		devs, _, err := readMigrationInventory(c, planOptions{inventory: o.inventory}, true)
		if err != nil {
			return err
		}
		extras = make(map[string]render.Extra, len(devs))
		for _, d := range devs {
			extras[d.MAC] = render.Extra{Vars: d.Vars, Template: d.Template}
		}
	}
	res, err := render.RenderRun(c.Context, o.dir, render.RunOptions{
		Secrets: secrets, Renderer: r, Extras: extras, Jobs: o.jobs, Logger: logger(c)})
	if err != nil {
		if errors.Is(err, render.ErrRunDir) {
			return withCode(exitUsage, err)
		}
		return withCode(exitFatal, err)
	}
	printRenderSummary(c.App.Writer, o.dir, res)
	if r.ProvisioningURL() == "" {
		fmt.Fprintln(c.App.Writer, noProvisioningURL)
	}
	if len(res.Failed) > 0 {
		// render writes no journal and no report: the lines above say why.
		return withCode(exitFailed, fmt.Errorf("%d devices not rendered (reasons above)", len(res.Failed)))
	}
	return nil
}

func printRenderSummary(w io.Writer, dir string, res *render.RunResult) {
	fmt.Fprintf(w, "rendered %d devices (%d files) into %s; %d unchanged, %d without device info yet, %d not migrated (conflict or invalid), %d failed\n",
		res.Rendered, res.Files, filepath.Join(dir, render.ConfigsDir), res.Unchanged, res.Pending, res.Skipped, len(res.Failed))
	for _, f := range res.Failed {
		fmt.Fprintf(w, "  %s\n", redact(f.Error()))
	}
}

// noProvisioningURL says what rendering without --provisioning-url means.
const noProvisioningURL = "note: no --provisioning-url: Yealink and AudioCodes configs name the trusted CA by its bare file name, " +
	"which no vendor documents; certify reports their CA as not certifiable until they are rendered with one"

// renderStep renders each device's configs into DIR/configs as the
// migration's render step, right after its device info is saved.
func renderStep(c *cli.Context, _ string) (migrate.ExtraStep, bool, error) {
	r, err := newRenderer(c.String(renderFlagTemplates), c.String(flagProvisioningURL))
	if err != nil {
		return migrate.ExtraStep{}, false, err
	}
	if r.ProvisioningURL() == "" {
		logger(c).Warn(noProvisioningURL)
	}
	return compose.RenderStep(r), true, nil
}
