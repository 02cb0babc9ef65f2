package certify

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/cutover-dev/cutover/render"
	"github.com/cutover-dev/cutover/simulator/device"
	"github.com/emiago/sipgo/sip"
)

// subject is one device going through the plan.
type subject struct {
	r          *runner
	t          Target
	index      int
	reusedWith []string // MACs of other devices with the same password
	rnd        *rand.Rand

	dev        *device.Device
	targets    []device.Target
	targetsErr error
	regErr     error // why the device could not be registered, if it could not
	regFailed  bool  // the register case failed: the cases that need it are blocked
}

func (s *subject) close() {
	if s.dev != nil {
		_ = s.dev.Close()
	}
}

// roots is the trust store the device verifies the SBC against, as its
// config says: only the CAs it installs (CACustom), those beside the
// built-in list (CAAll: the run's store stands for the built-in list, as
// for CADefault), or the run's store when the config installs none that
// cutover could read. The run's store holds the IdenTrust roots and the
// --ca lab roots.
func (s *subject) roots() *x509.CertPool {
	reg := s.ownTrust()
	if reg == nil {
		return s.r.o.Roots
	}
	var pool *x509.CertPool
	if reg.CASet == render.CAAll {
		pool = s.r.o.Roots.Clone()
	} else {
		pool = x509.NewCertPool()
	}
	for _, c := range reg.TrustCerts {
		pool.AddCert(c)
	}
	return pool
}

// ownTrust is the device's registration when its config installs CAs that
// roots() builds its store from (CACustom or CAAll, certificates read),
// nil when the run's store applies.
func (s *subject) ownTrust() *render.Registration {
	reg := s.t.Registration
	if reg == nil || len(reg.TrustCerts) == 0 || (reg.CASet != render.CACustom && reg.CASet != render.CAAll) {
		return nil
	}
	return reg
}

// caSet names the CA set roots() builds, so that devices trusting the
// same certificates share one tls-chain probe per SBC target.
func (s *subject) caSet() string {
	reg := s.ownTrust()
	if reg == nil {
		return "the run's roots"
	}
	h := sha256.New()
	for _, c := range reg.TrustCerts {
		h.Write(c.Raw)
	}
	return fmt.Sprintf("%s %x", reg.CASet, h.Sum(nil))
}

func (s *subject) newDevice(cfg device.Config) (*device.Device, error) {
	o := s.r.o
	opts := []device.Option{
		device.WithRoots(s.roots()),
		device.WithTimeout(o.Timeout),
		device.WithLogger(o.Log),
		device.WithFailbackInterval(o.FailbackInterval),
		device.WithRand(rand.New(rand.NewPCG(s.rnd.Uint64(), s.rnd.Uint64()))),
	}
	if o.Resolver != nil {
		opts = append(opts, device.WithResolver(o.Resolver))
	}
	if s.targets != nil {
		opts = append(opts, device.WithTargets(s.targets))
	}
	if len(o.SourceIPs) > 0 {
		opts = append(opts, device.WithSourceIP(o.SourceIPs[s.index%len(o.SourceIPs)]))
	}
	opts = append(opts, o.DeviceOptions...)
	return device.New(cfg, opts...)
}

// verdict is a case's outcome before it becomes a Result.
type verdict struct {
	outcome Outcome
	reason  string
	remedy  string
	target  string
	timings map[string]float64
	outage  time.Time // Result.Outage
}

