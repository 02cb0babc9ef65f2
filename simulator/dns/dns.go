// Package dns is a small authoritative DNS server for SRV and A records on
// loopback, so that demos and tests exercise a real RFC 2782 SRV lookup
// (`_sips._tcp.<domain>`) with a Go net.Resolver instead of a stub.
//
// It answers only for names it holds: SRV (with the targets' A records in
// the additional section), A, and NODATA for other types of a known name;
// every other name gets NXDOMAIN. Every answer carries the AA flag. Records
// can be changed while the server runs, which is how failover tests move a
// domain between SBCs.
package dns

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	mdns "github.com/miekg/dns"
)

// DefaultTTL is the TTL of every answer unless WithTTL says otherwise; short,
// because lab records change during a run.
const DefaultTTL = 5 * time.Second

// SRV is one SRV record's data.
type SRV struct {
	Priority uint16
	Weight   uint16
	Port     uint16
	Target   string
}

// Server is an authoritative DNS server over UDP and TCP. Its zone methods
// are safe for concurrent use, before and after Start.
type Server struct {
	log *slog.Logger
	ttl uint32

	mu   sync.RWMutex
	srv  map[string][]SRV
	a    map[string][]netip.Addr
	addr string
	udp  *mdns.Server
	tcp  *mdns.Server
}

// Option configures a Server.
type Option func(*Server)

// WithLogger sets the logger for query and serving errors; the default discards.
func WithLogger(l *slog.Logger) Option {
	return func(s *Server) {
		if l != nil {
			s.log = l
		}
	}
}

// WithTTL sets the TTL of answers (whole seconds).
func WithTTL(d time.Duration) Option {
	return func(s *Server) { s.ttl = uint32(d / time.Second) }
}

// WithSRV adds an SRV record at construction.
func WithSRV(name string, prio, weight, port uint16, target string) Option {
	return func(s *Server) { s.AddSRV(name, prio, weight, port, target) }
}

// WithA adds an A record at construction; an invalid address panics, as a
// constructor option is programmer input (use AddA for user input).
func WithA(name, ip string) Option {
	return func(s *Server) {
		if err := s.AddA(name, ip); err != nil {
			panic(err)
		}
	}
}

