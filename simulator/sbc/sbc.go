// Package sbc is a registrar/SBC emulator on sipgo: the far end that
// cutover's device simulator registers with in tests, demos and lab dry
// runs. It speaks SIP over TLS 1.2 only, challenges REGISTER with digest
// (MD5, qop=auth), keeps bindings with expiry, answers OPTIONS, routes
// calls between registered devices over their own TLS connections, and
// injects faults on demand (down, 503, slow, TLS 1.3 only, wrong host or
// expired certificate) so that failover and certification checks meet real
// failures.
//
// It is built for load: bindings are sharded, nonces are stateless HMACs,
// and counters are atomic, so thousands of devices can register at once
// without a global lock on the hot path. sipgo's timers (sip.SetTimers) and
// read buffer size (sip.TransportBufferReadSize) are process-wide; this
// package changes neither. A process holding thousands of connections
// should lower the read buffer before any connection opens: with 4 KiB
// instead of the default 32 KiB, BenchmarkSBCIdleConnections measured
// 19 KiB per connection (server and client) instead of 48 KiB.
package sbc

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/cutover-dev/cutover/internal/siplog"
	"github.com/cutover-dev/cutover/simulator/pki"
)

// Defaults.
const (
	DefaultRealm            = "cutover.lab"
	DefaultMinExpires       = 60 * time.Second
	DefaultMaxExpires       = time.Hour
	DefaultExpires          = time.Hour
	DefaultNonceTTL         = 5 * time.Minute
	DefaultHandshakeTimeout = 10 * time.Second
	// WrongHostName is the host name on the certificate of the
	// WrongHostCert fault.
	WrongHostName = "wrong-host.invalid"
)

// ErrClosed is returned by operations on a closed SBC.
var ErrClosed = errors.New("sbc closed")

// SBC is the emulator. Create it with New, then Start it.
type SBC struct {
	// Settings, fixed after New.
	log              *slog.Logger
	cert             *tls.Certificate
	ca               *pki.CA
	hosts            []string
	wrongCert        *tls.Certificate
	expiredCert      *tls.Certificate
	users            Users
	realm            string
	rejectStatus     int
	registerProxy    bool
	callAuth         bool
	minExp, maxExp   time.Duration
	defExp           time.Duration
	handshakeTimeout time.Duration
	serverHeader     string
	now              func() time.Time
	initialFault     Fault
	onBinding        func(BindingChange)

	nonces nonceIssuer
	opaque string

	ua     *sipgo.UserAgent
	srv    *sipgo.Server
	client *sipgo.Client

	fault atomic.Pointer[Fault]
	cfgs  tlsConfigs
	reg   *registry
	calls *callTable
	stats counters

	mu      sync.Mutex // guards the listener state below
	addr    string
	ln      *tlsListener
	conns   map[*trackedConn]struct{}
	started bool
	closed  bool
	done    chan struct{}
	wg      sync.WaitGroup
}

// Option configures an SBC.
type Option func(*SBC) error

// WithCertificate sets the server certificate (chain and key).
func WithCertificate(cert tls.Certificate) Option {
	return func(s *SBC) error {
		if len(cert.Certificate) == 0 || cert.PrivateKey == nil {
			return errors.New("certificate without chain or private key")
		}
		s.cert = &cert
		return nil
	}
}

// WithCA lets the SBC issue its own certificates from ca: the server
// certificate when WithCertificate is absent (for WithHosts names, or the
// listen address), and the WrongHostCert and ExpiredCert fault
// certificates, which then chain to the same trusted root and fail only on
// host name or validity.
func WithCA(ca *pki.CA) Option {
	return func(s *SBC) error {
		if ca == nil {
			return errors.New("nil CA")
		}
		s.ca = ca
		return nil
	}
}

// WithHosts sets the names (or IPs) of a certificate issued through WithCA.
func WithHosts(hosts ...string) Option {
	return func(s *SBC) error {
		s.hosts = append(s.hosts, hosts...)
		return nil
	}
}

