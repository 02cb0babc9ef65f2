// Package device is the SIP device simulator: one simulated phone or gateway
// line that does what a real device does with its published config. It looks
// up _sips._tcp.<domain> itself (RFC 2782 order), opens its own TLS 1.2
// connection verified against a trust store (the IdenTrust roots Webex uses,
// plus lab roots), registers with digest authentication, refreshes before
// expiry, fails over to the next SBC on a timeout, a TLS refusal or a 5xx,
// fails back when the primary returns, keeps the connection alive (OPTIONS and
// CRLF), places and answers calls through the SBC, and unregisters.
//
// Every step reports what certify needs to explain a verdict: timings, the
// target a registration landed on, the negotiated TLS version and the
// certificate verification result, and typed errors (ErrTLSHandshake,
// ErrAuthRejected, ErrTimeout, ErrUnreachable, *StatusError).
//
// The simulator is built on github.com/emiago/sipgo. Each device owns one
// sipgo user agent per SBC it talks to (normally exactly one), so each has
// its own TLS connection as a real phone does.
package device

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Version goes into the simulator's User-Agent ("<Make> <Model> cutover-sim/<Version>").
var Version = "dev"

// DefaultTimeout is the deadline for one target (connect, TLS and one
// transaction); GO-NOTES.md explains why there is always one.
const DefaultTimeout = 2 * time.Second

// DefaultExpires is the registration lifetime a device asks for when its
// config names none.
const DefaultExpires = 3600 * time.Second

// Config is what a device knows from its config: who it is and where to register.
type Config struct {
	MAC   string // 12 upper-case hex digits
	Make  string // e.g. "Yealink"
	Model string // e.g. "T57W"

	User        string // user part of the AOR
	Domain      string // host part of the AOR (the registrar's domain)
	AuthUser    string // digest user name; User when empty
	Password    string
	DisplayName string

	// SRVDomain is the outbound proxy name, resolved as DNS says; Proxies
	// (host:port, in failover order) are used instead when set.
	SRVDomain string
	Proxies   []string
	// Expires is the registration lifetime asked for; DefaultExpires when zero.
	Expires time.Duration

	// What the config says about the connection, as the vendor's firmware
	// reads it (render.Registration); the zero values are Webex's
	// requirements: TLS, TLS 1.2 only, verification on, DNS SRV.
	//
	// Transport is TransportTLS (""), TransportTCP, TransportUDP or
	// TransportNAPTR (the DNS records choose). UDP and TCP carry no TLS.
	Transport string
	// TLSMin and TLSMax bound the versions offered (tls.VersionTLS12 when 0).
	TLSMin, TLSMax uint16
	// NoVerify leaves the SBC certificate unchecked, as a config with
	// verification off does.
	NoVerify bool
	// DNS is how SRVDomain is resolved: DNSSRV ("", the SRV service of the
	// transport: _sips._tcp for TLS), DNSNAPTR (RFC 3263 without NAPTR
	// records: _sips._tcp, then _sip._tcp, then _sip._udp, the first that
	// answers choosing the transport) or DNSA (an A record on the
	// transport's default port: one target, no failover list).
	DNS string
	// Failback is how long the device stays on a secondary before probing
	// the primary again (Run); the WithFailbackInterval option when zero.
	Failback time.Duration
}

// Transports and DNS modes of a Config.
const (
	TransportTLS   = "tls"
	TransportTCP   = "tcp"
	TransportUDP   = "udp"
	TransportNAPTR = "dns-naptr"

	DNSSRV   = "srv"
	DNSNAPTR = "naptr"
	DNSA     = "a"
)

// Validate reports the first missing field.
func (c Config) Validate() error {
	var missing []string
	if c.User == "" {
		missing = append(missing, "user")
	}
	if c.Domain == "" {
		missing = append(missing, "domain")
	}
	if c.Password == "" {
		missing = append(missing, "password")
	}
	if c.SRVDomain == "" && len(c.Proxies) == 0 {
		missing = append(missing, "SRV domain or proxies")
	}
	switch c.Transport {
	case "", TransportTLS, TransportTCP, TransportUDP, TransportNAPTR:
	default:
		return fmt.Errorf("device %s: transport %q: expected tls, tcp, udp or dns-naptr", c.MAC, c.Transport)
	}
	switch c.DNS {
	case "", DNSSRV, DNSNAPTR, DNSA:
	default:
		return fmt.Errorf("device %s: DNS mode %q: expected srv, naptr or a", c.MAC, c.DNS)
	}
	if len(missing) > 0 {
		return fmt.Errorf("device %s: config lacks %s", c.MAC, strings.Join(missing, ", "))
	}
	return nil
}