func pass(reason string) verdict { return verdict{outcome: Pass, reason: reason} }
func skip(reason string) verdict { return verdict{outcome: Skip, reason: reason} }
func fail(reason, remedy string) verdict {
	return verdict{outcome: Fail, reason: reason, remedy: remedy}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// do runs one case and records its result.
func (s *subject) do(ctx context.Context, name string, f func(ctx context.Context) verdict) {
	started := s.r.o.Now()
	t0 := time.Now()
	var v verdict
	if s.t.LoadErr != nil {
		v = fail(name+": no usable config: "+s.t.LoadErr.Error(),
			"publish the device's config (cutover migrate or cutover render) and certify again")
	} else if s.regFailed && NeedsRegister(name) {
		v = verdict{outcome: Blocked, reason: name + ": blocked: register failed on this device", remedy: "fix register first"}
	} else if sv, final := s.judgeConfig(name); final {
		v = sv
	} else {
		v = f(ctx)
		if why, fix, unknown := s.unknownFor(name); unknown && v.outcome == Pass {
			// What the config relies on is undocumented: never a pass. A
			// live outage's measurement still happened and stays.
			sk := skip(v.reason + "; but not certifiable from the config: " + why)
			sk.remedy = fix
			if !v.outage.IsZero() {
				sk.target, sk.timings, sk.outage = v.target, v.timings, v.outage
			}
			v = sk
		}
	}
	if ctx.Err() != nil && v.outcome != Pass && v.outcome != Blocked {
		// A device cut short in a live outage still took part: it counts
		// as not there (unless it got there first), not as absent.
		cut := fail(name+": interrupted", "run the certification again")
		if !v.outage.IsZero() {
			cut.timings, cut.outage = v.timings, v.outage
		}
		v = cut
	}
	if name == CaseRegister && v.outcome == Fail {
		s.regFailed = true
	}
	s.r.record(Result{
		MAC: s.t.MAC, Make: s.t.Make, Model: s.t.Model,
		Case: name, Outcome: v.outcome, Reason: v.reason, Remedy: v.remedy, Target: v.target,
		Started: started, DurationMS: time.Since(t0).Milliseconds(), Timings: v.timings, Outage: v.outage,
	})
}

func (s *subject) on(name string) bool { return s.r.cases[name] }

// perDevice runs every case that needs only this device.
func (s *subject) perDevice(ctx context.Context) {
	var dev *device.Device
	err := s.t.LoadErr
	if err == nil {
		dev, err = s.newDevice(s.t.Config)
	}
	if err != nil {
		for _, c := range AllCases {
			// Calls and unregistering have their own phases; so have live
			// failover and failback.
			later := c == CaseCall || c == CaseUnregister || (s.r.live && (c == CaseFailover || c == CaseFailback))
			if s.on(c) && !later {
				s.do(ctx, c, func(context.Context) verdict {
					return fail(c+": building the simulated device: "+err.Error(), "fix the device's published config (user, domain, password, SBC)")
				})
			}
		}
		return
	}
	s.dev = dev
	s.targets, s.targetsErr = dev.Targets(ctx)
	if s.targetsErr == nil {
		// Later devices built for this subject share the same order.
		s.dev.Close()
		if s.dev, err = s.newDevice(s.t.Config); err != nil {
			s.targetsErr = err
		}
	}
	steps := []struct {
		name string
		f    func(context.Context) verdict
	}{
		{CaseTLSVersion, s.tlsVersion},
		{CaseTLSChain, s.tlsChain},
		{CaseDNSSRV, s.dnsSRV},
		{CaseRegister, s.register},
		{CaseRegisterBadPassword, s.badPassword},
		{CaseReregister, s.reregister},
	}
	for _, st := range steps {
		if s.on(st.name) {
			s.do(ctx, st.name, st.f)
		}
	}
	if !s.r.live && (s.on(CaseFailover) || s.on(CaseFailback)) {
		s.simulatedFailover(ctx)
	}
	if s.on(CaseOptions) {
		s.do(ctx, CaseOptions, s.options)
	}
	if s.on(CaseUserAgent) {
		s.do(ctx, CaseUserAgent, s.userAgent)
	}
	if s.on(CasePasswordPolicy) {
		s.do(ctx, CasePasswordPolicy, s.passwordPolicy)
	}
	// Calls, the live outage and unregistering need the device registered,
	// on its primary when it can be.
	if s.on(CaseCall) || s.on(CaseUnregister) || (s.r.live && (s.on(CaseFailover) || s.on(CaseFailback))) {
		_ = s.ensureRegistered(ctx)
	}
}

// noTargets is the verdict when the device has no SBC to talk to.
func (s *subject) noTargets(name string) verdict {
	return fail(fmt.Sprintf("%s: no SBC target: %v", name, s.targetsErr),
		"publish _sips._tcp SRV records for the device's domain (and A records for their targets), or pass --sbc host:port")
}

func (s *subject) primary() device.Target { return s.targets[0] }

// ensureRegistered registers the device if it is not: on the primary first,
// then on any target.
func (s *subject) ensureRegistered(ctx context.Context) error {
	if s.targetsErr != nil {
		return s.targetsErr
	}
	if s.dev.Registration() != nil {
		return nil
	}
	if _, err := s.dev.RegisterOn(ctx, s.primary()); err == nil {
		return nil
	}
	_, err := s.dev.Register(ctx)
	s.regErr = err
	return err
}

// explain turns a device error into a reason and a remedy.
func explain(what string, err error, timeout time.Duration) (string, string) {
	var te *device.TargetError
	where := "the SBC"
	if errors.As(err, &te) {
		where = te.Target.String()
	}
	var se *device.StatusError
	switch {
	case errors.Is(err, context.Canceled):
		return what + ": interrupted", "run the certification again"
	case errors.Is(err, device.ErrAuthRejected):
		detail := ""
		if errors.As(err, &se) {
			detail = fmt.Sprintf(" (%d %s after digest credentials)", se.Code, se.Reason)
		}
		return fmt.Sprintf("%s: %s rejected the credentials%s", what, where, detail),
			"make the SIP password in the device's config match the one Webex holds (cutover migrate sets it), and check the auth user name"
	case errors.Is(err, device.ErrTimeout):
		return fmt.Sprintf("%s: %s did not answer within %s (per-target deadline)", what, where, fmtDur(timeout)),
			"check that the SBC is up and answers promptly on its TLS port; a device gives up on a slow SBC and fails over"
	case errors.Is(err, device.ErrTLSHandshake):
		if kind, p := device.CertIssue(err); p != "" {
			return fmt.Sprintf("%s: TLS with %s: %s", what, where, p), certRemedy(kind, hostOf(where))
		}
		return fmt.Sprintf("%s: TLS handshake with %s failed: %v", what, where, device.Cause(err)),
			"serve TLS 1.2 on the SBC's SIP TLS port (Webex Calling devices use TLS 1.2 only)"
	case errors.Is(err, device.ErrUnreachable):
		return fmt.Sprintf("%s: %s unreachable: %v", what, where, device.Cause(err)),
			"start the SBC, or open TCP to its SIP TLS port from the device network"
	case errors.As(err, &se):
		remedy := "check the SBC's registrar configuration for this user"
		if se.Code >= 500 {
			remedy = "the SBC refuses service (overload or maintenance); fix it, or rely on failover to the secondary"
		}
		return fmt.Sprintf("%s: %s answered %s with %d %s", what, where, se.Method, se.Code, se.Reason), remedy
	case errors.Is(err, device.ErrNoTargets):
		return fmt.Sprintf("%s: %v", what, err), "publish SRV records or pass --sbc host:port"
	}
	return fmt.Sprintf("%s: %v", what, err), "see the reason; run with --log-format json for details"
}

// certRemedy says what to do about a certificate problem of kind on host.
func certRemedy(kind, host string) string {
	switch kind {
	case device.CertHostname:
		return "install an SBC certificate whose subject alternative names include " + host + " (the SRV target the device connects to)"
	case device.CertExpired:
		return "renew the SBC certificate for " + host
	case device.CertUntrusted:
		return "use an SBC certificate that chains to the IdenTrust roots Webex devices trust (for a lab, pass its CA with --ca)"
	}
	return "install a valid SBC certificate for " + host + " that chains to the IdenTrust roots"
}

func hostOf(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return hostport
}

func fmtDur(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%.1f ms", ms(d))
	}
	return fmt.Sprintf("%.1f s", d.Seconds())
}