// WithFaultCertificates sets the certificates the WrongHostCert and
// ExpiredCert faults present, instead of issuing them from WithCA.
func WithFaultCertificates(wrongHost, expired tls.Certificate) Option {
	return func(s *SBC) error {
		s.wrongCert, s.expiredCert = &wrongHost, &expired
		return nil
	}
}

// WithUsers sets the digest user source. Without it every REGISTER fails
// authentication.
func WithUsers(u Users) Option {
	return func(s *SBC) error {
		if u == nil {
			return errors.New("nil users")
		}
		s.users = u
		return nil
	}
}

// WithRealm sets the digest realm (default DefaultRealm).
func WithRealm(realm string) Option {
	return func(s *SBC) error {
		if realm == "" {
			return errors.New("empty realm")
		}
		s.realm = realm
		return nil
	}
}

// WithWrongPasswordStatus sets the answer to wrong credentials: 403
// Forbidden (the default) or 401, a fresh challenge, as Kamailio does.
func WithWrongPasswordStatus(code int) Option {
	return func(s *SBC) error {
		if code != sip.StatusForbidden && code != sip.StatusUnauthorized {
			return fmt.Errorf("wrong-password status %d: expected 401 or 403", code)
		}
		s.rejectStatus = code
		return nil
	}
}

// WithProxyAuth challenges REGISTER with 407 Proxy-Authenticate instead of
// 401 WWW-Authenticate.
func WithProxyAuth() Option {
	return func(s *SBC) error { s.registerProxy = true; return nil }
}

// WithCallAuth challenges INVITE from devices with 407, as a real SBC does;
// by default an INVITE is routed without a challenge.
func WithCallAuth() Option {
	return func(s *SBC) error { s.callAuth = true; return nil }
}

// WithExpires sets the accepted registration interval: a requested expiry
// is raised to min and lowered to max (as Kamailio's registrar does), and
// def applies when the REGISTER asks for none.
func WithExpires(min, max, def time.Duration) Option {
	return func(s *SBC) error {
		if min <= 0 || max < min || def < min || def > max {
			return fmt.Errorf("expires range min %s max %s default %s: need 0 < min <= default <= max", min, max, def)
		}
		s.minExp, s.maxExp, s.defExp = min, max, def
		return nil
	}
}

// WithNonceTTL sets how long a challenge's nonce is accepted.
func WithNonceTTL(d time.Duration) Option {
	return func(s *SBC) error {
		if d <= 0 {
			return errors.New("non-positive nonce TTL")
		}
		s.nonces.ttl = d
		return nil
	}
}

// WithHandshakeTimeout bounds a TLS handshake; a client that connects and
// stays silent is dropped after it.
func WithHandshakeTimeout(d time.Duration) Option {
	return func(s *SBC) error {
		if d <= 0 {
			return errors.New("non-positive handshake timeout")
		}
		s.handshakeTimeout = d
		return nil
	}
}

// WithLogger sets the logger (default: discard). Passwords never reach it.
func WithLogger(l *slog.Logger) Option {
	return func(s *SBC) error {
		if l != nil {
			s.log = l
		}
		return nil
	}
}

// WithClock replaces time.Now for binding expiry and nonce age (tests).
func WithClock(now func() time.Time) Option {
	return func(s *SBC) error { s.now = now; return nil }
}

// WithFault starts the SBC with a fault already injected.
func WithFault(f Fault) Option {
	return func(s *SBC) error { s.initialFault = f; return nil }
}

// BindingChange is one binding an authenticated REGISTER made, refreshed
// or removed, or one the SBC dropped by going down. A zero Expires says the
// binding is gone; Contact "*" removes every binding of the AOR.
type BindingChange struct {
	Registrar string    // the SBC's bound address (Addr)
	AuthUser  string    // the digest user name that registered it
	AOR       string    // the To URI
	Contact   string    // the Contact URI, or "*"
	Expires   time.Time // zero: removed
}

