package sbc

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/cutover-dev/cutover/internal/await"
	"github.com/cutover-dev/cutover/simulator/pki"
)

const (
	testUser     = "1001"
	testPassword = "S3cret!pass"
)

var (
	testCAOnce sync.Once
	testCA     *pki.CA
)

func labCA(t testing.TB) *pki.CA {
	t.Helper()
	testCAOnce.Do(func() {
		ca, err := pki.NewCA("sbc test CA")
		if err != nil {
			panic(err)
		}
		testCA = ca
	})
	return testCA
}

func startSBC(t testing.TB, opts ...Option) *SBC {
	t.Helper()
	ca := labCA(t)
	base := []Option{
		WithCA(ca),
		WithHosts("sbc1.example.test", "127.0.0.1"),
		WithUsers(StaticUsers{testUser: testPassword, "1002": "0ther!Pass"}),
		WithRealm("example.test"),
	}
	s, err := New(append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := s.Start(ctx, "127.0.0.1:0"); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		s.Close()
	})
	return s
}

// testDevice is a raw sipgo client: not the device simulator, so that the
// SBC is tested against the library directly.
type testDevice struct {
	t      testing.TB
	ua     *sipgo.UserAgent
	client *sipgo.Client
	server *sipgo.Server
	sbc    string
	user   string
	callID string
	cseq   uint32
}

func clientTLS(t testing.TB, min, max uint16) *tls.Config {
	return &tls.Config{RootCAs: labCA(t).Pool(), ServerName: "sbc1.example.test", MinVersion: min, MaxVersion: max}
}

func newDevice(t testing.TB, sbcAddr, user string, conf *tls.Config) *testDevice {
	t.Helper()
	ua, err := sipgo.NewUA(sipgo.WithUserAgent(user), sipgo.WithUserAgentHostname("example.test"), sipgo.WithUserAgenTLSConfig(conf))
	if err != nil {
		t.Fatal(err)
	}
	client, err := sipgo.NewClient(ua)
	if err != nil {
		t.Fatal(err)
	}
	server, err := sipgo.NewServer(ua)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ua.Close() })
	return &testDevice{t: t, ua: ua, client: client, server: server, sbc: sbcAddr, user: user, callID: sip.GenerateTagN(16), cseq: 1}
}

func (d *testDevice) sbcURI() sip.Uri {
	host, port, _ := net.SplitHostPort(d.sbc)
	var u sip.Uri
	if err := sip.ParseUri("sip:"+host+":"+port+";transport=tls", &u); err != nil {
		d.t.Fatal(err)
	}
	return u
}

func (d *testDevice) registerRequest(expires string) *sip.Request {
	req := sip.NewRequest(sip.REGISTER, d.sbcURI())
	aor := sip.Uri{Scheme: "sip", User: d.user, Host: "example.test"}
	from := &sip.FromHeader{Address: aor, Params: sip.NewParams()}
	from.Params.Add("tag", "t"+d.user)
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: aor, Params: sip.NewParams()})
	cid := sip.CallIDHeader(d.callID)
	req.AppendHeader(&cid)
	d.cseq++
	req.AppendHeader(&sip.CSeqHeader{SeqNo: d.cseq, MethodName: sip.REGISTER})
	req.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: d.user, Host: "127.0.0.1", Port: 5099, UriParams: sip.HeaderParams{{K: "transport", V: "tls"}}}})
	if expires != "" {
		req.AppendHeader(sip.NewHeader("Expires", expires))
	}
	req.AppendHeader(sip.NewHeader("User-Agent", "Yealink SIP-T54W 96.86.0.100 "+d.user))
	req.SetTransport("TLS")
	return req
}

// register runs the two-transaction digest registration and returns the
// final response.
func (d *testDevice) register(password, expires string) (*sip.Response, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req := d.registerRequest(expires)
	res, err := d.client.Do(ctx, req)
	if err != nil {
		return nil, err
	}
	if res.StatusCode != sip.StatusUnauthorized && res.StatusCode != sip.StatusProxyAuthRequired {
		return res, nil
	}
	res2, err := d.client.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: d.user, Password: password})
	if cs := req.CSeq(); cs != nil {
		d.cseq = cs.SeqNo
	}
	return res2, err
}

