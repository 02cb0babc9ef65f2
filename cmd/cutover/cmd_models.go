package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/cutover-dev/cutover/migrate"
	"github.com/cutover-dev/cutover/migrate/inventory"
)

func init() { register(newModelsCommand) }

func newModelsCommand() *cli.Command {
	return &cli.Command{
		Name:      "models",
		Usage:     "print the org's supported devices and how each inventory model maps to them",
		ArgsUsage: "[INVENTORY]",
		UsageText: "cutover models [INVENTORY] [--run DIR]",
		Description: "Reads the org's GET /telephony/config/supportedDevices (scope spark-admin:telephony_config_read)\n" +
			"and matches each make/model of INVENTORY to a Webex model by model, display name and\n" +
			"manufacturer, normalised, as plan does; a webex_model column overrides. With --run DIR, the\n" +
			"catalog the plan cached in DIR/" + migrate.CatalogFile + " is used offline. Exits 2 when a model matches nothing.\n\n" +
			"Example:\n   cutover models fixtures/inventory.xlsx --token $WEBEX_TOKEN",
		Flags: []cli.Flag{&cli.StringFlag{Name: flagRun, Usage: "run `DIR` whose cached catalog to use, offline"}},
		Action: func(c *cli.Context) error {
			if c.NArg() > 1 {
				return usageErrorf("expected at most one INVENTORY file, got %d arguments", c.NArg())
			}
			var devs []inventory.Device
			if c.NArg() == 1 {
				var err error
				if devs, _, err = readMigrationInventory(c, planOptions{inventory: c.Args().First()}, true); err != nil {
					return err
				}
			}
			var api migrate.API
			if c.String(flagRun) == "" {
				client, err := newWebexClient(c)
				if err != nil {
					return err
				}
				api = client
			}
			r, err := migrate.MapModels(c.Context, api, c.String(flagRun), devs)
			if err != nil {
				return withCode(exitFatal, err)
			}
			if err := r.WriteTable(c.App.Writer); err != nil {
				return err
			}
			if n := r.Unmatched(); n > 0 {
				return usageErrorf("%d inventory models match no Webex model; name them in a webex_model column", n)
			}
			if len(devs) > 0 {
				fmt.Fprintf(c.App.Writer, "every inventory model maps to a Webex model\n")
			}
			return nil
		},
	}
}