// WithBindingHook calls f, synchronously and never under the SBC's locks,
// for every binding change an authenticated REGISTER makes (a REGISTER with
// wrong credentials changes nothing and calls nothing) and for every
// binding dropped when the SBC goes down or closes. The demo links its SBCs
// to the Webex emulator's connectionStatus through it, as Webex's own SBCs
// feed its device status. Expiry is not reported: the binding carries its
// Expires, so a listener that no refresh reaches can tell it has lapsed.
func WithBindingHook(f func(BindingChange)) Option {
	return func(s *SBC) error { s.onBinding = f; return nil }
}

// WithServerHeader sets the Server header of responses (default "cutover-sbc").
func WithServerHeader(v string) Option {
	return func(s *SBC) error { s.serverHeader = v; return nil }
}

// New builds an SBC. It needs a certificate: WithCertificate or WithCA.
func New(opts ...Option) (*SBC, error) {
	s := &SBC{
		log:              slog.New(slog.DiscardHandler),
		users:            StaticUsers{},
		realm:            DefaultRealm,
		rejectStatus:     sip.StatusForbidden,
		minExp:           DefaultMinExpires,
		maxExp:           DefaultMaxExpires,
		defExp:           DefaultExpires,
		handshakeTimeout: DefaultHandshakeTimeout,
		serverHeader:     "cutover-sbc",
		now:              time.Now,
		nonces:           nonceIssuer{ttl: DefaultNonceTTL},
		reg:              newRegistry(),
		calls:            newCallTable(),
		conns:            make(map[*trackedConn]struct{}),
		done:             make(chan struct{}),
	}
	for _, o := range opts {
		if err := o(s); err != nil {
			return nil, fmt.Errorf("configuring SBC: %w", err)
		}
	}
	if s.cert == nil && s.ca == nil {
		return nil, errors.New("configuring SBC: no certificate: use WithCertificate or WithCA")
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("configuring SBC: nonce key: %w", err)
	}
	s.nonces.key = key
	op := make([]byte, 8)
	if _, err := rand.Read(op); err != nil {
		return nil, fmt.Errorf("configuring SBC: opaque: %w", err)
	}
	s.opaque = hex.EncodeToString(op)
	f := s.initialFault
	s.fault.Store(&f)
	return s, nil
}

// Start listens for SIP over TLS on addr (host:port; port 0 picks one) and
// serves in the background until Close or until ctx is done. It returns
// once the listener is bound; Addr then gives the bound address.
func (s *SBC) Start(ctx context.Context, addr string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if s.started {
		return errors.New("starting SBC: already started")
	}
	raw, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("starting SBC on %s: %w", addr, err)
	}
	bound := raw.Addr().(*net.TCPAddr)
	if err := s.prepareTLS(bound.IP.String()); err != nil {
		raw.Close()
		return fmt.Errorf("starting SBC on %s: %w", addr, err)
	}
	if f := s.fault.Load(); (f.WrongHostCert && s.cfgs.wrongHost == nil) || (f.ExpiredCert && s.cfgs.expired == nil) {
		raw.Close()
		return fmt.Errorf("starting SBC on %s: fault %s needs a fault certificate: use WithCA or WithFaultCertificates", addr, f)
	}
	if err := s.buildUA(bound); err != nil {
		raw.Close()
		return fmt.Errorf("starting SBC on %s: %w", addr, err)
	}
	s.addr = bound.String()
	s.started = true
	if s.fault.Load().Down {
		raw.Close()
	} else {
		s.serve(raw)
	}
	s.wg.Add(1)
	go s.sweepLoop()
	go func() {
		select {
		case <-ctx.Done():
			s.Close()
		case <-s.done:
		}
	}()
	s.log.Info("SBC listening", "addr", s.addr, "realm", s.realm, "fault", s.fault.Load().String())
	return nil
}