// probeTLS12 is a TLS 1.2 handshake with t, tried a second time when the
// SBC drops the connection mid-handshake (Kamailio does under a burst of
// handshakes), as a device would reconnect: a drop is not a refusal.
func probeTLS12(ctx context.Context, t device.Target, roots *x509.CertPool, verify bool, timeout time.Duration) (device.TLSInfo, error) {
	info, err := device.ProbeTLS(ctx, t, tls.VersionTLS12, tls.VersionTLS12, roots, verify, timeout)
	if err != nil && (errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)) && ctx.Err() == nil {
		info, err = device.ProbeTLS(ctx, t, tls.VersionTLS12, tls.VersionTLS12, roots, verify, timeout)
	}
	return info, err
}

func (s *subject) tlsVersion(ctx context.Context) verdict {
	if s.targetsErr != nil {
		return s.noTargets(CaseTLSVersion)
	}
	var (
		ok, problems, unreachable []string
		timings                   = map[string]float64{}
	)
	to := s.r.o.Timeout
	for i, t := range s.targets {
		start := time.Now()
		info, made, err := s.r.probes.probe(ctx, t, device.VersionName(tls.VersionTLS12), func() (device.TLSInfo, error) { return probeTLS12(ctx, t, nil, false, to) })
		if i == 0 && made {
			timings["handshake_tls12"] = ms(time.Since(start))
		}
		if errors.Is(err, device.ErrUnreachable) || errors.Is(err, device.ErrTimeout) {
			unreachable = append(unreachable, fmt.Sprintf("%s (%v)", t, device.Cause(err)))
			continue
		}
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s refused a TLS 1.2 handshake (%v)", t, device.Cause(err)))
		} else if info.Version != tls.VersionTLS12 {
			problems = append(problems, fmt.Sprintf("%s negotiated %s, not TLS 1.2", t, device.VersionName(info.Version)))
		}
		for _, v := range []uint16{tls.VersionTLS11, tls.VersionTLS13} {
			info, _, err := s.r.probes.probe(ctx, t, device.VersionName(v), func() (device.TLSInfo, error) { return device.ProbeTLS(ctx, t, v, v, nil, false, to) })
			if err == nil {
				problems = append(problems, fmt.Sprintf("%s accepted a %s-only handshake", t, device.VersionName(info.Version)))
			} else if !errors.Is(err, device.ErrTLSHandshake) {
				problems = append(problems, fmt.Sprintf("%s: %s-only probe inconclusive (%v)", t, device.VersionName(v), device.Cause(err)))
			}
		}
		if len(problems) == 0 {
			ok = append(ok, t.String())
		}
	}
	v := verdict{timings: timings}
	switch {
	case len(problems) > 0:
		v = fail("tls-version: "+strings.Join(problems, "; "),
			"configure the SBC's SIP TLS port for TLS 1.2 exactly (minimum and maximum 1.2)")
	case len(ok) == 0:
		v = fail("tls-version: no SBC target reachable: "+strings.Join(unreachable, "; "),
			"start the SBC, or open TCP to its SIP TLS port from the device network")
	default:
		reason := fmt.Sprintf("tls-version: TLS 1.2 negotiated with %s; TLS 1.1-only and TLS 1.3-only handshakes refused (each SBC target probed once per run)", strings.Join(ok, ", "))
		if len(unreachable) > 0 {
			reason += "; not checked (unreachable): " + strings.Join(unreachable, "; ")
		}
		v = pass(reason)
	}
	v.timings = timings
	v.target = s.targets[0].String()
	return v
}

