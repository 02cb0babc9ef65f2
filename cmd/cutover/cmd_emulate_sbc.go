package main

import (
	"errors"
	"fmt"
	"net"

	"github.com/urfave/cli/v2"

	"github.com/cutover-dev/cutover/simulator/sbc"
	"github.com/cutover-dev/cutover/simulator/webexapi"
)

func init() { registerEmulator(newEmulateSBCCommand) }

func newEmulateSBCCommand() *cli.Command {
	return &cli.Command{
		Name:      "sbc",
		Usage:     "run the SBC/registrar emulator (SIP over TLS 1.2, digest, fault injection)",
		UsageText: "cutover emulate sbc --listen ADDR --users FILE [--cert F --key F | --ca-out F] [--faults LIST] [--control ADDR]",
		Description: "Serves SIP over TLS 1.2 only on ADDR: REGISTER with digest authentication (users from a CSV\n" +
			"with user,password columns or a JSON {\"user\": \"password\"} file), OPTIONS, and calls routed\n" +
			"between registered devices. Without --cert/--key it makes a lab CA, issues its own certificate\n" +
			"for the listen IP and --host names, and writes the CA to --ca-out for devices to trust.\n" +
			"--faults starts it broken: down, 503[=RETRY], slow=DUR, tls13, wrong-host, expired (comma-separated).\n" +
			"--control serves GET/POST /fault, GET /stats and GET /bindings on loopback, so that scripts can\n" +
			"take it down and up: curl -d down http://127.0.0.1:9061/fault\n" +
			"--webex-status posts each registration, unregistration and drop to `cutover emulate webex` at\n" +
			"the global --webex-url with its admin --token, so that its GET /devices (and cutover watch) shows\n" +
			"the device connected, as Webex does once a phone registers.\n\n" +
			"Example:\n   cutover emulate sbc --listen 127.0.0.11:5061 --users lab-users.csv --ca-out lab-ca.pem --host sbc1.example.test --control 127.0.0.1:9061",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "listen", Value: "127.0.0.1:5061", Usage: "SIP over TLS listen `ADDR`"},
			&cli.StringFlag{Name: "cert", Usage: "server certificate chain `FILE` (PEM)"},
			&cli.StringFlag{Name: "key", Usage: "server private key `FILE` (PEM)"},
			&cli.StringFlag{Name: "ca-out", Value: "cutover-sbc-ca.pem", Usage: "where to write the generated lab CA `FILE` (without --cert)"},
			&cli.StringSliceFlag{Name: "host", Usage: "extra `NAME` on the generated certificate (repeatable)"},
			&cli.StringFlag{Name: "users", Usage: "users `FILE`: CSV (user,password) or JSON", Required: true},
			&cli.StringFlag{Name: "realm", Value: sbc.DefaultRealm, Usage: "digest `REALM`"},
			&cli.StringFlag{Name: "faults", Usage: "initial faults `LIST`: down, 503[=DUR], slow=DUR, tls13, wrong-host, expired"},
			&cli.BoolFlag{Name: "reject-401", Usage: "answer a wrong password with a fresh 401 (as Kamailio does) instead of 403"},
			&cli.StringFlag{Name: "control", Usage: "loopback `ADDR` for the HTTP control endpoint (faults, stats, bindings)"},
			&cli.BoolFlag{Name: "webex-status", Usage: "report every registration to the Webex emulator at --webex-url (admin --token), which then shows the device connected"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 0 {
				return usageErrorf("emulate sbc takes no arguments, got %q", c.Args().Slice())
			}
			if _, err := sbc.ParseFaults(c.String("faults")); err != nil {
				return usageErrorf("--faults: %v", err)
			}
			if (c.String("cert") == "") != (c.String("key") == "") {
				return usageErrorf("--cert and --key go together")
			}
			o := sbc.StandaloneOptions{
				Listen:           c.String("listen"),
				CertFile:         c.String("cert"),
				KeyFile:          c.String("key"),
				Hosts:            c.StringSlice("host"),
				UsersFile:        c.String("users"),
				Realm:            c.String("realm"),
				Faults:           c.String("faults"),
				Control:          c.String("control"),
				WrongPassword401: c.Bool("reject-401"),
				Logger:           logger(c),
			}
			if o.CertFile == "" {
				o.CAOut = c.String("ca-out")
			}
			if c.Bool("webex-status") {
				onBinding, err := webexStatusReporter(c)
				if err != nil {
					return err
				}
				o.OnBinding = onBinding
			}
			w := c.App.Writer
			o.Ready = func(sipAddr, controlAddr, caFile string) {
				fmt.Fprintf(w, "SBC emulator listening on %s (SIP over TLS 1.2), realm %s; Ctrl-C stops it\n", sipAddr, o.Realm)
				if caFile != "" {
					fmt.Fprintf(w, "lab CA written to %s: give it to devices as their trust store (certify --ca %s)\n", caFile, caFile)
				}
				if controlAddr != "" {
					fmt.Fprintf(w, "control endpoint on http://%s (POST /fault with down, 503, slow=2s, tls13, wrong-host, expired or none)\n", controlAddr)
				}
			}
			return emulatorExit(sbc.RunStandalone(c.Context, o))
		},
	}
}

// webexStatusReporter links an SBC emulator to a Webex emulator in another
// process: each binding change is posted to it (webexapi.Reporter). A post
// that fails is logged, never fatal: the SBC keeps serving.
func webexStatusReporter(c *cli.Context) (func(sbc.BindingChange), error) {
	base, tok := c.String(flagWebexURL), c.String(flagToken)
	if err := checkWebexURL(base); err != nil {
		return nil, err
	}
	if tok == "" {
		return nil, usageErrorf("--webex-status needs the Webex emulator's admin token: --token/WEBEX_TOKEN")
	}
	rep, err := webexapi.NewReporter(base, tok, nil)
	if err != nil {
		return nil, usageErrorf("--%s: %w", flagWebexURL, err)
	}
	log, ctx := logger(c), c.Context
	return func(b sbc.BindingChange) {
		err := rep.Report(ctx, webexapi.Registration{Registrar: b.Registrar, User: b.AuthUser, AOR: b.AOR, Contact: b.Contact, Expires: b.Expires})
		if err != nil {
			log.Warn("the Webex emulator did not take a registration", "error", err.Error())
		}
	}, nil
}

// emulatorExit maps an emulator's error to an exit code: failing to bind
// the address is fatal (3); anything else is bad input (2): an unreadable
// users, certificate or CA file.
func emulatorExit(err error) error {
	var op *net.OpError
	if errors.As(err, &op) {
		return withCode(exitFatal, err)
	}
	return withCode(exitUsage, err)
}
