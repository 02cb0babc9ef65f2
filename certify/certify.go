package certify

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/cutover-dev/cutover/migrate/inventory"
	"github.com/cutover-dev/cutover/render"
	"github.com/cutover-dev/cutover/simulator/device"
	"golang.org/x/sync/errgroup"
)

// Target is one device under certification: who it is and the config it
// registers with.
type Target struct {
	MAC    string
	Make   string
	Model  string
	Config device.Config
	// Registration is the device's config as its firmware reads it (from
	// a run directory); the cases judge it against Webex's requirements
	// besides testing the behaviour. Nil for a lab inventory device.
	Registration *render.Registration
	// Source names the config file, for reasons.
	Source string
	// LoadErr is why the device has no usable config: every case fails
	// with it, and the run goes on with the other devices.
	LoadErr error
	// ConfigsDir is the directory the config was published from (a run's
	// DIR/configs), where a CA the config downloads by URL must be too;
	// Provisioning is the run's record of the URL the configs are served
	// under (zero when the run has none). Both are set by FromRunDir.
	ConfigsDir   string
	Provisioning render.Provisioning
}

// UserAgentObserver is an SBC that can say which User-Agent a user last
// registered with (the SBC emulator can); without one the user-agent case
// checks the request the simulator sent.
type UserAgentObserver interface {
	LastUserAgent(user string) (string, bool)
}

// Observers is a UserAgentObserver over several SBCs (a primary and its
// failover peers): the device may have registered with any of them.
type Observers []UserAgentObserver

// LastUserAgent asks each observer in order and returns the first answer.
func (o Observers) LastUserAgent(user string) (string, bool) {
	for _, s := range o {
		if ua, ok := s.LastUserAgent(user); ok {
			return ua, true
		}
	}
	return "", false
}

// Options control a certification run.
type Options struct {
	// SBC is an SRV domain (looked up as _sips._tcp.SBC) or an explicit
	// "host:port[,host:port]" list in failover order. Empty keeps each
	// device's own config.
	SBC string
	// Resolver answers the SRV and A queries (device.NewResolver for --dns);
	// net.DefaultResolver when nil.
	Resolver device.Resolver
	// Roots is the trust store (device.TrustStore(lab roots...)); the
	// embedded IdenTrust roots when nil.
	Roots *x509.CertPool
	// TrustRoots are the CA names a config may install for the SBC (the
	// embedded IdenTrust roots when empty; a lab adds its CA's name).
	TrustRoots []string
	// TrustCerts are those CAs themselves: a CA a config downloads from
	// beside the configs must be one of them, byte for byte (the embedded
	// IdenTrust roots when empty).
	TrustCerts []*x509.Certificate
	// Only certifies just these devices (MACs as in Target.MAC); every MAC
	// must be among the targets.
	Only []string
	// Cases to run (AllCases when empty); unknown names are an error.
	Cases []string
	// Sample certifies a random sample of N devices (all when 0).
	Sample int
	// Jobs bounds how many devices are certified at once (default 8).
	Jobs int
	// Timeout is the per-target deadline of each SIP step (device.DefaultTimeout).
	Timeout time.Duration
	// FailoverLimit bounds how long a device may take to register on the
	// next SBC once the primary is gone (default 32 s, Timer F).
	FailoverLimit time.Duration
	// FailbackLimit bounds how long a device may take to return to the
	// primary once it is back (default 60 s); FailbackInterval is how often
	// it probes (default 1 s).
	FailbackLimit    time.Duration
	FailbackInterval time.Duration
	// PrimaryDown and PrimaryUp stop and restart the primary SBC (lab
	// commands). With both set, failover and failback are tested live on
	// the whole fleet; otherwise each device treats the primary as
	// unreachable on its own.
	PrimaryDown func(ctx context.Context) error
	PrimaryUp   func(ctx context.Context) error
	// WhileRegistered, when set, is called once after the calls and the
	// live failover and failback, before the unregister phase: every device
	// that registered is registered then (the demo has Webex's view of the
	// fleet watched at that moment). Its error ends the run.
	WhileRegistered func(ctx context.Context) error
	// Observer, when set, is asked what User-Agent the SBC saw.
	Observer UserAgentObserver
	// CheckPassword judges a SIP password against the policy (inventory.CheckPassword by default).
	CheckPassword func(string) error
	// Out receives every Result as one JSON line as soon as it is known
	// (DIR/certify.jsonl); OnResult is called likewise (progress).
	Out      io.Writer
	OnResult func(Result)
	// Log receives the run's diagnostics; silent by default.
	Log *slog.Logger
	// Rand drives sampling and the SRV weighted draw (tests).
	Rand *rand.Rand
	// Now is the clock of Result.Started (time.Now by default).
	Now func() time.Time
	// DeviceOptions are added to every simulated device (tests).
	DeviceOptions []device.Option
	// SourceIPs, when set, are the local addresses the simulated devices
	// dial from, the i-th device of the run from SourceIPs[i mod len]: a
	// fleet registered at once needs more ephemeral ports towards one SBC
	// than one address has (device.WithSourceIP).
	SourceIPs []net.IP
}