func (s *subject) tlsChain(ctx context.Context) verdict {
	if s.targetsErr != nil {
		return s.noTargets(CaseTLSChain)
	}
	var ok, problems, unreachable []string
	var remedy string
	roots, set := s.roots(), s.caSet()
	for _, t := range s.targets {
		info, _, err := s.r.probes.probe(ctx, t, "verified by "+set, func() (device.TLSInfo, error) { return probeTLS12(ctx, t, roots, true, s.r.o.Timeout) })
		switch {
		case errors.Is(err, device.ErrUnreachable) || errors.Is(err, device.ErrTimeout):
			unreachable = append(unreachable, fmt.Sprintf("%s (%v)", t, device.Cause(err)))
		case err != nil:
			if kind, p := device.CertIssue(err); p != "" {
				problems = append(problems, fmt.Sprintf("%s: %s", t, p))
				remedy = certRemedy(kind, t.Host)
			} else {
				problems = append(problems, fmt.Sprintf("%s: TLS 1.2 handshake failed before the certificate could be checked (%v)", t, device.Cause(err)))
				if remedy == "" {
					remedy = "serve TLS 1.2 on the SBC so that its certificate can be verified"
				}
			}
		default:
			leaf := info.Chain[0]
			root := info.Verified[len(info.Verified)-1]
			ok = append(ok, fmt.Sprintf("%s: %q valid until %s, verified for %s to root %q",
				t, leaf.Subject.CommonName, leaf.NotAfter.UTC().Format("2006-01-02"), info.ServerName, root.Subject.CommonName))
		}
	}
	v := verdict{target: s.targets[0].String()}
	switch {
	case len(problems) > 0:
		v = fail("tls-chain: "+strings.Join(problems, "; "), remedy)
	case len(ok) == 0:
		v = fail("tls-chain: no SBC target reachable: "+strings.Join(unreachable, "; "),
			"start the SBC, or open TCP to its SIP TLS port from the device network")
	default:
		reason := "tls-chain: " + strings.Join(ok, "; ")
		if len(unreachable) > 0 {
			reason += "; not checked (unreachable): " + strings.Join(unreachable, "; ")
		}
		v = pass(reason)
	}
	v.target = s.targets[0].String()
	return v
}

