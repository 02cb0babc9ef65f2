package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os/exec"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/cutover-dev/cutover/certify"
	"github.com/cutover-dev/cutover/compose"
	"github.com/cutover-dev/cutover/migrate"
	"github.com/cutover-dev/cutover/reports"
	"github.com/cutover-dev/cutover/rundir"
	"github.com/cutover-dev/cutover/shard"
	"github.com/cutover-dev/cutover/simulator/device"
)

func init() {
	register(newCertifyCommand)
	// sipgo logs connection bookkeeping ("TCP ref went negative" when a
	// simulated device closes) through its process-wide default logger,
	// which is slog's default on stderr; none of it means anything to a
	// user. Set once here, before any goroutine can read it.
	device.SetSIPLogger(slog.New(slog.DiscardHandler))
}

// Flag names of cutover certify (prefixed: other commands define their own).
const (
	certFlagRun           = "run"
	certFlagInventory     = "inventory"
	certFlagOut           = "out"
	certFlagSBC           = "sbc"
	certFlagCA            = "ca"
	certFlagDNS           = "dns"
	certFlagCases         = "cases"
	certFlagSample        = "sample"
	certFlagJobs          = "jobs"
	certFlagTimeout       = "timeout"
	certFlagFailoverLimit = "failover-limit"
	certFlagPrimaryDown   = "primary-down"
	certFlagPrimaryUp     = "primary-up"
	certFlagSourceIP      = "source-ip"
	certDefaultOut        = "certify-results"
	certResultsFile       = rundir.ResultsFile
	certMaxCausesShown    = 10
)

type certifyOptions struct {
	runDir, inventory, outDir string
	sbc, caFile, dns          string
	cases                     []string
	sample, jobs              int
	timeout, failoverLimit    time.Duration
	primaryDown, primaryUp    string
	only                      []string
	shard                     shard.Spec
	sourceIPs                 []net.IP
}