// UserAgent is the User-Agent header the device sends: make and model first,
// as the certification requires.
func (c Config) UserAgent() string {
	s := strings.TrimSpace(c.Make + " " + c.Model)
	if s == "" {
		return "cutover-sim/" + Version
	}
	return s + " cutover-sim/" + Version
}

// AOR is the device's address of record, sip:user@domain.
func (c Config) AOR() sip.Uri { return sip.Uri{Scheme: "sip", User: c.User, Host: c.Domain} }

type options struct {
	log            *slog.Logger
	roots          *x509.CertPool
	resolver       Resolver
	rnd            *mrand.Rand
	timeout        time.Duration
	tlsMin         uint16
	tlsMax         uint16
	tlsPinned      bool
	failbackEvery  time.Duration
	keepaliveEvery time.Duration
	targets        []Target
	sourceIP       net.IP
}

// Option configures a Device.
type Option func(*options)

// WithLogger makes the device log through l (it is silent by default).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithRoots sets the trust store the SBC certificate must chain to; by
// default TrustStore() (the embedded IdenTrust roots).
func WithRoots(p *x509.CertPool) Option { return func(o *options) { o.roots = p } }

// WithResolver sets the DNS resolver (see NewResolver); net.DefaultResolver by default.
func WithResolver(r Resolver) Option { return func(o *options) { o.resolver = r } }

// WithRand sets the random source of the SRV weighted draw, for
// deterministic tests.
func WithRand(r *mrand.Rand) Option { return func(o *options) { o.rnd = r } }

// WithTimeout sets the per-target deadline (DefaultTimeout by default).
func WithTimeout(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.timeout = d
		}
	}
}

// WithTLSVersions pins the TLS versions the device offers (TLS 1.2 only by
// default); certification uses it to prove the SBC refuses other versions.
func WithTLSVersions(min, max uint16) Option {
	return func(o *options) { o.tlsMin, o.tlsMax, o.tlsPinned = min, max, true }
}

// WithTargets gives the device its SBC targets already resolved (for
// example shared by a fleet), skipping its own lookup.
func WithTargets(t []Target) Option { return func(o *options) { o.targets = t } }

// WithFailbackInterval sets how often Run probes higher-priority targets
// while registered on a secondary (30 s by default).
func WithFailbackInterval(d time.Duration) Option { return func(o *options) { o.failbackEvery = d } }

// WithSourceIP makes the device's connections leave from ip, a local
// address (the kernel picks the port). One source address has about 28,000
// ephemeral ports towards one SBC address (Linux's default range), so a
// simulated fleet bigger than that spreads its devices over several.
func WithSourceIP(ip net.IP) Option { return func(o *options) { o.sourceIP = ip } }

// WithKeepaliveInterval sets how often Run sends a CRLF keepalive and an
// OPTIONS (30 s by default).
func WithKeepaliveInterval(d time.Duration) Option { return func(o *options) { o.keepaliveEvery = d } }

// parser is shared by every user agent: sipgo's parser is read-only once built.
var parser = sip.NewParser()

// Device is one simulated device. Its methods are safe for concurrent use,
// but SIP operations on one device are serialised.
type Device struct {
	cfg Config
	o   options

	op sync.Mutex // serialises registration state changes

	mu          sync.Mutex
	transport   string // the transport in use: tls, tcp or udp
	targets     []Target
	conns       map[string]*uaConn // by Target.String()
	current     *uaConn            // the connection the registration lives on
	reg         *Registration
	down        map[string]bool // targets the caller marked unreachable
	callID      string
	fromTag     string
	cseq        uint32
	lastRequest *sip.Request // the last REGISTER sent, for inspection
	incoming    map[string]*incomingCall
	closed      bool
}

// New builds a device from cfg. It opens nothing until the first operation.
func New(cfg Config, opts ...Option) (*Device, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	o := options{
		timeout:        DefaultTimeout,
		tlsMin:         tls.VersionTLS12,
		tlsMax:         tls.VersionTLS12,
		failbackEvery:  30 * time.Second,
		keepaliveEvery: 30 * time.Second,
	}
	for _, f := range opts {
		f(&o)
	}
	if o.log == nil {
		o.log = silent
	}
	if o.roots == nil {
		o.roots = TrustStore()
	}
	if cfg.Expires <= 0 {
		cfg.Expires = DefaultExpires
	}
	if !o.tlsPinned && cfg.TLSMin != 0 {
		o.tlsMin = cfg.TLSMin
	}
	if !o.tlsPinned && cfg.TLSMax != 0 {
		o.tlsMax = cfg.TLSMax
	}
	if cfg.Failback > 0 {
		o.failbackEvery = cfg.Failback
	}
	if cfg.AuthUser == "" {
		cfg.AuthUser = cfg.User
	}
	d := &Device{
		cfg:      cfg,
		o:        o,
		conns:    map[string]*uaConn{},
		down:     map[string]bool{},
		callID:   randomHex(16) + "@cutover-sim",
		fromTag:  randomHex(8),
		cseq:     1,
		incoming: map[string]*incomingCall{},
	}
	d.transport = cfg.Transport
	if d.transport == "" || d.transport == TransportNAPTR {
		d.transport = TransportTLS // NAPTR: until the lookup says otherwise
	}
	if o.targets != nil {
		d.targets = append([]Target(nil), o.targets...)
	}
	return d, nil
}

