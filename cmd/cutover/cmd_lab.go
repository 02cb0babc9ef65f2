package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/urfave/cli/v2"

	"github.com/cutover-dev/cutover/internal/atomicfile"
	"github.com/cutover-dev/cutover/migrate"
	"github.com/cutover-dev/cutover/simulator/lab"
	"github.com/cutover-dev/cutover/simulator/sbc"
)

func init() { register(newLabCommand) }

// Lab users file formats: the ones the lab code reads.
const (
	labFormatCSV      = "csv"      // user,password: emulate sbc --users (sbc.LoadUsers)
	labFormatJSON     = "json"     // {"user": "password"}: emulate sbc --users with a .json name
	labFormatKamailio = "kamailio" // the db_text subscriber table of a lab Kamailio
)

func newLabCommand() *cli.Command {
	return &cli.Command{
		Name:  "lab",
		Usage: "prepare a certification lab from a run directory",
		Subcommands: []*cli.Command{{
			Name:      "users",
			Usage:     "write the digest users (SIP user name and password) of a run's devices for a lab SBC",
			UsageText: "cutover lab users --run DIR --out FILE [--format csv|json|kamailio] [--realm REALM]",
			Description: "Reads each migrated device's SIP user name (DIR/info/<MAC>.json) and SIP password\n" +
				"(DIR/secrets.json, decrypted with CUTOVER_SECRET_KEY when it is encrypted) and writes them, mode\n" +
				"0600, as: csv (user,password) or json ({\"user\": \"password\"}), which `cutover emulate sbc --users`\n" +
				"reads; or kamailio, the db_text subscriber table of a lab Kamailio (its realm is --realm). Devices\n" +
				"without device info or password yet (not migrated) are left out and counted.\n\n" +
				"Example:\n   cutover lab users --run wave1 --out lab-users.csv\n" +
				"   cutover emulate sbc --listen 127.0.0.11:5061 --users lab-users.csv --ca-out lab-ca.pem",
			Flags: []cli.Flag{
				runDirFlag(),
				&cli.StringFlag{Name: "out", Required: true, Usage: "users `FILE` to write (0600: it holds SIP passwords)"},
				&cli.StringFlag{Name: flagFormat, Value: labFormatCSV, Usage: "`FORMAT`: csv, json or kamailio"},
				&cli.StringFlag{Name: "realm", Value: sbc.DefaultRealm, Usage: "digest `REALM` of the kamailio table"},
			},
			Action: func(c *cli.Context) error {
				if c.NArg() != 0 {
					return usageErrorf("lab users takes no arguments, got %q", c.Args().Slice())
				}
				return runLabUsers(c, c.String(flagRun), c.String("out"), c.String(flagFormat), c.String("realm"))
			},
		}},
	}
}

func runLabUsers(c *cli.Context, dir, out, format, realm string) error {
	switch format {
	case labFormatCSV, labFormatJSON, labFormatKamailio:
	default:
		return usageErrorf("--%s %q: expected csv, json or kamailio", flagFormat, format)
	}
	plan, err := migrate.ReadPlan(dir)
	if err != nil {
		return withCode(exitUsage, fmt.Errorf("%w (is %s a run directory? cutover migrate writes it)", err, dir))
	}
	secrets, err := migrate.OpenSecrets(dir)
	if err != nil {
		return withCode(exitUsage, err)
	}
	users := map[string]string{}
	missing := 0
	for _, pd := range plan.Devices {
		if pd.Action == migrate.ActionConflict || pd.Action == migrate.ActionInvalid {
			continue
		}
		info, ierr := migrate.ReadInfo(dir, pd.MAC)
		pw, ok := secrets.Get(pd.MAC)
		if ierr != nil || !ok || info.SIPUserName == "" {
			missing++
			continue
		}
		users[info.SIPUserName] = pw
	}
	if len(users) == 0 {
		return withCode(exitUsage, fmt.Errorf("%s: no migrated device with device info and a SIP password; run cutover migrate first", dir))
	}
	data, err := formatLabUsers(users, format, realm)
	if err != nil {
		return withCode(exitFatal, err)
	}
	if err := atomicfile.Write(out, data, 0o600, true); err != nil {
		return withCode(exitFatal, fmt.Errorf("writing lab users: %w", err))
	}
	fmt.Fprintf(c.App.Writer, "wrote %d users to %s (%s, 0600)", len(users), out, format)
	if missing > 0 {
		fmt.Fprintf(c.App.Writer, "; %d devices left out: not migrated yet", missing)
	}
	fmt.Fprintln(c.App.Writer)
	return nil
}

// formatLabUsers renders users in one of the formats the lab code reads.
func formatLabUsers(users map[string]string, format, realm string) ([]byte, error) {
	names := make([]string, 0, len(users))
	for u := range users {
		names = append(names, u)
	}
	sort.Strings(names)
	switch format {
	case labFormatJSON:
		b, err := json.MarshalIndent(users, "", "  ")
		return append(b, '\n'), err
	case labFormatKamailio:
		return lab.SubscriberTable(users, realm)
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write([]string{"user", "password"})
	for _, u := range names {
		_ = w.Write([]string{u, users[u]})
	}
	w.Flush()
	return b.Bytes(), w.Error()
}
