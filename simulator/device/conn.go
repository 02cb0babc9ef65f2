package device

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/cutover-dev/cutover/internal/siplog"
	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// TLSInfo is what the device learnt about an SBC's TLS.
type TLSInfo struct {
	Version    uint16 // negotiated, e.g. tls.VersionTLS12
	ServerName string // the name verified against the certificate
	// Chain is the certificate chain the SBC sent, leaf first.
	Chain []*x509.Certificate
	// Verified is the chain that verified against the trust store (leaf to root).
	Verified []*x509.Certificate
}

// VersionName prints a TLS version as "TLS 1.2".
func VersionName(v uint16) string {
	if v == 0 {
		return "none"
	}
	return tls.VersionName(v)
}

// uaConn is one sipgo user agent talking to one target over one TLS connection.
type uaConn struct {
	target    Target
	transport string // "tls", "tcp" or "udp" (sipgo's network names)
	ua        *sipgo.UserAgent
	client    *sipgo.Client
	srv       *sipgo.Server
	source    net.IP  // the local address to dial from (nil: the kernel's choice)
	local     sip.Uri // our contact address on this connection
	tls       TLSInfo

	pong chan struct{}
}

func (c *uaConn) close() {
	_ = c.ua.Close()
}

// conn returns the user agent for t, connected (TCP and TLS done) within
// ctx. A connection that died is replaced.
func (d *Device) conn(ctx context.Context, t Target) (*uaConn, time.Duration, error) {
	if t.ResolveErr != nil {
		return nil, 0, fmt.Errorf("%w: resolving %s: %w", ErrUnreachable, t.Host, t.ResolveErr)
	}
	if d.isDown(t) {
		return nil, 0, fmt.Errorf("%w: marked down (simulated outage)", ErrUnreachable)
	}
	key := t.String()
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil, 0, errors.New("device closed")
	}
	c := d.conns[key]
	d.mu.Unlock()
	if c != nil {
		if live, err := c.ua.TransportLayer().GetConnection(c.transport, t.Addr()); err == nil && live != nil {
			_, _ = live.TryClose() // GetConnection took a reference
			return c, 0, nil
		}
	}
	if c == nil {
		var err error
		c, err = d.newUA(t)
		if err != nil {
			return nil, 0, err
		}
		d.mu.Lock()
		if old := d.conns[key]; old != nil {
			d.mu.Unlock()
			c.close()
			c = old
		} else {
			d.conns[key] = c
			d.mu.Unlock()
		}
	}
	start := time.Now()
	if err := c.dial(ctx); err != nil {
		return nil, time.Since(start), classify(ctx, err)
	}
	return c, time.Since(start), nil
}

// dropConn closes the user agent of t, so that the next operation opens a
// fresh connection (sipgo may still list a connection the peer just closed).
func (d *Device) dropConn(t Target) {
	d.mu.Lock()
	c := d.conns[t.String()]
	delete(d.conns, t.String())
	if d.current == c {
		d.current = nil
	}
	d.mu.Unlock()
	if c != nil {
		c.close()
	}
}

func (d *Device) newUA(t Target) (*uaConn, error) {
	c := &uaConn{target: t, transport: d.Transport(), source: d.o.sourceIP, pong: make(chan struct{}, 1)}
	tlsConf := &tls.Config{
		MinVersion: d.o.tlsMin,
		MaxVersion: d.o.tlsMax,
		RootCAs:    d.o.roots,
		ServerName: t.Host,
		// A config with verification off accepts any certificate.
		InsecureSkipVerify: d.cfg.NoVerify,
	}
	sipLog := siplog.ErrorsOnly(d.o.log)
	ua, err := sipgo.NewUA(
		sipgo.WithUserAgent(d.cfg.User),
		sipgo.WithUserAgentHostname(d.cfg.Domain),
		sipgo.WithUserAgenTLSConfig(tlsConf),
		sipgo.WithUserAgentParser(parser),
		sipgo.WithUserAgentTransportLayerOptions(
			sip.WithTransportLayerLogger(sipLog),
			sip.WithTransportLayerReadFilter(c.readFilter),
		),
		sipgo.WithUserAgentTransactionLayerOptions(
			sip.WithTransactionLayerLogger(sipLog),
			sip.WithTransactionLayerTerminateOnConnClose(),
			sip.WithTransactionLayerUnhandledResponseHandler(func(*sip.Response) {}),
		),
	)
	if err != nil {
		return nil, fmt.Errorf("creating user agent: %w", err)
	}
	client, err := sipgo.NewClient(ua, sipgo.WithClientLogger(sipLog))
	if err != nil {
		_ = ua.Close()
		return nil, fmt.Errorf("creating client: %w", err)
	}
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(sipLog))
	if err != nil {
		_ = ua.Close()
		return nil, fmt.Errorf("creating server: %w", err)
	}
	c.ua, c.client, c.srv = ua, client, srv
	d.handleIncoming(c)
	return c, nil
}