// NewServer returns a server with the given zone data, not yet listening.
func NewServer(opts ...Option) *Server {
	s := &Server{
		log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		ttl: uint32(DefaultTTL / time.Second),
		srv: make(map[string][]SRV),
		a:   make(map[string][]netip.Addr),
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Start is NewServer followed by (*Server).Start.
func Start(ctx context.Context, addr string, opts ...Option) (*Server, error) {
	s := NewServer(opts...)
	if err := s.Start(ctx, addr); err != nil {
		return nil, err
	}
	return s, nil
}

// canonical lower-cases name and makes it fully qualified, because DNS
// names compare case-insensitively and queries always carry the root dot.
func canonical(name string) string {
	return mdns.CanonicalName(strings.TrimSpace(name))
}

// AddSRV adds an SRV record for name (for example "_sips._tcp.example.test").
func (s *Server) AddSRV(name string, prio, weight, port uint16, target string) {
	n := canonical(name)
	s.mu.Lock()
	s.srv[n] = append(s.srv[n], SRV{Priority: prio, Weight: weight, Port: port, Target: canonical(target)})
	s.mu.Unlock()
}

// SetSRV replaces every SRV record of name; an empty recs removes them.
func (s *Server) SetSRV(name string, recs []SRV) {
	n := canonical(name)
	cp := make([]SRV, len(recs))
	for i, r := range recs {
		r.Target = canonical(r.Target)
		cp[i] = r
	}
	s.mu.Lock()
	if len(cp) == 0 {
		delete(s.srv, n)
	} else {
		s.srv[n] = cp
	}
	s.mu.Unlock()
}

// RemoveSRV removes the SRV records of name pointing at target and reports
// whether any was removed.
func (s *Server) RemoveSRV(name, target string) bool {
	n, t := canonical(name), canonical(target)
	s.mu.Lock()
	defer s.mu.Unlock()
	before := len(s.srv[n])
	kept := slices.DeleteFunc(s.srv[n], func(r SRV) bool { return r.Target == t })
	if len(kept) == 0 {
		delete(s.srv, n)
	} else {
		s.srv[n] = kept
	}
	return len(kept) != before
}

// AddA adds an IPv4 address for name. It returns an error for anything but
// a dotted-quad IPv4 address.
func (s *Server) AddA(name, ip string) error {
	addr, err := parseA(ip)
	if err != nil {
		return fmt.Errorf("adding A record for %s: %w", name, err)
	}
	n := canonical(name)
	s.mu.Lock()
	s.a[n] = append(s.a[n], addr)
	s.mu.Unlock()
	return nil
}

// SetA replaces every A record of name; no ips removes them.
func (s *Server) SetA(name string, ips ...string) error {
	addrs := make([]netip.Addr, 0, len(ips))
	for _, ip := range ips {
		a, err := parseA(ip)
		if err != nil {
			return fmt.Errorf("setting A records for %s: %w", name, err)
		}
		addrs = append(addrs, a)
	}
	n := canonical(name)
	s.mu.Lock()
	if len(addrs) == 0 {
		delete(s.a, n)
	} else {
		s.a[n] = addrs
	}
	s.mu.Unlock()
	return nil
}

// Remove deletes every record of name and reports whether it had any.
func (s *Server) Remove(name string) bool {
	n := canonical(name)
	s.mu.Lock()
	defer s.mu.Unlock()
	_, hadSRV := s.srv[n]
	_, hadA := s.a[n]
	delete(s.srv, n)
	delete(s.a, n)
	return hadSRV || hadA
}

func parseA(ip string) (netip.Addr, error) {
	a, err := netip.ParseAddr(strings.TrimSpace(ip))
	if err != nil || !a.Is4() {
		return netip.Addr{}, fmt.Errorf("%q is not an IPv4 address", ip)
	}
	return a, nil
}

// Start listens on addr (host:port; port 0 picks a free port shared by UDP
// and TCP) and serves until Close or until ctx is done. It returns once both
// listeners are bound.
func (s *Server) Start(ctx context.Context, addr string) error {
	s.mu.Lock()
	if s.udp != nil {
		s.mu.Unlock()
		return errors.New("starting DNS server: already started")
	}
	s.mu.Unlock()
	pc, ln, err := listenBoth(addr)
	if err != nil {
		return fmt.Errorf("starting DNS server on %s: %w", addr, err)
	}
	h := mdns.HandlerFunc(s.serveDNS)
	udp := &mdns.Server{PacketConn: pc, Handler: h}
	tcp := &mdns.Server{Listener: ln, Handler: h}
	var ready sync.WaitGroup
	ready.Add(2)
	udp.NotifyStartedFunc = ready.Done
	tcp.NotifyStartedFunc = ready.Done
	s.mu.Lock()
	s.udp, s.tcp, s.addr = udp, tcp, pc.LocalAddr().String()
	s.mu.Unlock()
	for _, srv := range []*mdns.Server{udp, tcp} {
		go func() {
			if err := srv.ActivateAndServe(); err != nil {
				s.log.Warn("DNS server stopped", "error", err)
			}
		}()
	}
	ready.Wait()
	go func() {
		<-ctx.Done()
		s.Close()
	}()
	return nil
}

// listenBoth binds UDP then TCP on the same port. With port 0 the kernel
// picks the UDP port, which may be taken for TCP: retry a few times.
func listenBoth(addr string) (net.PacketConn, net.Listener, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, nil, err
	}
	var lastErr error
	for range 10 {
		pc, err := net.ListenPacket("udp", addr)
		if err != nil {
			return nil, nil, err
		}
		bound := net.JoinHostPort(host, fmt.Sprint(pc.LocalAddr().(*net.UDPAddr).Port))
		ln, err := net.Listen("tcp", bound)
		if err == nil {
			return pc, ln, nil
		}
		pc.Close()
		lastErr = err
		if port != "0" {
			break
		}
	}
	return nil, nil, lastErr
}

// Addr is the bound host:port (the same for UDP and TCP); empty before Start.
func (s *Server) Addr() string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.addr
}