func newCertifyCommand() *cli.Command {
	return &cli.Command{
		Name:  "certify",
		Usage: "run the certification test plan with simulated devices against the SBCs",
		UsageText: "cutover certify (--run DIR [--sbc SPEC] | --inventory FILE --sbc SPEC) [--ca FILE] [--dns ADDR] [--cases LIST]\n" +
			"   [--only MACS] [--shard K/N] [--sample N] [--jobs N] [--timeout DUR] [--failover-limit DUR] [--primary-down CMD --primary-up CMD] [--source-ip ADDRS] [--out DIR]",
		Description: "Builds one simulated SIP device per device, from the configs a migration published\n" +
			"(--run DIR: DIR/configs read back, make and model from DIR/plan.json) or from a lab\n" +
			"inventory (--inventory FILE with mac, make, model, sip_user, sip_password, domain), and runs\n" +
			"the plan: " + strings.Join(certify.AllCases, ", ") + ".\n" +
			"With --run each device does what its config says, as its vendor's firmware reads it: it\n" +
			"follows the config's own outbound proxy (transport, DNS mode, TLS versions, verification),\n" +
			"and each case also judges the config against Webex's requirements, naming the parameter,\n" +
			"its file and line, and the documented value. A device without a config fails with why.\n" +
			"--sbc replaces every device's proxy (a lab override; required with --inventory): SPEC is an\n" +
			"SRV domain (looked up as _sips._tcp.SPEC) or host:port[,host:port] in failover order.\n" +
			"The SBC certificate must chain to the embedded IdenTrust roots; --ca adds lab roots (PEM),\n" +
			"which configs may also install in their place. --only certifies just these MACs; --shard K/N\n" +
			"just the devices of that shard (a shard's run directory holds only its own already).\n" +
			"--dns sends every DNS query to one server (a lab DNS). With --primary-down and --primary-up\n" +
			"(shell commands that stop and start the primary SBC) failover and failback are tested live on\n" +
			"the whole fleet; without them each device treats the primary as unreachable by itself.\n" +
			"--source-ip spreads the devices' connections over these local addresses (one address has\n" +
			"about 28,000 ports towards one SBC address: a bigger fleet registered at once needs more).\n" +
			"Results are appended to DIR/certify.jsonl (with --inventory: --out DIR, default ./certify-results).\n" +
			"Exit status: 0 every case passed or was skipped, 1 some case failed, 2 bad usage or unreadable input.\n\n" +
			"Example:\n   cutover certify --inventory lab.csv --sbc sbc.lab.example --dns 127.0.0.1:5353 --ca lab-ca.pem \\\n" +
			"      --primary-down 'kill $(cat /run/kam1.pid)' --primary-up 'kamailio -f kam1.cfg -P /run/kam1.pid'",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: certFlagRun, Usage: "migration run `DIR` whose published configs are certified"},
			&cli.StringFlag{Name: certFlagInventory, Usage: "lab inventory `FILE` (.xlsx or .csv) to certify without a migration"},
			&cli.StringFlag{Name: certFlagOut, Usage: "results `DIR` with --inventory (default ./" + certDefaultOut + ")"},
			&cli.StringFlag{Name: certFlagSBC, Usage: "lab override of every device's proxy: an SRV `SPEC` domain or host:port[,host:port]"},
			&cli.StringFlag{Name: certFlagCA, Usage: "PEM `FILE` of extra trusted root certificates (lab CA)"},
			&cli.StringFlag{Name: certFlagDNS, Usage: "send DNS queries to this server `ADDR` (host:port)"},
			&cli.StringFlag{Name: certFlagCases, Usage: "comma-separated `LIST` of cases (default: all)"},
			onlyFlag(), certifyShardFlag(),
			&cli.IntFlag{Name: certFlagSample, Usage: "certify a random sample of `N` devices (0: all)"},
			&cli.IntFlag{Name: certFlagJobs, Value: certify.DefaultJobs, Usage: "devices certified at once"},
			&cli.DurationFlag{Name: certFlagTimeout, Value: device.DefaultTimeout, Usage: "per-SBC deadline of each SIP step"},
			&cli.DurationFlag{Name: certFlagFailoverLimit, Value: certify.DefaultFailoverLimit, Usage: "how long a device may take to reach the secondary"},
			&cli.StringFlag{Name: certFlagPrimaryDown, Usage: "shell `CMD` that stops the primary SBC (live failover)"},
			&cli.StringFlag{Name: certFlagPrimaryUp, Usage: "shell `CMD` that starts the primary SBC again (live failback)"},
			&cli.StringFlag{Name: certFlagSourceIP, Usage: "comma-separated local IP `ADDRS` the devices dial from, in turn (default: the system's choice)"},
		},
		Action: func(c *cli.Context) error {
			o, err := parseCertifyFlags(c)
			if err != nil {
				return err
			}
			return runCertify(c, o)
		},
	}
}

