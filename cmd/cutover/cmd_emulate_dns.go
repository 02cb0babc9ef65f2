package main

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/cutover-dev/cutover/simulator/dns"
)

func init() { registerEmulator(newEmulateDNSCommand) }

func newEmulateDNSCommand() *cli.Command {
	return &cli.Command{
		Name:      "dns",
		Usage:     "run a small authoritative DNS server for SRV and A records (UDP and TCP)",
		UsageText: "cutover emulate dns --listen ADDR --srv NAME=PRIO WEIGHT PORT TARGET[,...] --a NAME=IPV4[,...]",
		Description: "Answers SRV queries (with the targets' A records in the additional section) and A queries for\n" +
			"the names given, NXDOMAIN for every other name, authoritatively, over UDP and TCP on ADDR.\n" +
			"Point certify at it with --dns ADDR.\n\n" +
			"Example:\n   cutover emulate dns --listen 127.0.0.1:5353 --srv \"_sips._tcp.example.test=10 60 5061 sbc1.example.test,_sips._tcp.example.test=20 40 5061 sbc2.example.test\" --a \"sbc1.example.test=127.0.0.11,sbc2.example.test=127.0.0.12\"",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "listen", Value: "127.0.0.1:5353", Usage: "UDP and TCP listen `ADDR`"},
			&cli.StringSliceFlag{Name: "srv", Usage: "SRV `RECORDS`: NAME=PRIORITY WEIGHT PORT TARGET, comma-separated (repeatable)"},
			&cli.StringSliceFlag{Name: "a", Usage: "A `RECORDS`: NAME=IPV4, comma-separated (repeatable)"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 0 {
				return usageErrorf("emulate dns takes no arguments, got %q", c.Args().Slice())
			}
			// StringSliceFlag already splits on commas; join back so that the
			// library parser sees one list and numbers records in order.
			srv, err := dns.ParseSRVSpecs(strings.Join(c.StringSlice("srv"), ","))
			if err != nil {
				return usageErrorf("--srv: %v", err)
			}
			a, err := dns.ParseASpecs(strings.Join(c.StringSlice("a"), ","))
			if err != nil {
				return usageErrorf("--a: %v", err)
			}
			if len(srv) == 0 && len(a) == 0 {
				return usageErrorf("give at least one --srv or --a record")
			}
			w := c.App.Writer
			o := dns.StandaloneOptions{
				Listen: c.String("listen"),
				SRV:    srv,
				A:      a,
				Logger: logger(c),
				Ready: func(addr string) {
					fmt.Fprintf(w, "DNS emulator answering on %s (UDP and TCP): %d SRV and %d A records; Ctrl-C stops it\n", addr, len(srv), len(a))
				},
			}
			return emulatorExit(dns.RunStandalone(c.Context, o))
		},
	}
}