func (s *subject) dnsSRV(ctx context.Context) verdict {
	cfg := s.t.Config
	if cfg.SRVDomain == "" {
		return skip("dns-srv: the SBC targets are explicit (" + strings.Join(cfg.Proxies, ", ") + "); no SRV lookup")
	}
	var r device.Resolver = net.DefaultResolver
	if s.r.o.Resolver != nil {
		r = s.r.o.Resolver
	}
	start := time.Now()
	targets, err := device.LookupSRV(ctx, r, cfg.SRVDomain, rand.New(rand.NewPCG(s.rnd.Uint64(), 0)))
	elapsed := time.Since(start)
	name := "_sips._tcp." + cfg.SRVDomain
	if err != nil {
		return fail(fmt.Sprintf("dns-srv: %v", err),
			"publish SRV records for "+name+" pointing at the SBCs' TLS ports, primary with the lowest priority")
	}
	var parts, bad []string
	for i, t := range targets {
		if i > 0 && t.Priority < targets[i-1].Priority {
			bad = append(bad, fmt.Sprintf("%s (priority %d) ordered after priority %d", t, t.Priority, targets[i-1].Priority))
		}
		if t.ResolveErr != nil {
			bad = append(bad, fmt.Sprintf("%s does not resolve (%v)", t, t.ResolveErr))
			continue
		}
		parts = append(parts, fmt.Sprintf("%s (priority %d, weight %d) -> %s", t, t.Priority, t.Weight, t.IP))
	}
	v := pass(fmt.Sprintf("dns-srv: %s answered %d targets in order: %s", name, len(targets), strings.Join(parts, "; ")))
	if len(bad) > 0 {
		v = fail("dns-srv: "+strings.Join(bad, "; "), "publish an A record for every SRV target of "+name)
	}
	v.timings = map[string]float64{"lookup": ms(elapsed)}
	v.target = targets[0].String()
	return v
}

func regTimings(reg *device.Registration) map[string]float64 {
	return map[string]float64{
		"connect":   ms(reg.Timings.Connect),
		"challenge": ms(reg.Timings.Challenge),
		"auth":      ms(reg.Timings.Auth),
		"register":  ms(reg.Timings.Total),
	}
}

func (s *subject) register(ctx context.Context) verdict {
	if s.targetsErr != nil {
		return s.noTargets(CaseRegister)
	}
	p := s.primary()
	reg, err := s.dev.RegisterOn(ctx, p)
	if err != nil {
		s.regErr = err
		reason, remedy := explain("register on the primary "+p.String(), err, s.r.o.Timeout)
		v := fail(reason, remedy)
		v.target = p.String()
		return v
	}
	asked := s.dev.Config().Expires
	v := verdict{target: p.String(), timings: regTimings(reg)}
	switch {
	case !reg.Challenged:
		v = fail(fmt.Sprintf("register: %s accepted REGISTER without a digest challenge", p),
			"require digest authentication (401 challenge) on REGISTER")
	case !reg.ContactEchoed:
		v = fail(fmt.Sprintf("register: %s answered 200 without listing the registered Contact %s", p, reg.Contact),
			"the registrar must return the current bindings in its 200 OK (RFC 3261 10.3)")
	case reg.Expires <= 0 || reg.Expires > asked:
		v = fail(fmt.Sprintf("register: %s granted Expires %d s for a request of %d s", p, int(reg.Expires.Seconds()), int(asked.Seconds())),
			"grant a positive registration interval no longer than the device asked for")
	default:
		v = pass(fmt.Sprintf("register: 401 challenge then 200 OK from %s over %s in %s; Contact %s bound for %d s",
			p, device.VersionName(reg.TLS.Version), fmtDur(reg.Timings.Total), reg.Contact, int(reg.Expires.Seconds())))
	}
	v.target = p.String()
	v.timings = regTimings(reg)
	return v
}

// landed is where the device is registered now, else its primary.
func (s *subject) landed() device.Target {
	if reg := s.dev.Registration(); reg != nil {
		return reg.Target
	}
	return s.primary()
}

func (s *subject) badPassword(ctx context.Context) verdict {
	if s.targetsErr != nil {
		return s.noTargets(CaseRegisterBadPassword)
	}
	cfg := s.t.Config
	cfg.Password += "-wrong"
	bad, err := s.newDevice(cfg)
	if err != nil {
		return fail("register-bad-password: "+err.Error(), "fix the device's config")
	}
	defer bad.Close()
	t := s.landed()
	start := time.Now()
	reg, err := bad.RegisterOn(ctx, t)
	v := verdict{target: t.String(), timings: map[string]float64{"rejection": ms(time.Since(start))}}
	switch {
	case err == nil:
		_, _ = bad.Unregister(ctx)
		v = fail(fmt.Sprintf("register-bad-password: %s accepted a REGISTER with a wrong password (%d s binding)", t, int(reg.Expires.Seconds())),
			"make the registrar check digest responses against the user's password")
	case errors.Is(err, device.ErrAuthRejected):
		var se *device.StatusError
		how := ""
		if errors.As(err, &se) {
			how = fmt.Sprintf(" with %d %s", se.Code, se.Reason)
			if se.Code == 401 || se.Code == 407 {
				how += " (a fresh challenge after credentials)"
			}
		}
		v = pass(fmt.Sprintf("register-bad-password: %s rejected a wrong password%s", t, how))
	default:
		reason, remedy := explain("register-bad-password: could not check", err, s.r.o.Timeout)
		v = fail(reason, remedy)
	}
	v.target = t.String()
	v.timings = map[string]float64{"rejection": ms(time.Since(start))}
	return v
}