func parseCertifyFlags(c *cli.Context) (certifyOptions, error) {
	o := certifyOptions{
		runDir: c.String(certFlagRun), inventory: c.String(certFlagInventory), outDir: c.String(certFlagOut),
		sbc: strings.TrimSpace(c.String(certFlagSBC)), caFile: c.String(certFlagCA), dns: c.String(certFlagDNS),
		sample: c.Int(certFlagSample), jobs: c.Int(certFlagJobs),
		timeout: c.Duration(certFlagTimeout), failoverLimit: c.Duration(certFlagFailoverLimit),
		primaryDown: c.String(certFlagPrimaryDown), primaryUp: c.String(certFlagPrimaryUp),
	}
	if c.NArg() > 0 {
		return o, usageErrorf("certify takes no arguments, got %q", c.Args().Slice())
	}
	switch {
	case o.runDir == "" && o.inventory == "":
		return o, usageErrorf("certify needs --run DIR or --inventory FILE")
	case o.runDir != "" && o.inventory != "":
		return o, usageErrorf("--run and --inventory exclude each other")
	case o.sbc == "" && o.inventory != "":
		return o, usageErrorf("certify --inventory needs --sbc SPEC: an SRV domain or host:port[,host:port]")
	case o.sample < 0:
		return o, usageErrorf("--sample %d: expected 0 (all devices) or more", o.sample)
	case o.jobs < 1:
		return o, usageErrorf("--jobs %d: expected 1 or more", o.jobs)
	case o.timeout <= 0 || o.failoverLimit <= 0:
		return o, usageErrorf("--timeout and --failover-limit must be positive")
	case o.runDir != "" && o.outDir != "":
		return o, usageErrorf("--out goes with --inventory; with --run the results go to DIR/%s", certResultsFile)
	case (o.primaryDown == "") != (o.primaryUp == ""):
		return o, usageErrorf("--primary-down and --primary-up go together")
	}
	only, err := parseMACList(c.String(flagOnly))
	if err != nil {
		return o, err
	}
	o.only = only
	if o.shard, err = parseShard(c); err != nil {
		return o, err
	}
	cases, err := certify.ParseCases(c.String(certFlagCases))
	if err != nil {
		return o, usageErrorf("--cases: %v", err)
	}
	o.cases = cases
	if o.sourceIPs, err = parseSourceIPs(c.String(certFlagSourceIP)); err != nil {
		return o, err
	}
	if o.runDir == "" && o.outDir == "" {
		o.outDir = certDefaultOut
	}
	if o.runDir != "" {
		o.outDir = o.runDir
	}
	return o, nil
}

func runCertify(c *cli.Context, o certifyOptions) error {
	ctx := c.Context
	log := logger(c)

	var targets []certify.Target
	var err error
	if o.runDir != "" {
		targets, err = certify.FromRunDir(o.runDir)
	} else {
		targets, err = certify.FromInventory(o.inventory)
	}
	if err != nil {
		return withCode(exitUsage, err)
	}
	if targets, err = shardTargets(o.runDir, o.shard, targets); err != nil {
		return withCode(exitUsage, err)
	}
	var extra []*x509.Certificate
	if o.caFile != "" {
		if extra, err = device.ReadCertificates(o.caFile); err != nil {
			return withCode(exitUsage, err)
		}
	}
	comp := compose.CertifyOptions{
		SBC: o.sbc, ExtraRoots: extra, DNS: o.dns, Only: o.only, Cases: o.cases, Sample: o.sample, Jobs: o.jobs,
		Timeout: o.timeout, FailoverLimit: o.failoverLimit, Logger: log, SourceIPs: o.sourceIPs,
	}
	if o.primaryDown != "" {
		comp.PrimaryDown, comp.PrimaryUp = shellCommand(o.primaryDown), shellCommand(o.primaryUp)
	}
	opts, err := compose.Certify(comp)
	if err != nil {
		return withCode(exitUsage, err)
	}
	// Results and reports are written under the directory's lock: a
	// migrate still running there would otherwise race the reports.
	lock, err := rundir.Acquire(o.outDir)
	if err != nil {
		return withCode(exitFatal, err)
	}
	defer lock.Release()
	resultsPath := rundir.Path(o.outDir, rundir.ResultsFile)
	f, err := rundir.OpenResults(o.outDir)
	if err != nil {
		return withCode(exitFatal, err)
	}
	defer f.Close()
	opts.Out = f
	n := len(targets)
	if len(o.only) > 0 {
		n = len(o.only)
	}
	if o.sample > 0 && o.sample < n {
		n = o.sample
	}
	if !c.Bool(flagQuiet) {
		against := o.sbc
		if against == "" {
			against = "each config's own outbound proxy"
		}
		fmt.Fprintf(c.App.ErrWriter, "certifying %d device(s) against %s: %s\n", n, against, strings.Join(o.cases, ", "))
	}
	bar := newCertifyProgress(c, n*len(o.cases))
	opts.OnResult = bar.result
	results, err := certify.Run(ctx, targets, opts)
	bar.end()
	if err != nil && errors.Is(err, certify.ErrNotTargeted) {
		return withCode(exitUsage, err)
	}
	if cerr := f.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("writing %s: %w", resultsPath, cerr)
	}
	printCertifySummary(c.App.Writer, results, resultsPath)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return err
		}
		return withCode(exitFatal, err)
	}
	if err := writeRunReports(c, o.outDir); err != nil {
		return err
	}
	if certify.Failed(results) {
		return fmt.Errorf("certification: %w", errSomeFailed)
	}
	return nil
}