func TestMain(m *testing.M) {
	// The raw test clients log through sipgo's default logger; keep test
	// output to what the tests say.
	sip.SetDefaultLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	os.Exit(m.Run())
}

func TestRegisterDigest(t *testing.T) {
	s := startSBC(t)
	d := newDevice(t, s.Addr(), testUser, clientTLS(t, tls.VersionTLS12, tls.VersionTLS13))

	// Without credentials: a challenge.
	ctx := context.Background()
	res, err := d.client.Do(ctx, d.registerRequest("600"))
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 401 {
		t.Fatalf("first REGISTER: %d, want 401", res.StatusCode)
	}
	chal := res.GetHeader("WWW-Authenticate")
	if chal == nil || !strings.Contains(chal.Value(), `realm="example.test"`) || !strings.Contains(chal.Value(), "MD5") {
		t.Fatalf("challenge %v", chal)
	}

	res, err = d.register(testPassword, "600")
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 200 {
		t.Fatalf("authenticated REGISTER: %d %s, want 200", res.StatusCode, res.Reason)
	}
	c := res.Contact()
	if c == nil {
		t.Fatal("200 without Contact")
	}
	if v, _ := c.Params.Get("expires"); v != "600" {
		t.Fatalf("Contact expires=%q, want 600", v)
	}
	bs := s.Bindings()
	if len(bs) != 1 || bs[0].User != testUser || !strings.HasPrefix(bs[0].UserAgent, "Yealink SIP-T54W") {
		t.Fatalf("bindings %+v", bs)
	}
	if ua, ok := s.LastUserAgent(testUser); !ok || !strings.Contains(ua, "T54W") {
		t.Fatalf("LastUserAgent %q %v", ua, ok)
	}
	st := s.Stats()
	if st.Registrations != 1 || st.Challenges < 2 || st.Handshakes != 1 || st.Connections != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestRegisterWrongPassword(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []Option
		want int
	}{
		{"default 403", nil, 403},
		{"kamailio-like 401", []Option{WithWrongPasswordStatus(401)}, 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startSBC(t, tc.opts...)
			d := newDevice(t, s.Addr(), testUser, clientTLS(t, tls.VersionTLS12, tls.VersionTLS12))
			res, err := d.register("not-the-password", "600")
			if err != nil {
				t.Fatal(err)
			}
			if res.StatusCode != tc.want {
				t.Fatalf("wrong password: %d, want %d", res.StatusCode, tc.want)
			}
			if len(s.Bindings()) != 0 {
				t.Fatal("wrong password left a binding")
			}
			if s.Stats().AuthFailures != 1 {
				t.Fatalf("AuthFailures %d, want 1", s.Stats().AuthFailures)
			}
			// Unknown users are refused the same way (no user enumeration).
			u := newDevice(t, s.Addr(), "9999", clientTLS(t, tls.VersionTLS12, tls.VersionTLS12))
			res, err = u.register("whatever1!A", "600")
			if err != nil {
				t.Fatal(err)
			}
			if res.StatusCode != tc.want {
				t.Fatalf("unknown user: %d, want %d", res.StatusCode, tc.want)
			}
		})
	}
}

func TestProxyAuthMode(t *testing.T) {
	s := startSBC(t, WithProxyAuth())
	d := newDevice(t, s.Addr(), testUser, clientTLS(t, tls.VersionTLS12, tls.VersionTLS12))
	res, err := d.client.Do(context.Background(), d.registerRequest("600"))
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 407 || res.GetHeader("Proxy-Authenticate") == nil {
		t.Fatalf("got %d, want 407 with Proxy-Authenticate", res.StatusCode)
	}
	res, err = d.register(testPassword, "600")
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 200 {
		t.Fatalf("407 flow: %d, want 200", res.StatusCode)
	}
}