// Close stops both listeners. It is safe to call more than once.
func (s *Server) Close() error {
	s.mu.Lock()
	udp, tcp := s.udp, s.tcp
	s.udp, s.tcp = nil, nil
	s.mu.Unlock()
	var errs []error
	for _, srv := range []*mdns.Server{udp, tcp} {
		if srv != nil {
			if err := srv.Shutdown(); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// Resolver returns a pure-Go resolver that sends every query to this
// server, whatever /etc/resolv.conf says.
func (s *Server) Resolver() *net.Resolver {
	return NewResolver(s.Addr())
}

// NewResolver returns a pure-Go net.Resolver that sends every query to the
// DNS server at addr (host:port), over UDP or TCP as the resolver chooses.
func NewResolver(addr string) *net.Resolver {
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
	}
}

func (s *Server) serveDNS(w mdns.ResponseWriter, req *mdns.Msg) {
	m := s.answer(req)
	if _, udp := w.RemoteAddr().(*net.UDPAddr); udp {
		// Fit the datagram the client can take (512 bytes, or its EDNS0
		// size), dropping additional records first and setting TC when
		// answers must go, so that the client retries over TCP.
		size := mdns.MinMsgSize
		if o := req.IsEdns0(); o != nil {
			size = int(o.UDPSize())
		}
		m.Truncate(size)
	}
	if err := w.WriteMsg(m); err != nil {
		s.log.Warn("writing DNS answer", "error", err)
	}
}

// answer builds the reply to req. Split from serveDNS for tests.
func (s *Server) answer(req *mdns.Msg) *mdns.Msg {
	m := new(mdns.Msg)
	if req.Opcode != mdns.OpcodeQuery || len(req.Question) != 1 {
		m.SetRcode(req, mdns.RcodeNotImplemented)
		return m
	}
	m.SetReply(req)
	m.Authoritative = true
	m.RecursionAvailable = false
	if o := req.IsEdns0(); o != nil {
		m.SetEdns0(o.UDPSize(), false)
	}
	q := req.Question[0]
	name := canonical(q.Name)

	s.mu.RLock()
	srvs := s.srv[name]
	as := s.a[name]
	switch q.Qtype {
	case mdns.TypeSRV:
		for _, r := range srvs {
			m.Answer = append(m.Answer, &mdns.SRV{
				Hdr:      s.hdr(name, mdns.TypeSRV),
				Priority: r.Priority, Weight: r.Weight, Port: r.Port, Target: r.Target,
			})
			for _, ip := range s.a[r.Target] {
				m.Extra = append(m.Extra, &mdns.A{Hdr: s.hdr(r.Target, mdns.TypeA), A: ip.AsSlice()})
			}
		}
	case mdns.TypeA:
		for _, ip := range as {
			m.Answer = append(m.Answer, &mdns.A{Hdr: s.hdr(name, mdns.TypeA), A: ip.AsSlice()})
		}
	}
	s.mu.RUnlock()

	if len(m.Answer) == 0 {
		if len(srvs) == 0 && len(as) == 0 {
			m.Rcode = mdns.RcodeNameError
		}
		// NODATA and NXDOMAIN carry an SOA so resolvers may cache the
		// negative answer (RFC 2308).
		m.Ns = append(m.Ns, s.soa(name))
	}
	s.log.Debug("DNS query", "name", name, "type", mdns.TypeToString[q.Qtype], "rcode", mdns.RcodeToString[m.Rcode], "answers", len(m.Answer))
	return m
}

func (s *Server) hdr(name string, t uint16) mdns.RR_Header {
	return mdns.RR_Header{Name: name, Rrtype: t, Class: mdns.ClassINET, Ttl: s.ttl}
}

// soa is a synthetic SOA for the queried name's parent, enough for negative
// caching; the lab zone has no real apex.
func (s *Server) soa(name string) *mdns.SOA {
	zone := name
	if labels := mdns.SplitDomainName(name); len(labels) > 1 {
		zone = mdns.Fqdn(strings.Join(labels[1:], "."))
	}
	suffix := zone
	if suffix == "." {
		suffix = "lab."
	}
	return &mdns.SOA{
		Hdr:     s.hdr(zone, mdns.TypeSOA),
		Ns:      "ns." + suffix,
		Mbox:    "hostmaster." + suffix,
		Serial:  1,
		Refresh: 3600, Retry: 600, Expire: 86400,
		Minttl: s.ttl,
	}
}