func (s *subject) reregister(ctx context.Context) verdict {
	if err := s.ensureRegistered(ctx); err != nil {
		reason, remedy := explain("reregister: no registration to refresh", err, s.r.o.Timeout)
		return fail(reason, remedy)
	}
	before := s.dev.Registration()
	after, err := s.dev.Refresh(ctx)
	if err != nil {
		reason, remedy := explain("reregister: refreshing on "+before.Target.String(), err, s.r.o.Timeout)
		v := fail(reason, remedy)
		v.target = before.Target.String()
		return v
	}
	v := verdict{}
	due := device.RefreshDelay(before.Expires)
	switch {
	case after.Target.String() != before.Target.String():
		v = fail(fmt.Sprintf("reregister: the refresh left %s for %s", before.Target, after.Target),
			"the SBC stopped answering the refresh; check its stability")
	case after.CallID != before.CallID || after.CSeq <= before.CSeq:
		v = fail("reregister: the refresh did not keep the Call-ID and raise the CSeq", "simulator fault: report it")
	case !after.ContactEchoed:
		v = fail(fmt.Sprintf("reregister: %s answered the refresh without the Contact binding", after.Target),
			"the registrar must keep the binding on a refresh with the same Call-ID")
	default:
		v = pass(fmt.Sprintf("reregister: refreshed on %s with the same Call-ID, CSeq %d -> %d; granted %d s, refresh due after %d s (before expiry)",
			after.Target, before.CSeq, after.CSeq, int(after.Expires.Seconds()), int(due.Seconds())))
	}
	v.target = after.Target.String()
	v.timings = regTimings(after)
	return v
}

// simulatedFailover makes a second device of the same line treat the
// primary as unreachable: it must register on the next target within the
// limit (failover), then return to the primary when it is reachable again
// (failback).
func (s *subject) simulatedFailover(ctx context.Context) {
	if s.targetsErr != nil {
		for _, c := range []string{CaseFailover, CaseFailback} {
			if s.on(c) {
				s.do(ctx, c, func(context.Context) verdict { return s.noTargets(c) })
			}
		}
		return
	}
	if len(s.targets) < 2 {
		for _, c := range []string{CaseFailover, CaseFailback} {
			if s.on(c) {
				s.do(ctx, c, func(context.Context) verdict {
					return fail(c+": only one SBC target ("+s.targets[0].String()+"); failover needs a secondary",
						"publish a second SRV record (higher priority number) for the secondary SBC")
				})
			}
		}
		return
	}
	limit := s.r.o.FailoverLimit
	p := s.primary()
	fo, err := s.newDevice(s.t.Config)
	if err != nil {
		return
	}
	defer fo.Close()
	fo.SetDown(p.String(), true)
	var (
		reg *device.Registration
		// foErr stays set when the failover case fails on the config
		// alone and the device never tries.
		foErr   = errors.New("the failover was not attempted")
		elapsed time.Duration
	)
	run := func(ctx context.Context) verdict {
		start := time.Now()
		reg, foErr = fo.Register(ctx)
		elapsed = time.Since(start)
		if foErr != nil {
			reason, remedy := explain(fmt.Sprintf("failover: primary %s treated as down; no secondary accepted", p), foErr, s.r.o.Timeout)
			return fail(reason, remedy)
		}
		v := pass(fmt.Sprintf("failover: primary %s treated as down; secondary %s answered after %s (limit %s)",
			p, reg.Target, fmtDur(elapsed), fmtDur(limit)))
		if elapsed > limit {
			v = fail(fmt.Sprintf("failover: secondary %s answered after %s, limit %s", reg.Target, fmtDur(elapsed), fmtDur(limit)),
				"lower the SBC's answer time or the SRV targets' count; a device must reach the secondary within the limit")
		}
		v.target = reg.Target.String()
		v.timings = map[string]float64{"failover": ms(elapsed)}
		return v
	}
	if s.on(CaseFailover) {
		s.do(ctx, CaseFailover, run)
	} else {
		run(ctx)
	}
	if !s.on(CaseFailback) {
		if reg != nil {
			_, _ = fo.Unregister(ctx)
		}
		return
	}
	s.do(ctx, CaseFailback, func(ctx context.Context) verdict {
		if foErr != nil {
			return verdict{outcome: Blocked, reason: "failback: blocked: the device never failed over, so it cannot fail back", remedy: "fix failover first"}
		}
		fo.SetDown(p.String(), false)
		start := time.Now()
		moved, back, err := fo.FailbackProbe(ctx)
		elapsed := time.Since(start)
		var v verdict
		switch {
		case err != nil:
			reason, remedy := explain(fmt.Sprintf("failback: primary %s reachable again but did not accept the device", p), err, s.r.o.Timeout)
			v = fail(reason, remedy)
			v.target = reg.Target.String()
		case !moved || back.Target.String() != p.String():
			v = fail(fmt.Sprintf("failback: the device stayed on %s", reg.Target), "simulator fault: report it")
		default:
			v = pass(fmt.Sprintf("failback: primary %s back; the device re-registered there after %s and left %s",
				p, fmtDur(elapsed), reg.Target))
			v.target = p.String()
			_, _ = fo.Unregister(ctx)
		}
		v.timings = map[string]float64{"failback": ms(elapsed)}
		return v
	})
}