// ListenAndServe is Start followed by waiting for ctx; it returns nil when
// ctx ends the serving.
func (s *SBC) ListenAndServe(ctx context.Context, addr string) error {
	if err := s.Start(ctx, addr); err != nil {
		return err
	}
	select {
	case <-ctx.Done():
	case <-s.done:
	}
	return s.Close()
}

func (s *SBC) buildUA(bound *net.TCPAddr) error {
	sipLog := siplog.ErrorsOnly(s.log)
	tpOpts := []sip.TransportLayerOption{sip.WithTransportLayerLogger(sipLog)}
	ua, err := sipgo.NewUA(
		sipgo.WithUserAgent(s.serverHeader),
		sipgo.WithUserAgentHostname(bound.IP.String()),
		// The SBC only reuses devices' connections; should it ever dial,
		// it speaks TLS 1.2 like everything else here.
		sipgo.WithUserAgenTLSConfig(&tls.Config{MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS12}),
		sipgo.WithUserAgentTransportLayerOptions(tpOpts...),
		sipgo.WithUserAgentTransactionLayerOptions(
			sip.WithTransactionLayerLogger(sipLog),
			sip.WithTransactionLayerTerminateOnConnClose(),
		),
	)
	if err != nil {
		return fmt.Errorf("creating user agent: %w", err)
	}
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(s.log))
	if err != nil {
		ua.Close()
		return fmt.Errorf("creating server: %w", err)
	}
	client, err := sipgo.NewClient(ua,
		sipgo.WithClientLogger(s.log),
		sipgo.WithClientHostname(bound.IP.String()),
		sipgo.WithClientPort(bound.Port),
	)
	if err != nil {
		ua.Close()
		return fmt.Errorf("creating client: %w", err)
	}
	srv.OnRegister(s.onRegister)
	srv.OnOptions(s.onOptions)
	srv.OnInvite(s.onInvite)
	srv.OnAck(s.onAck)
	srv.OnBye(s.onInDialog)
	srv.OnCancel(s.onCancel)
	srv.OnNoRoute(s.onOther)
	s.ua, s.srv, s.client = ua, srv, client
	return nil
}

// serve starts serving on a fresh raw listener. Caller holds s.mu.
func (s *SBC) serve(raw net.Listener) {
	ln := newTLSListener(raw, s)
	s.ln = ln
	go func() {
		// ServeTLS returns when the listener closes (Down or Close).
		_ = s.srv.ServeTLS(ln)
	}()
}

// Addr is the bound host:port; empty before Start.
func (s *SBC) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// Realm is the digest realm.
func (s *SBC) Realm() string { return s.realm }

// Fault returns the faults injected now.
func (s *SBC) Fault() Fault { return *s.fault.Load() }

// SetFault switches the injected faults at once. Setting Down closes the
// listener and every connection (bindings are lost, as on a restart);
// clearing it listens again on the same address. TLS faults apply to new
// handshakes; open connections are left alone unless Down is set too.
func (s *SBC) SetFault(f Fault) error {
	if f.WrongHostCert && f.ExpiredCert {
		return errors.New("setting fault: wrong-host and expired cannot be combined")
	}
	dropped, err := s.setFault(f)
	if dropped != nil {
		s.reportDropped(dropped)
	}
	return err
}

// setFault is SetFault under s.mu; it returns the bindings going down dropped.
func (s *SBC) setFault(f Fault) ([]Binding, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	if s.started && ((f.WrongHostCert && s.cfgs.wrongHost == nil) || (f.ExpiredCert && s.cfgs.expired == nil)) {
		return nil, fmt.Errorf("setting fault %s: no fault certificate: use WithCA or WithFaultCertificates", f)
	}
	prev := s.fault.Load()
	s.fault.Store(&f)
	if !s.started {
		return nil, nil
	}
	var dropped []Binding
	switch {
	case f.Down && !prev.Down:
		dropped = s.goDown()
	case !f.Down && prev.Down:
		raw, err := net.Listen("tcp", s.addr)
		if err != nil {
			s.fault.Store(prev)
			return nil, fmt.Errorf("setting fault %s: listening again on %s: %w", f, s.addr, err)
		}
		s.serve(raw)
	}
	s.log.Info("SBC fault set", "addr", s.addr, "fault", f.String())
	return dropped, nil
}