func TestExpiryAndUnregister(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 11, 23, 18, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	s := startSBC(t, WithClock(clock), WithExpires(60*time.Second, 3600*time.Second, 1800*time.Second), WithNonceTTL(24*time.Hour))
	d := newDevice(t, s.Addr(), testUser, clientTLS(t, tls.VersionTLS12, tls.VersionTLS12))

	for _, tc := range []struct {
		expires, want string
	}{
		{"10", "60"},       // raised to the minimum
		{"999999", "3600"}, // lowered to the maximum
		{"", "1800"},       // default
		{"120", "120"},
	} {
		res, err := d.register(testPassword, tc.expires)
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != 200 {
			t.Fatalf("Expires %q: %d", tc.expires, res.StatusCode)
		}
		if v, _ := res.Contact().Params.Get("expires"); v != tc.want {
			t.Fatalf("Expires %q: granted %s, want %s", tc.expires, v, tc.want)
		}
	}
	advance(119 * time.Second)
	if len(s.Bindings()) != 1 {
		t.Fatal("binding gone before its expiry")
	}
	advance(2 * time.Second)
	if len(s.Bindings()) != 0 {
		t.Fatal("binding still live after its expiry")
	}

	if res, err := d.register(testPassword, "300"); err != nil || res.StatusCode != 200 {
		t.Fatalf("re-register: %v %v", res, err)
	}
	res, err := d.register(testPassword, "0")
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 200 || res.Contact() != nil {
		t.Fatalf("unregister: %d, contact %v; want 200 without contacts", res.StatusCode, res.Contact())
	}
	if len(s.Bindings()) != 0 {
		t.Fatal("Expires 0 left a binding")
	}
	if s.Stats().Unregistrations != 1 {
		t.Fatalf("Unregistrations %d", s.Stats().Unregistrations)
	}
}

func TestStaleNonce(t *testing.T) {
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	s := startSBC(t, WithClock(clock), WithNonceTTL(time.Minute))
	d := newDevice(t, s.Addr(), testUser, clientTLS(t, tls.VersionTLS12, tls.VersionTLS12))
	ctx := context.Background()
	req := d.registerRequest("600")
	res, err := d.client.Do(ctx, req)
	if err != nil || res.StatusCode != 401 {
		t.Fatalf("challenge: %v %v", res, err)
	}
	mu.Lock()
	now = now.Add(2 * time.Minute)
	mu.Unlock()
	res, err = d.client.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: testUser, Password: testPassword})
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 401 || !strings.Contains(strings.ToLower(res.GetHeader("WWW-Authenticate").Value()), "stale=true") {
		t.Fatalf("expired nonce: %d %v, want 401 stale=true", res.StatusCode, res.GetHeader("WWW-Authenticate"))
	}
	if s.Stats().AuthFailures != 0 {
		t.Fatal("a stale nonce counted as an authentication failure")
	}
}

func TestOptions(t *testing.T) {
	s := startSBC(t)
	d := newDevice(t, s.Addr(), testUser, clientTLS(t, tls.VersionTLS12, tls.VersionTLS12))
	req := sip.NewRequest(sip.OPTIONS, d.sbcURI())
	req.SetTransport("TLS")
	res, err := d.client.Do(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 200 || res.GetHeader("Allow") == nil {
		t.Fatalf("OPTIONS: %d, want 200 with Allow", res.StatusCode)
	}
}

// handshake dials the SBC with conf and reports the handshake error.
func handshake(addr string, conf *tls.Config) error {
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, conf)
	if err != nil {
		return err
	}
	defer c.Close()
	if c.ConnectionState().Version != tls.VersionTLS12 {
		return errors.New("negotiated a version other than TLS 1.2")
	}
	return nil
}