func (s *subject) options(ctx context.Context) verdict {
	if err := s.ensureRegistered(ctx); err != nil {
		reason, remedy := explain("options: not registered", err, s.r.o.Timeout)
		return fail(reason, remedy)
	}
	ex, err := s.dev.Options(ctx)
	if err != nil {
		reason, remedy := explain("options: OPTIONS keepalive", err, s.r.o.Timeout)
		return fail(reason, remedy)
	}
	v := verdict{target: ex.Target.String()}
	rtt, perr := s.dev.PingCRLF(ctx)
	switch {
	case ex.Code >= 500:
		v = fail(fmt.Sprintf("options: %s answered OPTIONS with %d %s", ex.Target, ex.Code, ex.Reason),
			"answer OPTIONS keepalives from registered devices")
	case perr != nil:
		reason, remedy := explain(fmt.Sprintf("options: OPTIONS answered %d %s but the CRLF keepalive got no pong", ex.Code, ex.Reason), perr, s.r.o.Timeout)
		v = fail(reason, remedy+"; answer RFC 5626 double-CRLF pings with a CRLF")
	default:
		v = pass(fmt.Sprintf("options: %s answered OPTIONS with %d %s in %s; CRLF keepalive answered in %s",
			ex.Target, ex.Code, ex.Reason, fmtDur(ex.RTT), fmtDur(rtt)))
	}
	v.target = ex.Target.String()
	v.timings = map[string]float64{"options": ms(ex.RTT), "crlf": ms(rtt)}
	return v
}

