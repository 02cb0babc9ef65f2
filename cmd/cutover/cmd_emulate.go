package main

import "github.com/urfave/cli/v2"

// emulatorFactories holds the `cutover emulate` subcommands (webex, sbc, dns);
// each emulator's file registers its own.
var emulatorFactories []func() *cli.Command

func registerEmulator(f func() *cli.Command) { emulatorFactories = append(emulatorFactories, f) }

func init() { register(newEmulateCommand) }

func newEmulateCommand() *cli.Command {
	subs := make([]*cli.Command, 0, len(emulatorFactories))
	for _, f := range emulatorFactories {
		subs = append(subs, f())
	}
	return &cli.Command{
		Name:  "emulate",
		Usage: "run one emulator standalone (webex, sbc or dns) for manual dry runs",
		Description: "Starts a faithful local stand-in for something outside and serves until Ctrl-C.\n\n" +
			"Example:\n   cutover emulate webex --listen 127.0.0.1:8443 --token lab-admin --inventory fixtures/inventory.xlsx",
		Subcommands: subs,
	}
}