func TestTLS12Only(t *testing.T) {
	s := startSBC(t)
	if err := handshake(s.Addr(), clientTLS(t, tls.VersionTLS10, tls.VersionTLS13)); err != nil {
		t.Fatalf("a client offering 1.0 to 1.3 must land on TLS 1.2: %v", err)
	}
	err := handshake(s.Addr(), clientTLS(t, tls.VersionTLS13, tls.VersionTLS13))
	if err == nil || !strings.Contains(err.Error(), "protocol version") {
		t.Fatalf("TLS 1.3-only client: %v, want a protocol version failure", err)
	}
	err = handshake(s.Addr(), clientTLS(t, tls.VersionTLS11, tls.VersionTLS11))
	if err == nil {
		t.Fatal("TLS 1.1-only client accepted")
	}
	// Chain verification is real: an unrelated CA is refused.
	other, _ := pki.NewCA("other")
	conf := clientTLS(t, tls.VersionTLS12, tls.VersionTLS12)
	conf.RootCAs = other.Pool()
	var unknown x509.UnknownAuthorityError
	if err := handshake(s.Addr(), conf); !errors.As(err, &unknown) {
		t.Fatalf("untrusted chain: %v, want x509.UnknownAuthorityError", err)
	}
	// The server counts a failure when its side of the handshake ends,
	// which may be just after the client gave up.
	await.True(t, "3 handshake failures counted", func() bool { return s.Stats().HandshakeFailures >= 3 })
}

func TestFaultTLS(t *testing.T) {
	s := startSBC(t)
	conf := clientTLS(t, tls.VersionTLS12, tls.VersionTLS12)

	if err := s.SetFault(Fault{TLS13Only: true}); err != nil {
		t.Fatal(err)
	}
	if err := handshake(s.Addr(), conf); err == nil || !strings.Contains(err.Error(), "protocol version") {
		t.Fatalf("TLS13Only fault, 1.2 client: %v, want a protocol version failure", err)
	}

	if err := s.SetFault(Fault{WrongHostCert: true}); err != nil {
		t.Fatal(err)
	}
	var host x509.HostnameError
	if err := handshake(s.Addr(), conf); !errors.As(err, &host) {
		t.Fatalf("WrongHostCert fault: %v, want x509.HostnameError", err)
	}

	if err := s.SetFault(Fault{ExpiredCert: true}); err != nil {
		t.Fatal(err)
	}
	var inv x509.CertificateInvalidError
	if err := handshake(s.Addr(), conf); !errors.As(err, &inv) || inv.Reason != x509.Expired {
		t.Fatalf("ExpiredCert fault: %v, want an expired certificate error", err)
	}

	if err := s.SetFault(Fault{}); err != nil {
		t.Fatal(err)
	}
	if err := handshake(s.Addr(), conf); err != nil {
		t.Fatalf("healthy again: %v", err)
	}
}

func TestFaultRegister503(t *testing.T) {
	s := startSBC(t, WithFault(Fault{Register503: true, RetryAfter: 90 * time.Second}))
	d := newDevice(t, s.Addr(), testUser, clientTLS(t, tls.VersionTLS12, tls.VersionTLS12))
	res, err := d.register(testPassword, "600")
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 503 {
		t.Fatalf("Register503: %d, want 503", res.StatusCode)
	}
	if ra := res.GetHeader("Retry-After"); ra == nil || ra.Value() != "90" {
		t.Fatalf("Retry-After %v, want 90", ra)
	}
	if err := s.SetFault(Fault{}); err != nil {
		t.Fatal(err)
	}
	if res, err := d.register(testPassword, "600"); err != nil || res.StatusCode != 200 {
		t.Fatalf("after clearing 503: %v %v", res, err)
	}
}