// readFilter sees every read of the connection before sipgo parses it; a
// read of nothing but CRLF is the SBC's pong to our CRLF keepalive (RFC 5626).
func (c *uaConn) readFilter(_ sip.TransportReadProps, data []byte) ([]byte, error) {
	if len(data) <= 4 && len(bytes.Trim(data, "\r\n")) == 0 {
		select {
		case c.pong <- struct{}{}:
		default:
		}
	}
	return data, nil
}

// dial opens the TCP and TLS connection now (sipgo would otherwise open it
// inside the first transaction) so that its time and TLS state are known,
// and the Contact can carry the local address.
func (c *uaConn) dial(ctx context.Context) error {
	req := sip.NewRequest(sip.OPTIONS, sip.Uri{Scheme: "sip", Host: c.target.Host})
	req.SetTransport(c.sipTransport())
	req.SetDestination(c.target.Addr())
	req.AppendHeader(&sip.ViaHeader{ProtocolName: "SIP", ProtocolVersion: "2.0", Transport: c.sipTransport(), Params: sip.NewParams()})
	if c.source != nil {
		// Port 0: sipgo still finds the connection by the target's
		// address for the requests that follow.
		req.Laddr = sip.Addr{IP: c.source}
	}
	conn, err := c.ua.TransportLayer().ClientRequestConnection(ctx, req)
	if err != nil {
		return err
	}
	defer conn.TryClose()
	host, port, err := net.SplitHostPort(conn.LocalAddr().String())
	if err != nil {
		return fmt.Errorf("reading local address: %w", err)
	}
	p, _ := strconv.Atoi(port)
	c.local = sip.Uri{Scheme: "sip", Host: host, Port: p, UriParams: sip.HeaderParams{{K: "transport", V: c.transport}}}
	if tc, ok := conn.(*sip.TCPConnection); ok {
		if tlsConn, ok := tc.Conn.(*tls.Conn); ok {
			st := tlsConn.ConnectionState()
			c.tls = TLSInfo{Version: st.Version, ServerName: st.ServerName, Chain: st.PeerCertificates}
			if len(st.VerifiedChains) > 0 {
				c.tls.Verified = st.VerifiedChains[0]
			}
		}
	}
	return nil
}

// sipTransport is the transport as a Via header and sipgo's request name it.
func (c *uaConn) sipTransport() string { return strings.ToUpper(c.transport) }

// writeRaw writes bytes on the live connection (CRLF keepalive).
func (c *uaConn) writeRaw(b []byte) error {
	conn, err := c.ua.TransportLayer().GetConnection(c.transport, c.target.Addr())
	if err != nil || conn == nil {
		return fmt.Errorf("%w: connection closed", ErrUnreachable)
	}
	defer conn.TryClose()
	w, ok := conn.(io.Writer)
	if !ok {
		return errors.New("connection does not take raw writes")
	}
	_, err = w.Write(b)
	return err
}

// ProbeTLS opens a bare TLS connection to t offering only the versions
// min..max and reports what was negotiated. With verify false the
// certificate is not checked: the probe asks only whether the SBC accepts
// the protocol version. Errors wrap ErrTLSHandshake, ErrUnreachable or ErrTimeout.
func ProbeTLS(ctx context.Context, t Target, min, max uint16, roots *x509.CertPool, verify bool, timeout time.Duration) (TLSInfo, error) {
	if t.ResolveErr != nil {
		return TLSInfo{}, &TargetError{Target: t, Err: fmt.Errorf("%w: resolving %s: %w", ErrUnreachable, t.Host, t.ResolveErr)}
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	pctx := ctx
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var nd net.Dialer
	raw, err := nd.DialContext(ctx, "tcp", t.Addr())
	if err != nil {
		return TLSInfo{}, &TargetError{Target: t, Err: classify(pctx, fmt.Errorf("dial: %w", err))}
	}
	defer raw.Close()
	conf := &tls.Config{MinVersion: min, MaxVersion: max, RootCAs: roots, ServerName: t.Host}
	if !verify {
		// Only the protocol version is under test; tls-chain verifies.
		conf.InsecureSkipVerify = true
	}
	tc := tls.Client(raw, conf)
	if err := tc.HandshakeContext(ctx); err != nil {
		if pctx.Err() != nil {
			return TLSInfo{}, pctx.Err()
		}
		if errors.Is(err, context.DeadlineExceeded) {
			return TLSInfo{}, &TargetError{Target: t, Err: fmt.Errorf("%w: TLS handshake: %w", ErrTimeout, err)}
		}
		return TLSInfo{}, &TargetError{Target: t, Err: fmt.Errorf("%w: %w", ErrTLSHandshake, err)}
	}
	st := tc.ConnectionState()
	info := TLSInfo{Version: st.Version, ServerName: st.ServerName, Chain: st.PeerCertificates}
	if len(st.VerifiedChains) > 0 {
		info.Verified = st.VerifiedChains[0]
	}
	return info, nil
}