func (s *subject) userAgent(ctx context.Context) verdict {
	mk, md := s.t.Make, s.t.Model
	if mk == "" || md == "" {
		return fail(fmt.Sprintf("user-agent: the device's make (%q) or model (%q) is unknown", mk, md),
			"fill in make and model in the inventory")
	}
	if err := s.ensureRegistered(ctx); err != nil {
		reason, remedy := explain("user-agent: not registered", err, s.r.o.Timeout)
		return fail(reason, remedy)
	}
	seen, where := "", ""
	if s.r.o.Observer != nil {
		if ua, ok := s.r.o.Observer.LastUserAgent(s.t.Config.User); ok {
			seen, where = ua, "the SBC saw"
		}
	}
	if where == "" {
		if req := s.dev.LastRequest(); req != nil {
			if h := req.GetHeader("User-Agent"); h != nil {
				seen = h.Value()
			}
		}
		where = "the REGISTER carried"
	}
	v := pass(fmt.Sprintf("user-agent: %s User-Agent %q (make %s, model %s)", where, seen, mk, md))
	if !containsFold(seen, mk) || !containsFold(seen, md) {
		v = fail(fmt.Sprintf("user-agent: %s User-Agent %q, which lacks the make %q or model %q", where, seen, mk, md),
			"the device must send its make and model in User-Agent")
	}
	v.target = s.landed().String()
	return v
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

func (s *subject) passwordPolicy(context.Context) verdict {
	if err := s.r.o.CheckPassword(s.t.Config.Password); err != nil {
		return fail("password-policy: "+err.Error(),
			"give the device a password of at least 8 characters with upper case, lower case, digits and special characters (leave sip_password empty to have one generated)")
	}
	if len(s.reusedWith) > 0 {
		return fail(fmt.Sprintf("password-policy: the SIP password is shared with %d other device(s): %s",
			len(s.reusedWith), strings.Join(s.reusedWith, ", ")),
			"give every device its own SIP password")
	}
	return pass("password-policy: meets the policy (length, upper, lower, digit, special) and is used by no other device of this run")
}

// calls has every device call the next one (a ring) through the SBC.
func (r *runner) calls(ctx context.Context, subjects []*subject) error {
	if len(subjects) < 2 {
		for _, s := range subjects {
			s.do(ctx, CaseCall, func(context.Context) verdict {
				return skip("call: a call needs two devices; certify at least two")
			})
		}
		return nil
	}
	return r.each(ctx, subjects, func(ctx context.Context, s *subject) {
		callee := subjects[(s.index+1)%len(subjects)]
		s.do(ctx, CaseCall, func(ctx context.Context) verdict { return s.call(ctx, callee) })
	})
}

func (s *subject) call(ctx context.Context, callee *subject) verdict {
	if s.dev == nil || s.dev.Registration() == nil {
		err := s.regErr
		if err == nil {
			err = s.targetsErr
		}
		if err == nil {
			err = device.ErrNotRegistered
		}
		reason, remedy := explain("call: the caller is not registered", err, s.r.o.Timeout)
		return fail(reason, remedy)
	}
	if callee.dev == nil || callee.dev.Registration() == nil {
		return skip(fmt.Sprintf("call: the callee %s is not registered", callee.t.MAC))
	}
	to := sip.Uri{Scheme: "sip", User: callee.t.Config.User, Host: callee.t.Config.Domain}
	via := s.dev.Registration().Target.String()
	call, err := s.dev.Call(ctx, to)
	if errors.Is(err, device.ErrCallNotRouted) {
		return skip(fmt.Sprintf("call: %s does not route calls between devices (%v)", via, device.Cause(err)))
	}
	if err != nil {
		reason, remedy := explain("call: INVITE to "+to.String(), err, s.r.o.Timeout)
		return fail(reason, remedy)
	}
	wait, cancel := context.WithTimeout(ctx, 4*s.r.o.Timeout)
	defer cancel()
	v := verdict{target: via, timings: map[string]float64{"setup": ms(call.Setup)}}
	if _, err := callee.dev.WaitIncoming(wait, call.CallID, false); err != nil {
		_ = call.Hangup(ctx)
		v2 := fail(fmt.Sprintf("call: %s answered, but the callee %s never received the ACK through %s", to.String(), callee.t.MAC, via),
			"the SBC must relay in-dialog requests (ACK, BYE) to the callee (Record-Route)")
		v2.target, v2.timings = v.target, v.timings
		return v2
	}
	start := time.Now()
	if err := call.Hangup(ctx); err != nil {
		reason, remedy := explain("call: BYE", err, s.r.o.Timeout)
		v2 := fail(reason, remedy)
		v2.target, v2.timings = v.target, v.timings
		return v2
	}
	v.timings["bye"] = ms(time.Since(start))
	if _, err := callee.dev.WaitIncoming(wait, call.CallID, true); err != nil {
		v2 := fail(fmt.Sprintf("call: the BYE was answered but never reached the callee %s", callee.t.MAC),
			"the SBC must relay BYE to the callee")
		v2.target, v2.timings = v.target, v.timings
		return v2
	}
	v2 := pass(fmt.Sprintf("call: INVITE to %s answered 200 in %s through %s; ACK and BYE reached the callee %s",
		to.String(), fmtDur(call.Setup), via, callee.t.MAC))
	v2.target, v2.timings = v.target, v.timings
	return v2
}

func (s *subject) unregister(ctx context.Context) {
	s.do(ctx, CaseUnregister, func(ctx context.Context) verdict {
		if s.dev == nil {
			return s.noTargets(CaseUnregister)
		}
		if err := s.ensureRegistered(ctx); err != nil {
			reason, remedy := explain("unregister: not registered", err, s.r.o.Timeout)
			return fail(reason, remedy)
		}
		reg, err := s.dev.Unregister(ctx)
		if err != nil {
			reason, remedy := explain("unregister: REGISTER with Expires: 0", err, s.r.o.Timeout)
			return fail(reason, remedy)
		}
		v := pass(fmt.Sprintf("unregister: %s removed the binding (Expires: 0 answered 200 in %s)", reg.Target, fmtDur(reg.Timings.Total)))
		if reg.ContactEchoed {
			v = fail(fmt.Sprintf("unregister: %s answered 200 but still lists the Contact %s", reg.Target, reg.Contact),
				"remove a binding on REGISTER with Expires: 0")
		}
		v.target = reg.Target.String()
		v.timings = map[string]float64{"unregister": ms(reg.Timings.Total)}
		return v
	})
}
