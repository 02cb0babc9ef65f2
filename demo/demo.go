// Package demo runs cutover's main job end to end on the embedded default,
// with no network: it starts the Webex emulator (over HTTPS), two SBC
// emulators and an SRV DNS server in-process, migrates the fixture inventory
// (or N generated devices) into an ordinary run directory, renders and
// publishes every config there, certifies every device against the SBCs
// from its published config (taking the primary down half-way), and writes
// the three reports.
package demo

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sync"
	"time"

	"github.com/cutover-dev/cutover/certify"
	"github.com/cutover-dev/cutover/compose"
	"github.com/cutover-dev/cutover/fixtures"
	"github.com/cutover-dev/cutover/internal/atomicfile"
	"github.com/cutover-dev/cutover/migrate"
	"github.com/cutover-dev/cutover/migrate/inventory"
	"github.com/cutover-dev/cutover/render"
	"github.com/cutover-dev/cutover/reports"
	"github.com/cutover-dev/cutover/rundir"
	"github.com/cutover-dev/cutover/shard"
	"github.com/cutover-dev/cutover/simulator/device"
	"github.com/cutover-dev/cutover/simulator/dns"
	"github.com/cutover-dev/cutover/simulator/pki"
	"github.com/cutover-dev/cutover/simulator/sbc"
	"github.com/cutover-dev/cutover/simulator/webexapi"
	"github.com/cutover-dev/cutover/watch"
	"github.com/cutover-dev/cutover/webex"
	"golang.org/x/time/rate"
)

// Names of the lab the demo builds. The outbound proxy is the Webex
// emulator's, so the rendered configs point at the demo's SRV records.
const (
	SRVDomain = webexapi.DefaultOutboundProxy
	SBC1Host  = "sbc1.cutover.test"
	SBC2Host  = "sbc2.cutover.test"
	// CAFile is written into the run directory, so that `cutover certify
	// --run DIR --ca DIR/lab-ca.pem` can be run again against lab SBCs.
	CAFile = "lab-ca.pem"
	// InventoryFile is the copy of the inventory the run migrated.
	InventoryFile = "inventory.xlsx"
)

// Options configure a demo run.
type Options struct {
	// Dir is the run directory (created; the files of an earlier demo run
	// in it are replaced).
	Dir string
	// Devices, when positive, generates that many devices instead of using
	// the 60-device fixture.
	Devices int
	// Jobs bounds the devices migrated and certified at once (default 16).
	Jobs int
	// Progress receives the migration's step events; nil reports nowhere.
	Progress migrate.Progress
	// OnResult is called for every certification result (progress), and
	// CertifyBegin once before the first, with how many results to expect.
	OnResult     func(certify.Result)
	CertifyBegin func(results int)
	// WatchProgress receives the counts of each poll of Webex's view while
	// the certified fleet is registered; nil reports nowhere.
	WatchProgress watch.Progress
	// Logger receives diagnostics; silent by default.
	Logger *slog.Logger
	// ProvisioningURL is where the demo's devices would fetch their configs
	// (render.WithProvisioningURL); empty means DefaultProvisioningURL.
	ProvisioningURL string
	// Shard, when set, runs one shard of the inventory, as `cutover
	// migrate --shard` does: the lab's Webex holds the whole inventory's
	// people and workspaces, and only the shard's devices are migrated,
	// certified and watched. Each shard's run directory is its own; `cutover
	// report --run A --run B ...` (reports.GenerateRuns) merges them.
	Shard shard.Spec
}

// DefaultProvisioningURL is the demo's provisioning server: the configs
// name the lab CA published beside them by URLs under it.
const DefaultProvisioningURL = "https://provisioning.lab.test/cutover/"

