package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/cutover-dev/cutover/simulator/webexapi"
)

func init() { registerEmulator(newEmulateWebexCommand) }

func newEmulateWebexCommand() *cli.Command {
	return &cli.Command{
		Name:      "webex",
		Usage:     "run the Webex REST emulator (stateful, enforces the documented rules, fault injection)",
		UsageText: "cutover emulate webex [--listen ADDR] [--token T | --token-file F] [--read-token T] [--seed FILE] [--inventory FILE] [--faults SPEC] [--tls-cert F --tls-key F]",
		Description: "Serves the Webex calls cutover makes under /v1 (people, workspaces, locations, supported devices,\n" +
			"validateMacs, devices, telephony device settings and members, apply changes, password generation,\n" +
			"tokens) with a read-only admin view at /_emulator/state and /_emulator/requests.\n" +
			"--seed loads an org from JSON (see simulator/webexapi/testdata/seed.json); --inventory adds every\n" +
			"owner, line owner and location the inventory names. Without --token a full-admin token is generated\n" +
			"and written to --token-file (0600), never printed.\n" +
			"--faults: rate=50,burst=10,error=0.3,latency=5ms-200ms,drop=0.05,commit-then-fail=0.1,create-empty-body=0.1,token-ttl=30s\n\n" +
			"Example:\n   cutover emulate webex --listen 127.0.0.1:8443 --token lab-admin --inventory fixtures/inventory.xlsx --faults rate=50,error=0.05",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "listen", Value: "127.0.0.1:8443", Usage: "listen `ADDR` (host:port; port 0 picks one)"},
			&cli.StringFlag{Name: "token", Usage: "full-admin `TOKEN` clients will send (default: generated)"},
			&cli.StringFlag{Name: "read-token", Usage: "also accept `TOKEN` with the read-only scopes (plan works, migrate is refused)"},
			&cli.StringFlag{Name: "token-file", Usage: "`FILE` to write a generated token to, mode 0600 (default: a new temporary file)"},
			&cli.StringFlag{Name: "seed", Usage: "JSON seed `FILE` (default: a small built-in org)"},
			&cli.StringFlag{Name: "inventory", Usage: "inventory `FILE` (.xlsx or .csv) whose owners and locations are seeded"},
			&cli.StringFlag{Name: "faults", Usage: "fault `SPEC`, e.g. rate=50,error=0.3,latency=5ms-200ms,drop=0.05"},
			&cli.StringFlag{Name: "tls-cert", Usage: "serve HTTPS with this certificate `FILE` (PEM)"},
			&cli.StringFlag{Name: "tls-key", Usage: "private key `FILE` (PEM) of --tls-cert"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 0 {
				return usageErrorf("emulate webex takes no arguments, got %q", c.Args().Slice())
			}
			if _, err := webexapi.ParseFaults(c.String("faults")); err != nil {
				return usageErrorf("--faults: %v", err)
			}
			if (c.String("tls-cert") == "") != (c.String("tls-key") == "") {
				return usageErrorf("--tls-cert and --tls-key go together")
			}
			if c.String("token") != "" && c.String("token-file") != "" {
				return usageErrorf("--token-file receives a generated token; it does not go with --token")
			}
			w := c.App.Writer
			o := webexapi.StandaloneOptions{
				Listen:        c.String("listen"),
				Token:         c.String("token"),
				TokenFile:     c.String("token-file"),
				ReadToken:     c.String("read-token"),
				SeedFile:      c.String("seed"),
				InventoryFile: c.String("inventory"),
				Faults:        c.String("faults"),
				TLSCertFile:   c.String("tls-cert"),
				TLSKeyFile:    c.String("tls-key"),
				Logger:        logger(c),
				Ready: func(r webexapi.ReadyInfo) {
					fmt.Fprintf(w, "Webex emulator serving %s; Ctrl-C stops it\n", r.BaseURL)
					fmt.Fprintf(w, "org: %d locations, %d people, %d workspaces, %d models, %d devices; faults: %s\n",
						r.Counts.Locations, r.Counts.People, r.Counts.Workspaces, r.Counts.Models, r.Counts.Devices, r.Faults)
					if r.SkippedRows > 0 {
						fmt.Fprintf(w, "inventory: %d rows with problems were not seeded (cutover validate lists them)\n", r.SkippedRows)
					}
					if r.TokenFile != "" {
						fmt.Fprintf(w, "token: generated, in %s (0600): export WEBEX_TOKEN=$(cat %s)\n", r.TokenFile, r.TokenFile)
					} else {
						fmt.Fprintln(w, "token: as given")
					}
					fmt.Fprintf(w, "use it: cutover --webex-url %s plan INVENTORY --run DIR   (admin view: %s)\n", r.BaseURL, r.AdminURL)
					fmt.Fprintf(w, "devices show connected once an SBC reports them: cutover --webex-url %s --token T emulate sbc ... --webex-status\n", r.BaseURL)
				},
			}
			return emulatorExit(webexapi.RunStandalone(c.Context, o))
		},
	}
}
