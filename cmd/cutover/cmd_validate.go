package main

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/cutover-dev/cutover/migrate/inventory"
	"github.com/cutover-dev/cutover/render"
)

func init() { register(newValidateCommand) }

const (
	flagErrors = "errors"
	flagFormat = "format"
	flagLab    = "lab"
	formatText = "text"
	formatJSON = "json"
)

type validateOptions struct {
	inventory string
	errorsOut string
	format    string
	lab       bool
}

func newValidateCommand() *cli.Command {
	return &cli.Command{
		Name:      "validate",
		Usage:     "check an inventory offline and print every problem with its file, sheet, row and column",
		ArgsUsage: "INVENTORY",
		UsageText: "cutover validate INVENTORY [--errors OUT.xlsx] [--format text|json] [--lab]",
		Description: "Reads an .xlsx or CSV inventory and checks every rule (MAC form and uniqueness, known\n" +
			"make/model, line and port limits, owners, SIP password policy and reuse) without touching\n" +
			"Webex. --errors writes a copy of the workbook with each bad cell filled red and commented,\n" +
			"plus an Errors sheet (the file is written 0600: it may hold SIP passwords). --lab checks a\n" +
			"certification lab inventory (mac, make, model, sip_user, sip_password, domain).\n" +
			"Exit status: 0 clean, 1 some rows have problems, 2 unreadable file or bad usage.\n\n" +
			"Example:\n   cutover validate fixtures/inventory.xlsx --errors inventory-errors.xlsx",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: flagErrors, Usage: "write the inventory with bad cells marked to `OUT.xlsx`"},
			&cli.StringFlag{Name: flagFormat, Value: formatText, Usage: "output format: text or json"},
			&cli.BoolFlag{Name: flagLab, Usage: "check a certification lab inventory (owner rules off)"},
		},
		Action: func(c *cli.Context) error {
			o, err := parseValidateFlags(c)
			if err != nil {
				return err
			}
			return runValidate(c, o)
		},
	}
}

func parseValidateFlags(c *cli.Context) (validateOptions, error) {
	if c.NArg() != 1 {
		return validateOptions{}, usageErrorf("expected one INVENTORY file, got %d arguments", c.NArg())
	}
	o := validateOptions{inventory: c.Args().First(), errorsOut: c.String(flagErrors), format: c.String(flagFormat), lab: c.Bool(flagLab)}
	if o.format != formatText && o.format != formatJSON {
		return o, usageErrorf("--%s %q: expected text or json", flagFormat, o.format)
	}
	if o.errorsOut != "" && filepath.Clean(o.errorsOut) == filepath.Clean(o.inventory) {
		return o, usageErrorf("--%s %s: expected a new file, not the inventory itself", flagErrors, o.errorsOut)
	}
	return o, nil
}

func runValidate(c *cli.Context, o validateOptions) error {
	inv, err := inventory.ReadContext(c.Context, o.inventory, inventory.Options{Lab: o.lab, Rules: render.Rules{}})
	if err != nil {
		return withCode(exitUsage, err)
	}
	if err := printProblems(c.App.Writer, inv, o.format); err != nil {
		return withCode(exitFatal, err)
	}
	if o.errorsOut != "" {
		if err := inventory.WriteErrors(inv, o.inventory, o.errorsOut); err != nil {
			return withCode(exitFatal, err)
		}
	}
	if !inv.Valid() {
		// validate writes no journal and no report: say what to do instead.
		fix := "fix them and validate again (--errors OUT.xlsx marks the cells)"
		if o.errorsOut != "" {
			fix = "fix the cells marked in " + o.errorsOut + " and validate again"
		}
		return withCode(exitFailed, fmt.Errorf("%s: %s; %s", o.inventory, validateCount(len(inv.Problems), "problem"), fix))
	}
	return nil
}

// validateReport is the --format json output.
type validateReport struct {
	File     string              `json:"file"`
	Rows     int                 `json:"rows"`
	Valid    int                 `json:"valid"`
	Problems []inventory.Problem `json:"problems"`
}

func printProblems(w io.Writer, inv *inventory.Inventory, format string) error {
	if format == formatJSON {
		r := validateReport{File: inv.File, Rows: inv.Rows, Valid: len(inv.Devices), Problems: inv.Problems}
		if r.Problems == nil {
			r.Problems = []inventory.Problem{}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	for _, p := range inv.Problems {
		if _, err := fmt.Fprintln(w, terminalSafe(p.String())); err != nil {
			return err
		}
	}
	summary := validateCount(inv.Rows, "device")
	if len(inv.Devices) != inv.Rows {
		summary += fmt.Sprintf(" (%d valid)", len(inv.Devices))
	}
	summary += ", " + validateCount(len(inv.Problems), "problem")
	_, err := fmt.Fprintln(w, summary)
	return err
}

// validateCount renders "1 problem", "2 problems".
func validateCount(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