// Summary is what a demo run did.
type Summary struct {
	Dir       string
	Inventory string
	Devices   int // devices in the plan
	Migrated  int // devices whose every step is done
	Failed    int // devices with a failed step
	Certified int // devices certified
	Cases     int // case results
	CasesFail int // failed case results
	CasesSkip int // skipped case results (e.g. what the vendor's documentation leaves undecided)
	Reports   reports.Paths
	Migration *migrate.Result

	// Failover and Failback are the fleet's times through the demo's live
	// outage (certify.Fleet).
	Failover, Failback certify.FleetPhase

	// Watch is what `cutover watch` saw of the fleet in Webex while the
	// certified devices were registered; WatchErr why it did not end with
	// every device connected (nil when it did).
	Watch    *watch.Result
	WatchErr error
}

// Passed reports whether every device migrated, every case passed, and
// Webex showed every device connected.
func (s *Summary) Passed() bool {
	return s.Migration != nil && s.Migration.OK() && s.CasesFail == 0 && s.Cases > 0 &&
		s.Watch != nil && s.WatchErr == nil && s.Watch.AllConnected()
}

// Run executes the demo. The error is for what stops the demo itself (a
// port it cannot bind, a directory it cannot write); failed devices and cases
// are in the Summary and the reports.
//
// Run lowers sipgo's process-wide read buffer per SIP connection to
// ReadBufferSize (see device.SetReadBufferSize), once per process, before
// its first connection, and runs with the garbage collector's target
// (GOGC) at 50, restored on return.
func Run(ctx context.Context, opts Options) (*Summary, error) {
	if opts.Dir == "" {
		return nil, errors.New("running demo: no run directory")
	}
	lowerReadBuffer.Do(func() { device.SetReadBufferSize(ReadBufferSize) })
	// The demo's heap is mostly the simulated fleet, alive for the whole
	// certification; the default GOGC lets garbage grow to as much again
	// on top of it. A tighter target costs little CPU next to the TLS
	// handshakes, and Run restores the setting when it returns.
	defer debug.SetGCPercent(debug.SetGCPercent(gcPercent))
	if opts.Jobs <= 0 {
		opts.Jobs = 16
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := resetRunDir(opts.Dir); err != nil {
		return nil, fmt.Errorf("running demo: %w", err)
	}
	sum := &Summary{Dir: opts.Dir}

	invPath, err := writeInventory(opts.Dir, opts.Devices)
	if err != nil {
		return nil, err
	}
	sum.Inventory = invPath
	inv, err := inventory.Read(invPath, inventory.Options{Rules: render.Rules{}})
	if err != nil {
		return nil, fmt.Errorf("running demo: %w", err)
	}
	if !inv.Valid() {
		return nil, fmt.Errorf("running demo: %s has %d problems, first: %s", invPath, len(inv.Problems), inv.Problems[0])
	}

	l, err := startLab(ctx, opts.Dir, inv.Devices, log)
	if err != nil {
		return nil, err
	}
	defer l.close()

	// Migrate: plan, provision, device info, render, publish.
	// The pieces the CLI's migrate --publish uses, composed the same way;
	// only the endpoints are the lab's.
	client, err := compose.Client(compose.ClientOptions{
		BaseURL: l.webexURL, Token: webex.StaticToken(l.emu.AdminToken()), HTTPClient: l.httpClient,
		Logger: log, Options: []webex.Option{webex.WithRate(rate.Inf, 0)},
	})
	if err != nil {
		return nil, fmt.Errorf("running demo: %w", err)
	}
	// The devices trust the lab CA the SBCs' certificates chain to, as a
	// partner's would trust IdenTrust: the configs install it (embedded, or
	// by its URL beside the configs) and certify checks that they do.
	provURL := opts.ProvisioningURL
	if provURL == "" {
		provURL = DefaultProvisioningURL
	}
	renderer, err := compose.Renderer("", render.WithProvisioningURL(provURL), render.WithTrustRoot(render.TrustRoot{
		Name: l.ca.Certificate().Subject.CommonName, File: CAFile, PEM: string(l.ca.CertPEM()),
	}))
	if err != nil {
		return nil, fmt.Errorf("running demo: %w", err)
	}
	configs := filepath.Join(opts.Dir, rundir.ConfigsDir)
	target, err := compose.Publisher(compose.PublisherOptions{Spec: "dir://" + configs, Source: configs, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("running demo: %w", err)
	}
	publishStep, stopPublishing := compose.PublishStep(target)
	defer stopPublishing()
	plan, res, err := migrate.Migrate(ctx, client, inv.Devices,
		migrate.PlanOptions{Source: invPath, Shard: opts.Shard, Logger: log},
		migrate.RunOptions{
			Dir: opts.Dir, Jobs: opts.Jobs, Progress: opts.Progress, Logger: log,
			ExtraSteps: []migrate.ExtraStep{compose.RenderStep(renderer), publishStep},
		})
	if err != nil {
		return nil, fmt.Errorf("running demo: migrating: %w", err)
	}
	sum.Devices, sum.Migration = len(plan.Devices), res
	sum.Migrated, sum.Failed = res.Done, res.Failed

	// Certify every migrated device from its published config, with the
	// primary SBC taken down half-way through and brought back; while the
	// fleet is registered, watch Webex's view of it until every device shows
	// connected, as `cutover watch` does on a cutover night.
	if err := l.certify(ctx, opts, sum, client); err != nil {
		return nil, err
	}
	// Phase boundary: the lab and the certification's thousands of devices
	// and connections are garbage now. Without a collection here the
	// report writer's allocations pile up on top of them until the heap
	// reaches the target the certification's live heap set (twice it),
	// which made writing the reports the demo's peak.
	l.close()
	runtime.GC()

	paths, err := reports.Generate(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("running demo: %w", err)
	}
	sum.Reports = paths
	return sum, nil
}

// ReadBufferSize is the read buffer each SIP connection of the demo gets.
// Every simulated device holds a TLS connection to an SBC for the whole
// certification (the fleet fails over and back together), and the SBC holds
// the other end in the same process: with sipgo's default of 32 KiB, the
// buffers of 5,000 devices, both ends, come to 320 MB, and more while the
// fleet moves between SBCs. sipgo's stream parser joins partial reads, so
// the buffer bounds only how much one read takes (a longer message takes
// two): at 2 KiB the buffers of 5,000 devices, both ends, come to 20 MB.
const ReadBufferSize = 2048

var lowerReadBuffer sync.Once

// DevicesPerSource is how many simulated devices the demo lets dial from
// one loopback address. Linux's default ephemeral range holds about 28,000
// ports towards one SBC address, every device of the fleet is connected to
// an SBC at once, and the connections a device closes (the wrong-password
// check, the failover's moves) keep their ports in TIME_WAIT for a minute.
const DevicesPerSource = 10_000

// sourceIPs is where the demo's n devices dial from: the kernel's choice
// (127.0.0.1) up to DevicesPerSource devices, else one loopback address per
// DevicesPerSource devices, 127.0.0.1 upwards (Linux answers on all of
// 127.0.0.0/8; other systems keep the kernel's choice).
func sourceIPs(n int) []net.IP {
	if n <= DevicesPerSource || runtime.GOOS != "linux" {
		return nil
	}
	k := (n + DevicesPerSource - 1) / DevicesPerSource
	ips := make([]net.IP, k)
	for i := range ips {
		ips[i] = net.IPv4(127, 0, byte((i+1)>>8), byte(i+1))
	}
	return ips
}

// gcPercent is the GOGC the demo runs with.
const gcPercent = 50

// runFiles are what a run directory holds. The demo's Webex lives in memory
// and is new each time, so a journal left by an earlier demo describes
// devices that no longer exist: the demo starts its directory afresh
// (removing only these names) instead of resuming.
var runFiles = []string{
	rundir.JournalFile, rundir.PlanFile, rundir.CatalogFile, rundir.SecretsFile, rundir.ResultsFile, rundir.InfoDir, rundir.ConfigsDir,
	rundir.HTMLFile, rundir.XLSXFile, rundir.JUnitFile, CAFile, InventoryFile,
}

func resetRunDir(dir string) error {
	for _, name := range runFiles {
		if err := os.RemoveAll(filepath.Join(dir, name)); err != nil {
			return err
		}
	}
	return os.MkdirAll(dir, rundir.ModeDir)
}

// writeInventory puts the inventory the demo migrates into the run
// directory: the fixture, or n generated devices.
func writeInventory(dir string, n int) (string, error) {
	path := filepath.Join(dir, InventoryFile)
	err := atomicfile.WriteFunc(path, rundir.ModeSecret, false, func(w io.Writer) error {
		if n > 0 {
			return fixtures.Generate(w, n, 1)
		}
		_, err := w.Write(fixtures.InventoryXLSX)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("writing demo inventory: %w", err)
	}
	return path, nil
}

// lab is the demo's stand-ins for what is outside: Webex, two SBCs, DNS.
type lab struct {
	ca         *pki.CA
	emu        *webexapi.Server
	web        *httptest.Server
	webexURL   string
	httpClient *http.Client
	sbc1, sbc2 *sbc.SBC
	dns        *dns.Server
	closers    []func()
}

// close stops the lab; it may be called again.
func (l *lab) close() {
	for i := len(l.closers) - 1; i >= 0; i-- {
		l.closers[i]()
	}
	l.closers = nil
}

// emulatorUsers lets the SBCs check digest credentials against the
// passwords the migration set in the Webex emulator, as the real SBCs do
// against Webex.
type emulatorUsers struct{ emu *webexapi.Server }

func (u emulatorUsers) Lookup(user string) (string, bool) { return u.emu.DevicePassword(user) }

func startLab(ctx context.Context, dir string, devs []inventory.Device, log *slog.Logger) (l *lab, err error) {
	l = &lab{}
	defer func() {
		if err != nil {
			l.close()
			err = fmt.Errorf("starting the demo lab: %w", err)
		}
	}()
	if l.ca, err = pki.NewCA("cutover demo lab CA"); err != nil {
		return nil, err
	}
	if err = l.ca.WriteCAFile(filepath.Join(dir, CAFile)); err != nil {
		return nil, err
	}

	seed := webexapi.DefaultSeed()
	seed.AddInventory(devs)
	// The request log is for inspecting a few requests; the counts cover
	// them all. The default keeps 200,000 entries.
	l.emu = webexapi.New(webexapi.WithSeed(seed), webexapi.WithLogger(log), webexapi.WithRequestLogLimit(1000))
	cert, err := l.ca.Issue([]string{"localhost"}, pki.WithIPs(net.IPv4(127, 0, 0, 1)))
	if err != nil {
		return nil, err
	}
	l.web = httptest.NewUnstartedServer(l.emu)
	l.web.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	l.web.StartTLS()
	l.closers = append(l.closers, l.web.Close)
	l.webexURL = l.web.URL + "/v1"
	l.httpClient = &http.Client{Transport: &http.Transport{
		TLSClientConfig:     &tls.Config{RootCAs: l.ca.Pool(), MinVersion: tls.VersionTLS12},
		MaxIdleConnsPerHost: 64,
	}}

	users := emulatorUsers{l.emu}
	for i, host := range []string{SBC1Host, SBC2Host} {
		s, err := sbc.New(sbc.WithCA(l.ca), sbc.WithHosts(host), sbc.WithUsers(users), sbc.WithLogger(log),
			sbc.WithBindingHook(l.reportBinding))
		if err != nil {
			return nil, err
		}
		if err := s.Start(ctx, "127.0.0.1:0"); err != nil {
			return nil, err
		}
		l.closers = append(l.closers, func() { s.Close() })
		if i == 0 {
			l.sbc1 = s
		} else {
			l.sbc2 = s
		}
	}
	p1, p2 := port(l.sbc1.Addr()), port(l.sbc2.Addr())
	l.dns, err = dns.Start(ctx, "127.0.0.1:0",
		dns.WithSRV("_sips._tcp."+SRVDomain, 10, 100, p1, SBC1Host),
		dns.WithSRV("_sips._tcp."+SRVDomain, 20, 100, p2, SBC2Host),
		dns.WithA(SBC1Host, "127.0.0.1"), dns.WithA(SBC2Host, "127.0.0.1"))
	if err != nil {
		return nil, err
	}
	l.closers = append(l.closers, func() { l.dns.Close() })
	return l, nil
}

// reportBinding tells the Webex emulator what an SBC's registrar did, as
// Webex's own SBCs feed a device's connectionStatus.
func (l *lab) reportBinding(b sbc.BindingChange) {
	l.emu.ObserveRegistration(webexapi.Registration{
		Registrar: b.Registrar, User: b.AuthUser, AOR: b.AOR, Contact: b.Contact, Expires: b.Expires,
	})
}

// Watch pacing in the demo: the fleet is registered already when watching
// starts, so the first poll normally ends it; the deadline bounds a demo in
// which some device could not register.
const (
	watchInterval = 250 * time.Millisecond
	watchTimeout  = 20 * time.Second
)

func port(addr string) uint16 {
	_, p, _ := net.SplitHostPort(addr)
	var n uint16
	fmt.Sscan(p, &n)
	return n
}

func (l *lab) certify(ctx context.Context, opts Options, sum *Summary, client *webex.Client) error {
	targets, err := certify.FromRunDir(opts.Dir)
	if err != nil {
		return fmt.Errorf("running demo: certifying: %w", err)
	}
	out, err := rundir.OpenResults(opts.Dir)
	if err != nil {
		return fmt.Errorf("running demo: certifying: %w", err)
	}
	defer out.Close()
	if opts.CertifyBegin != nil {
		opts.CertifyBegin(len(targets) * len(certify.AllCases))
	}
	copts, err := compose.Certify(compose.CertifyOptions{
		DNS:              l.dns.Addr(),
		ExtraRoots:       []*x509.Certificate{l.ca.Certificate()},
		Jobs:             opts.Jobs,
		Observer:         certify.Observers{l.sbc1, l.sbc2},
		FailbackInterval: 200 * time.Millisecond,
		PrimaryDown:      func(context.Context) error { return l.sbc1.SetFault(sbc.Fault{Down: true}) },
		PrimaryUp:        func(context.Context) error { return l.sbc1.SetFault(sbc.Fault{}) },
		Out:              out,
		OnResult:         opts.OnResult,
		Logger:           opts.Logger,
		SourceIPs:        sourceIPs(len(targets)),
	})
	if err != nil {
		return fmt.Errorf("running demo: certifying: %w", err)
	}
	copts.WhileRegistered = func(ctx context.Context) error {
		sum.Watch, sum.WatchErr = watch.Run(ctx, client, watch.Options{
			Dir: opts.Dir, Interval: watchInterval, Deadline: time.Now().Add(watchTimeout),
			Progress: opts.WatchProgress, Logger: opts.Logger,
		})
		if errors.Is(sum.WatchErr, watch.ErrDeadline) || errors.Is(sum.WatchErr, watch.ErrNoDevices) {
			return nil // in the Summary: the demo fails, certification goes on
		}
		return sum.WatchErr
	}
	results, err := certify.Run(ctx, targets, copts)
	if err != nil {
		return fmt.Errorf("running demo: certifying: %w", err)
	}
	sum.Certified = len(targets)
	sum.Cases = len(results)
	sum.Failover, sum.Failback = certify.Fleet(results)
	for _, r := range results {
		switch r.Outcome {
		case certify.Fail:
			sum.CasesFail++
		case certify.Skip:
			sum.CasesSkip++
		}
	}
	return nil
}