// Config returns the device's configuration.
func (d *Device) Config() Config { return d.cfg }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Targets returns the SBC targets in the order the device tries them,
// looking them up on first use (SRV or the configured proxies).
func (d *Device) Targets(ctx context.Context) ([]Target, error) {
	d.mu.Lock()
	if d.targets != nil {
		t := append([]Target(nil), d.targets...)
		d.mu.Unlock()
		return t, nil
	}
	d.mu.Unlock()
	var (
		t   []Target
		err error
	)
	transport := d.Transport()
	r := d.o.resolver
	if r == nil {
		r = net.DefaultResolver
	}
	switch {
	case len(d.cfg.Proxies) > 0:
		t, err = ParseTargets(ctx, d.o.resolver, strings.Join(d.cfg.Proxies, ","))
	case d.cfg.DNS == DNSA:
		// An A record on the transport's default port: one target.
		port := "5061"
		if transport != TransportTLS {
			port = "5060"
		}
		t, err = ParseTargets(ctx, d.o.resolver, net.JoinHostPort(d.cfg.SRVDomain, port))
	case d.cfg.DNS == DNSNAPTR || d.cfg.Transport == TransportNAPTR:
		// RFC 3263 4.1 without NAPTR records: SRV for each transport the
		// device supports, TLS first; the first answer sets the transport.
		for _, s := range []struct{ service, proto, transport string }{
			{"sips", "tcp", TransportTLS}, {"sip", "tcp", TransportTCP}, {"sip", "udp", TransportUDP},
		} {
			if d.cfg.Transport != TransportNAPTR && d.cfg.Transport != "" && d.cfg.Transport != s.transport {
				continue
			}
			t, err = LookupService(ctx, r, s.service, s.proto, d.cfg.SRVDomain, d.o.rnd)
			if err == nil {
				transport = s.transport
				break
			}
		}
	default:
		service, proto := SRVService, SRVProto
		switch transport {
		case TransportTCP:
			service = "sip"
		case TransportUDP:
			service, proto = "sip", "udp"
		}
		t, err = LookupService(ctx, r, service, proto, d.cfg.SRVDomain, d.o.rnd)
	}
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	d.targets = t
	d.transport = transport
	d.mu.Unlock()
	return append([]Target(nil), t...), nil
}

// Transport is the transport the device speaks: tls, tcp or udp (for a
// NAPTR config, what its lookup chose).
func (d *Device) Transport() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.transport
}

// SetDown marks target (host:port as Target.String prints it) unreachable
// for this device, or reachable again: the simulated outage certification
// uses when it cannot stop an SBC.
func (d *Device) SetDown(target string, down bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.down[target] = down
}

func (d *Device) isDown(t Target) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.down[t.String()]
}

// Close drops every connection without unregistering.
func (d *Device) Close() error {
	d.mu.Lock()
	conns := d.conns
	d.conns = map[string]*uaConn{}
	d.current = nil
	d.reg = nil
	d.closed = true
	d.mu.Unlock()
	for _, c := range conns {
		c.close()
	}
	return nil
}

// silent is the logger of a device given none: one for the whole fleet,
// and a handler whose With costs nothing (sipgo calls it per user agent).
var silent = slog.New(slog.DiscardHandler)

// SetSIPLogger routes the log lines sipgo writes through its process-wide
// default logger (connection bookkeeping such as "TCP ref went negative"
// when a user agent closes) to l. It is process-wide, like sipgo's own
// setting: call it once at start-up, before any device runs.
func SetSIPLogger(l *slog.Logger) { sip.SetDefaultLogger(l) }

// SetReadBufferSize sets the read buffer sipgo allocates per connection
// (32 KiB by default, most of a device's memory). A registering device
// reads messages of a few KiB and the stream parser joins partial reads, so
// a fleet of 10,000 simulated devices can use 4 KiB. It is process-wide
// (sip.TransportBufferReadSize): call it before any device or in-process
// SBC connects.
func SetReadBufferSize(n uint16) {
	if n >= 1024 {
		sip.TransportBufferReadSize = n
	}
}