// Defaults.
const (
	DefaultJobs             = 8
	DefaultFailoverLimit    = 32 * time.Second
	DefaultFailbackLimit    = 60 * time.Second
	DefaultFailbackInterval = time.Second
)

// ErrNotTargeted is returned for an Options.Only MAC that is not among the
// devices to certify.
var ErrNotTargeted = errors.New("not among the devices to certify")

// ErrUnknownCase is returned for a case name not in AllCases.
var ErrUnknownCase = errors.New("unknown case")

// ParseCases reads a comma-separated case list ("" or "all" is every case).
func ParseCases(list string) ([]string, error) {
	list = strings.TrimSpace(list)
	if list == "" || list == "all" {
		return slices.Clone(AllCases), nil
	}
	var out []string
	for c := range strings.SplitSeq(list, ",") {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		if !slices.Contains(AllCases, c) {
			return nil, fmt.Errorf("%w %q: expected some of %s", ErrUnknownCase, c, strings.Join(AllCases, ", "))
		}
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no case in %q", list)
	}
	return out, nil
}

// Run certifies devices: every selected case on every (sampled) device, with
// at most Jobs devices at once. A failed case is recorded and the run goes
// on; the error is only for what stops the whole run (bad options, the SBC
// spec unreadable, a failing sink, ctx cancelled). Results come back in
// device order then case order, and are streamed to Out as they are known.
func Run(ctx context.Context, targets []Target, opts Options) ([]Result, error) {
	r, err := newRunner(targets, opts)
	if err != nil {
		return nil, err
	}
	return r.run(ctx)
}

type runner struct {
	o       Options
	cases   map[string]bool
	targets []Target
	live    bool // failover/failback through PrimaryDown/PrimaryUp
	// probes: the SBCs' answers to the tls-version and tls-chain probes,
	// once per run, target and question.
	probes sbcProbes

	mu      sync.Mutex
	results []Result
	sinkErr error
}