// shardTargets keeps the targets of shard s. A run directory planned for
// one shard is certified as that shard: another --shard there is refused,
// since it would select devices the directory does not hold.
func shardTargets(runDir string, s shard.Spec, targets []certify.Target) ([]certify.Target, error) {
	if s.All() {
		return targets, nil
	}
	if runDir != "" {
		if p, err := migrate.ReadPlan(runDir); err == nil && p.Shard != "" && p.Shard != s.String() {
			return nil, fmt.Errorf("--%s %s: %w: %s holds shard %s", flagShard, s, migrate.ErrShardMismatch, runDir, p.Shard)
		}
	}
	kept := targets[:0:0]
	for _, t := range targets {
		if s.Has(t.MAC) {
			kept = append(kept, t)
		}
	}
	return kept, nil
}

// shellCommand runs cmd with sh -c; its output goes into the error when it fails.
func shellCommand(cmd string) func(context.Context) error {
	return func(ctx context.Context) error {
		var out bytes.Buffer
		c := exec.CommandContext(ctx, "sh", "-c", cmd)
		c.Stdout, c.Stderr = &out, &out
		if err := c.Run(); err != nil {
			msg := strings.TrimSpace(out.String())
			if len(msg) > 400 {
				msg = msg[len(msg)-400:]
			}
			if msg != "" {
				return fmt.Errorf("running %q: %w: %s", cmd, err, msg)
			}
			return fmt.Errorf("running %q: %w", cmd, err)
		}
		return nil
	}
}

// printCertifySummary prints one line per case, then the verdict and the
// causes to fix, ranked, as the reports group them.
func printCertifySummary(w io.Writer, results []certify.Result, path string) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CASE\tPASS\tFAIL\tBLOCKED\tSKIP")
	for _, s := range certify.Summarize(results) {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\n", s.Case, s.Passed, s.Failed, s.Blocked, s.Skipped)
	}
	tw.Flush()
	d := reports.Build(nil, nil, results, time.Now())
	if l := reports.FleetLine(d.FleetFailover, d.FleetFailback); l != "" {
		fmt.Fprintln(w, l)
	}
	fmt.Fprintln(w)
	// A cause may quote an SBC's reason phrase: a hostile SBC must not
	// drive the terminal.
	for _, l := range reports.CauseLines(d, certMaxCausesShown) {
		fmt.Fprintln(w, terminalSafe(l))
	}
	fmt.Fprintf(w, "\nresults appended to %s\n", path)
}

// parseSourceIPs reads --source-ip: IP addresses this machine can dial from
// (each is bound once here, so that a typo fails now, not on every device).
func parseSourceIPs(s string) ([]net.IP, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []net.IP
	for i, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		ip := net.ParseIP(item)
		if ip == nil {
			return nil, usageErrorf("--%s: item %d %q: expected an IP address", certFlagSourceIP, i+1, item)
		}
		ln, err := net.Listen("tcp", net.JoinHostPort(ip.String(), "0"))
		if err != nil {
			return nil, usageErrorf("--%s: item %d %s: not an address of this machine (%v)", certFlagSourceIP, i+1, ip, err)
		}
		ln.Close()
		out = append(out, ip)
	}
	return out, nil
}