// goDown closes the listener and every connection and returns the live
// bindings it dropped. Caller holds s.mu.
func (s *SBC) goDown() []Binding {
	var dropped []Binding
	if s.onBinding != nil {
		dropped = s.reg.snapshot(s.now())
	}
	if s.ln != nil {
		s.ln.Close()
		s.ln = nil
	}
	for c := range s.conns {
		c.kill()
	}
	s.reg.clear()
	s.calls.clear()
	return dropped
}

// reportDropped tells the binding hook about bindings goDown dropped; it
// runs after s.mu is released (deferred), since the hook may take its own
// locks.
func (s *SBC) reportDropped(dropped []Binding) {
	for _, b := range dropped {
		s.onBinding(BindingChange{Registrar: s.addr, AuthUser: b.AuthUser, AOR: b.AOR, Contact: b.Contact})
	}
}

// Close stops the SBC: listener, connections, transactions. It is safe to
// call more than once.
func (s *SBC) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.done)
	dropped := s.goDown()
	ua := s.ua
	s.mu.Unlock()
	s.reportDropped(dropped)
	s.wg.Wait()
	if ua != nil {
		return ua.Close()
	}
	return nil
}

func (s *SBC) sweepLoop() {
	defer s.wg.Done()
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
			now := s.now()
			s.reg.sweep(now)
			s.calls.sweep(now)
		}
	}
}

// delay applies the Slow fault; false means the SBC closed meanwhile.
func (s *SBC) delay(f *Fault) bool {
	if f.Slow <= 0 {
		return true
	}
	t := time.NewTimer(f.Slow)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.done:
		return false
	}
}

// newResponse builds a final or provisional response with the SBC's
// Server header and, for final responses, a To tag (RFC 3261 8.2.6.2).
func (s *SBC) newResponse(req *sip.Request, code int, reason string) *sip.Response {
	res := sip.NewResponseFromRequest(req, code, reason, nil)
	if code >= 200 {
		if to := res.To(); to != nil && !to.Params.Has("tag") {
			if to.Params == nil {
				to.Params = sip.NewParams()
			}
			to.Params.Add("tag", sip.GenerateTagN(10))
		}
	}
	if s.serverHeader != "" {
		res.AppendHeader(sip.NewHeader("Server", s.serverHeader))
	}
	return res
}

func (s *SBC) respond(tx sip.ServerTransaction, res *sip.Response) {
	if err := tx.Respond(res); err != nil {
		s.log.Debug("responding", "status", res.StatusCode, "error", err)
	}
}

func (s *SBC) onOptions(req *sip.Request, tx sip.ServerTransaction) {
	s.stats.options.Add(1)
	if !s.delay(s.fault.Load()) {
		return
	}
	res := s.newResponse(req, sip.StatusOK, "OK")
	res.AppendHeader(sip.NewHeader("Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER"))
	res.AppendHeader(sip.NewHeader("Accept", "application/sdp"))
	s.respond(tx, res)
}

func (s *SBC) onOther(req *sip.Request, tx sip.ServerTransaction) {
	if hasToTag(req) {
		s.onInDialog(req, tx)
		return
	}
	res := s.newResponse(req, sip.StatusMethodNotAllowed, "Method Not Allowed")
	res.AppendHeader(sip.NewHeader("Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER"))
	s.respond(tx, res)
}

func hasToTag(req *sip.Request) bool {
	to := req.To()
	return to != nil && to.Params.Has("tag")
}

func secondsHeader(d time.Duration) string {
	return strconv.Itoa(int((d + time.Second - 1) / time.Second))
}