func TestFaultSlow(t *testing.T) {
	s := startSBC(t, WithFault(Fault{Slow: 300 * time.Millisecond}))
	d := newDevice(t, s.Addr(), testUser, clientTLS(t, tls.VersionTLS12, tls.VersionTLS12))
	// A deadline shorter than the delay must expire; one longer must not.
	// (The assertion is on behaviour under a deadline, not on a duration.)
	req := sip.NewRequest(sip.OPTIONS, d.sbcURI())
	req.SetTransport("TLS")
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	_, err := d.client.Do(ctx, req)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("OPTIONS under a deadline shorter than the slow fault: %v, want deadline exceeded", err)
	}
	req = sip.NewRequest(sip.OPTIONS, d.sbcURI())
	req.SetTransport("TLS")
	ctx, cancel = context.WithTimeout(context.Background(), 10*time.Second)
	res, err := d.client.Do(ctx, req)
	cancel()
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("slow OPTIONS: %v %v", res, err)
	}
}

func TestFaultDownAndUp(t *testing.T) {
	s := startSBC(t)
	addr := s.Addr()
	d := newDevice(t, addr, testUser, clientTLS(t, tls.VersionTLS12, tls.VersionTLS12))
	if res, err := d.register(testPassword, "600"); err != nil || res.StatusCode != 200 {
		t.Fatalf("register: %v %v", res, err)
	}
	if err := s.SetFault(Fault{Down: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := net.DialTimeout("tcp", addr, 2*time.Second); err == nil {
		t.Fatal("TCP connect succeeded while down")
	}
	if len(s.Bindings()) != 0 {
		t.Fatal("bindings survived going down")
	}
	// The device's connection is cut: its next request fails rather than
	// being answered.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if res, err := d.client.Do(ctx, d.registerRequest("600")); err == nil {
		t.Fatalf("request answered while down: %d", res.StatusCode)
	}

	if err := s.SetFault(Fault{}); err != nil {
		t.Fatal(err)
	}
	if s.Addr() != addr {
		t.Fatalf("came back on %s, want %s", s.Addr(), addr)
	}
	d2 := newDevice(t, addr, testUser, clientTLS(t, tls.VersionTLS12, tls.VersionTLS12))
	if res, err := d2.register(testPassword, "600"); err != nil || res.StatusCode != 200 {
		t.Fatalf("register after failback: %v %v", res, err)
	}
}

func TestFaultCertificatesNeedCA(t *testing.T) {
	ca := labCA(t)
	cert, err := ca.Issue([]string{"127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(WithCertificate(cert))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background(), "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.SetFault(Fault{ExpiredCert: true}); err == nil {
		t.Fatal("ExpiredCert accepted without a fault certificate")
	}
	if _, err := New(); err == nil {
		t.Fatal("New without a certificate succeeded")
	}
	s2, err := New(WithCertificate(cert), WithFault(Fault{WrongHostCert: true}))
	if err != nil {
		t.Fatal(err)
	}
	if err := s2.Start(context.Background(), "127.0.0.1:0"); err == nil {
		s2.Close()
		t.Fatal("started with a wrong-host fault and no certificate to present")
	}
}

func TestCloseIdempotent(t *testing.T) {
	s := startSBC(t)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.SetFault(Fault{Down: true}); !errors.Is(err, ErrClosed) {
		t.Fatalf("SetFault after Close: %v", err)
	}
}

func TestRegisterCSeqOrder(t *testing.T) {
	s := startSBC(t)
	d := newDevice(t, s.Addr(), testUser, clientTLS(t, tls.VersionTLS12, tls.VersionTLS12))
	d.cseq = 100
	if res, err := d.register(testPassword, "600"); err != nil || res.StatusCode != 200 {
		t.Fatalf("register: %v %v", res, err)
	}
	// Same Call-ID, CSeq going backwards: an old request, refused.
	d.cseq = 10
	res, err := d.register(testPassword, "600")
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 400 {
		t.Fatalf("REGISTER with a stale CSeq: %d, want 400", res.StatusCode)
	}
	// A new Call-ID (a rebooted device) is fine whatever its CSeq.
	d.callID, d.cseq = "rebooted", 1
	if res, err := d.register(testPassword, "600"); err != nil || res.StatusCode != 200 {
		t.Fatalf("register after reboot: %v %v", res, err)
	}
}