func newRunner(targets []Target, o Options) (*runner, error) {
	if o.Jobs <= 0 {
		o.Jobs = DefaultJobs
	}
	if o.Timeout <= 0 {
		o.Timeout = device.DefaultTimeout
	}
	if o.FailoverLimit <= 0 {
		o.FailoverLimit = DefaultFailoverLimit
	}
	if o.FailbackLimit <= 0 {
		o.FailbackLimit = DefaultFailbackLimit
	}
	if o.FailbackInterval <= 0 {
		o.FailbackInterval = DefaultFailbackInterval
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.CheckPassword == nil {
		o.CheckPassword = inventory.CheckPassword
	}
	if o.Rand == nil {
		o.Rand = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	if o.Roots == nil {
		o.Roots = device.TrustStore()
	}
	if len(o.TrustRoots) == 0 {
		o.TrustRoots = defaultTrustRoots()
	}
	if len(o.TrustCerts) == 0 {
		o.TrustCerts = device.EmbeddedRoots()
	}
	if (o.PrimaryDown == nil) != (o.PrimaryUp == nil) {
		return nil, errors.New("certifying: primary-down and primary-up commands go together")
	}
	if o.Sample < 0 {
		return nil, fmt.Errorf("certifying: sample %d: expected 0 (all) or more", o.Sample)
	}
	list := o.Cases
	if len(list) == 0 {
		list = AllCases
	}
	cases := map[string]bool{}
	for _, c := range list {
		if !slices.Contains(AllCases, c) {
			return nil, fmt.Errorf("certifying: %w %q", ErrUnknownCase, c)
		}
		cases[c] = true
	}
	if len(targets) == 0 {
		return nil, errors.New("certifying: no devices")
	}
	ts := slices.Clone(targets)
	if len(o.Only) > 0 {
		var kept []Target
		var missing []string
		for _, mac := range o.Only {
			i := slices.IndexFunc(ts, func(t Target) bool { return t.MAC == mac })
			if i < 0 {
				missing = append(missing, mac)
				continue
			}
			kept = append(kept, ts[i])
		}
		if len(missing) > 0 {
			return nil, fmt.Errorf("certifying: %w: %s", ErrNotTargeted, strings.Join(missing, ", "))
		}
		ts = kept
	}
	for i := range ts {
		if o.SBC != "" {
			if isHostList(o.SBC) {
				ts[i].Config.SRVDomain = ""
				ts[i].Config.Proxies = strings.Split(o.SBC, ",")
			} else {
				ts[i].Config.SRVDomain = o.SBC
				ts[i].Config.Proxies = nil
			}
		}
		if ts[i].Config.MAC == "" {
			ts[i].Config.MAC = ts[i].MAC
		}
		if ts[i].Config.Make == "" {
			ts[i].Config.Make = ts[i].Make
		}
		if ts[i].Config.Model == "" {
			ts[i].Config.Model = ts[i].Model
		}
	}
	if o.Sample > 0 && o.Sample < len(ts) {
		idx := o.Rand.Perm(len(ts))[:o.Sample]
		sort.Ints(idx)
		sampled := make([]Target, 0, o.Sample)
		for _, i := range idx {
			sampled = append(sampled, ts[i])
		}
		ts = sampled
	}
	return &runner{o: o, cases: cases, targets: ts, live: o.PrimaryDown != nil}, nil
}

// isHostList tells "host:port[,host:port]" from an SRV domain.
func isHostList(spec string) bool { return strings.ContainsAny(spec, ":,") }

func (r *runner) run(ctx context.Context) ([]Result, error) {
	subjects := make([]*subject, len(r.targets))
	reused := reusedPasswords(r.targets)
	for i, t := range r.targets {
		var others []string
		for _, mac := range reused[t.Config.Password] {
			if mac != t.MAC {
				others = append(others, mac)
			}
		}
		subjects[i] = &subject{r: r, t: t, index: i, reusedWith: others,
			rnd: rand.New(rand.NewPCG(r.o.Rand.Uint64(), r.o.Rand.Uint64()))}
	}
	defer func() {
		for _, s := range subjects {
			s.close()
		}
	}()

	// Phase 1: every per-device case, devices in parallel.
	if err := r.each(ctx, subjects, func(ctx context.Context, s *subject) { s.perDevice(ctx) }); err != nil {
		return r.sorted(), err
	}
	// Phase 2: calls between pairs of devices.
	if r.cases[CaseCall] {
		if err := r.calls(ctx, subjects); err != nil {
			return r.sorted(), err
		}
	}
	// Phase 3: live failover and failback of the whole fleet.
	if r.live && (r.cases[CaseFailover] || r.cases[CaseFailback]) {
		if err := r.liveFailover(ctx, subjects); err != nil {
			return r.sorted(), err
		}
	}
	if r.o.WhileRegistered != nil {
		if err := r.o.WhileRegistered(ctx); err != nil {
			return r.sorted(), err
		}
	}
	// Phase 4: unregister.
	if r.cases[CaseUnregister] {
		if err := r.each(ctx, subjects, func(ctx context.Context, s *subject) { s.unregister(ctx) }); err != nil {
			return r.sorted(), err
		}
	}
	r.mu.Lock()
	err := r.sinkErr
	r.mu.Unlock()
	return r.sorted(), err
}

// each runs f on every subject with at most Jobs at once.
func (r *runner) each(ctx context.Context, subjects []*subject, f func(context.Context, *subject)) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(r.o.Jobs)
	for _, s := range subjects {
		g.Go(func() error {
			if gctx.Err() != nil {
				return gctx.Err()
			}
			f(gctx, s)
			r.mu.Lock()
			err := r.sinkErr
			r.mu.Unlock()
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return ctx.Err()
}

// record keeps a result and streams it.
func (r *runner) record(res Result) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.results = append(r.results, res)
	if r.o.Out != nil && r.sinkErr == nil {
		b, err := json.Marshal(res)
		if err == nil {
			b = append(b, '\n')
			_, err = r.o.Out.Write(b)
		}
		if err != nil {
			r.sinkErr = fmt.Errorf("writing certification result: %w", err)
		}
	}
	if r.o.OnResult != nil {
		r.o.OnResult(res)
	}
}

func (r *runner) sorted() []Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	order := map[string]int{}
	for i, t := range r.targets {
		order[t.MAC] = i
	}
	out := slices.Clone(r.results)
	sort.SliceStable(out, func(i, j int) bool {
		if order[out[i].MAC] != order[out[j].MAC] {
			return order[out[i].MAC] < order[out[j].MAC]
		}
		return slices.Index(AllCases, out[i].Case) < slices.Index(AllCases, out[j].Case)
	})
	return out
}

// Summary counts outcomes per case.
type Summary struct {
	Case                    string
	Passed, Failed, Skipped int
	Blocked                 int
}

// Summarize counts results per case, in AllCases order (cases with no result left out).
func Summarize(results []Result) []Summary {
	by := map[string]*Summary{}
	for _, res := range results {
		s := by[res.Case]
		if s == nil {
			s = &Summary{Case: res.Case}
			by[res.Case] = s
		}
		switch res.Outcome {
		case Pass:
			s.Passed++
		case Fail:
			s.Failed++
		case Skip:
			s.Skipped++
		case Blocked:
			s.Blocked++
		}
	}
	var out []Summary
	for _, c := range AllCases {
		if s := by[c]; s != nil {
			out = append(out, *s)
		}
	}
	return out
}

// Failed reports whether any result failed.
func Failed(results []Result) bool {
	return slices.ContainsFunc(results, func(r Result) bool { return r.Outcome == Fail })
}
