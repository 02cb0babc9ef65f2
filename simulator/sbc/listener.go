package sbc

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"sync"
	"time"
)

// tlsConfigs are built once at Start; GetConfigForClient picks one per
// handshake from the current fault, so switching faults costs an atomic
// load and never rebuilds a config.
type tlsConfigs struct {
	normal    *tls.Config
	tls13     *tls.Config
	wrongHost *tls.Config
	expired   *tls.Config
	root      *tls.Config // the listener's: dispatches to the above
}

func pinned(cert *tls.Certificate, version uint16) *tls.Config {
	return &tls.Config{
		Certificates: []tls.Certificate{*cert},
		MinVersion:   version,
		MaxVersion:   version,
		// No resumption: every handshake presents the certificate, so a
		// certificate fault is seen by a client that connected before.
		SessionTicketsDisabled: true,
	}
}

// prepareTLS issues whatever certificates are missing and builds the
// configs. host is the bound IP, the certificate's name when neither a
// certificate nor WithHosts was given.
func (s *SBC) prepareTLS(host string) error {
	if s.cert == nil {
		hosts := s.hosts
		if len(hosts) == 0 {
			hosts = []string{host}
		}
		c, err := s.ca.Issue(hosts)
		if err != nil {
			return fmt.Errorf("issuing server certificate: %w", err)
		}
		s.cert = &c
	}
	if s.ca != nil && s.wrongCert == nil {
		c, err := s.ca.Issue([]string{WrongHostName})
		if err != nil {
			return fmt.Errorf("issuing wrong-host certificate: %w", err)
		}
		s.wrongCert = &c
	}
	if s.ca != nil && s.expiredCert == nil {
		hosts := s.hosts
		if len(hosts) == 0 {
			hosts = certNames(s.cert, host)
		}
		past := time.Now().AddDate(0, 0, -30)
		c, err := s.ca.Issue(hosts, pkiValidity(past, past.AddDate(0, 0, 29)))
		if err != nil {
			return fmt.Errorf("issuing expired certificate: %w", err)
		}
		s.expiredCert = &c
	}
	s.cfgs.normal = pinned(s.cert, tls.VersionTLS12)
	s.cfgs.tls13 = pinned(s.cert, tls.VersionTLS13)
	if s.wrongCert != nil {
		s.cfgs.wrongHost = pinned(s.wrongCert, tls.VersionTLS12)
	}
	if s.expiredCert != nil {
		s.cfgs.expired = pinned(s.expiredCert, tls.VersionTLS12)
	}
	s.cfgs.root = &tls.Config{
		MinVersion:         tls.VersionTLS12,
		MaxVersion:         tls.VersionTLS12,
		GetConfigForClient: s.configForClient,
	}
	return nil
}

// certNames lists the names of the server certificate, so that the expired
// certificate differs from it only in its validity.
func certNames(cert *tls.Certificate, fallback string) []string {
	leaf := cert.Leaf
	if leaf == nil {
		return []string{fallback}
	}
	var out []string
	out = append(out, leaf.DNSNames...)
	for _, ip := range leaf.IPAddresses {
		out = append(out, ip.String())
	}
	if len(out) == 0 {
		return []string{fallback}
	}
	return out
}

func (s *SBC) configForClient(*tls.ClientHelloInfo) (*tls.Config, error) {
	f := s.fault.Load()
	var cfg *tls.Config
	switch {
	case f.TLS13Only:
		cfg = s.cfgs.tls13
	case f.WrongHostCert:
		cfg = s.cfgs.wrongHost
	case f.ExpiredCert:
		cfg = s.cfgs.expired
	}
	if cfg == nil {
		cfg = s.cfgs.normal
	}
	return cfg, nil
}

// tlsListener accepts TCP, completes the TLS handshake off the accept loop
// (a silent client cannot stall others) under a deadline, counts failures,
// and hands sipgo only connections whose handshake succeeded.
type tlsListener struct {
	raw       net.Listener
	s         *SBC
	conns     chan net.Conn
	done      chan struct{}
	closeOnce sync.Once
}

func newTLSListener(raw net.Listener, s *SBC) *tlsListener {
	l := &tlsListener{raw: raw, s: s, conns: make(chan net.Conn), done: make(chan struct{})}
	go l.acceptLoop()
	return l
}

func (l *tlsListener) acceptLoop() {
	for {
		c, err := l.raw.Accept()
		if err != nil {
			var ne net.Error
			if errorsAsTemporary(err, &ne) {
				time.Sleep(5 * time.Millisecond)
				continue
			}
			l.Close()
			return
		}
		go l.handshake(c)
	}
}

func (l *tlsListener) handshake(raw net.Conn) {
	s := l.s
	tc := tls.Server(raw, s.cfgs.root)
	ctx, cancel := context.WithTimeout(context.Background(), s.handshakeTimeout)
	err := tc.HandshakeContext(ctx)
	cancel()
	if err != nil {
		s.stats.handshakeFailures.Add(1)
		s.log.Debug("TLS handshake refused", "remote", raw.RemoteAddr().String(), "error", err)
		raw.Close()
		return
	}
	s.stats.handshakes.Add(1)
	tracked := s.track(tc, raw)
	if tracked == nil {
		return
	}
	select {
	case l.conns <- tracked:
	case <-l.done:
		tracked.kill()
	}
}

func (l *tlsListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *tlsListener) Close() error {
	var err error
	l.closeOnce.Do(func() {
		close(l.done)
		err = l.raw.Close()
	})
	return err
}

func (l *tlsListener) Addr() net.Addr { return l.raw.Addr() }

// trackedConn is a device's TLS connection as sipgo sees it. The SBC keeps
// the set so that Down can cut them all.
type trackedConn struct {
	net.Conn          // *tls.Conn
	raw      net.Conn // the TCP socket under it
	s        *SBC
	once     sync.Once
}

// track registers a new connection; nil when the SBC went down meanwhile.
func (s *SBC) track(tc *tls.Conn, raw net.Conn) *trackedConn {
	c := &trackedConn{Conn: tc, raw: raw, s: s}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.fault.Load().Down {
		raw.Close()
		return nil
	}
	s.conns[c] = struct{}{}
	s.stats.connections.Add(1)
	return c
}

func (c *trackedConn) untrack() {
	c.once.Do(func() {
		c.s.mu.Lock()
		delete(c.s.conns, c)
		c.s.mu.Unlock()
		c.s.stats.connections.Add(-1)
	})
}

// Close is sipgo closing the connection (peer gone, or pool cleanup).
func (c *trackedConn) Close() error {
	c.untrack()
	return c.Conn.Close()
}

// kill cuts the TCP socket without a TLS close_notify, as a crashed or
// unplugged SBC would; sipgo's reader then cleans up. Caller may hold s.mu,
// so the set is left to the caller.
func (c *trackedConn) kill() {
	c.raw.Close()
}
