package lab

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/cutover-dev/cutover/simulator/pki"
)

func TestMain(m *testing.M) {
	sip.SetDefaultLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	os.Exit(m.Run())
}

const (
	labRealm = "example.test"
	labUser  = "1001"
	labPass  = `S3cret:pa\ss!` // ':' and '\' exercise db_text escaping
)

type labFiles struct {
	ca    *pki.CA
	files pki.Files
}

func labPKI(t *testing.T, dir string, hosts ...string) labFiles {
	t.Helper()
	ca, err := pki.NewCA("lab test CA")
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.Issue(append([]string{"sbc.example.test"}, hosts...))
	if err != nil {
		t.Fatal(err)
	}
	files, err := ca.WriteFiles(filepath.Join(dir, "pki"), "sbc", cert)
	if err != nil {
		t.Fatal(err)
	}
	return labFiles{ca: ca, files: files}
}

// startKamailio starts Kamailio on host on a free port. go test runs
// packages in parallel, so each package that starts lab processes keeps to
// its own loopback addresses: this one 127.0.0.11-.14, certify .21/.22,
// simulator/device .31-.33. A port picked free on an address nobody else
// binds stays free until Kamailio binds it, and across a Stop and Start.
func startKamailio(t *testing.T, host string, lf labFiles, dir string) *Kamailio {
	t.Helper()
	addr := net.JoinHostPort(host, "0")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	k, err := StartKamailio(ctx, KamailioOptions{
		Addr:     addr,
		CertFile: lf.files.Cert,
		KeyFile:  lf.files.Key,
		CAFile:   lf.files.CA,
		Users:    map[string]string{labUser: labPass, "1002": "0ther!Pass"},
		Realm:    labRealm,
		Dir:      dir,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		k.Stop()
		if t.Failed() {
			t.Logf("kamailio %s log tail:\n%s", k.Addr(), k.LogTail(30))
		}
	})
	return k
}

func register(t *testing.T, k *Kamailio, ca *pki.CA, user, password string) (*sip.Response, error) {
	t.Helper()
	conf := &tls.Config{RootCAs: ca.Pool(), ServerName: "sbc.example.test", MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS12}
	ua, err := sipgo.NewUA(sipgo.WithUserAgent(user), sipgo.WithUserAgentHostname(labRealm), sipgo.WithUserAgenTLSConfig(conf))
	if err != nil {
		t.Fatal(err)
	}
	defer ua.Close()
	client, err := sipgo.NewClient(ua)
	if err != nil {
		t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(k.Addr())
	p, _ := strconv.Atoi(port)
	req := sip.NewRequest(sip.REGISTER, sip.Uri{Scheme: "sip", Host: host, Port: p, UriParams: sip.HeaderParams{{K: "transport", V: "tls"}}})
	aor := sip.Uri{Scheme: "sip", User: user, Host: labRealm}
	from := &sip.FromHeader{Address: aor, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(8))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: aor, Params: sip.NewParams()})
	req.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: user, Host: "127.0.0.1", Port: 5099, UriParams: sip.HeaderParams{{K: "transport", V: "tls"}}}})
	req.AppendHeader(sip.NewHeader("Expires", "300"))
	req.AppendHeader(sip.NewHeader("User-Agent", "cutover lab test"))
	req.SetTransport("TLS")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := client.Do(ctx, req)
	if err != nil {
		return nil, err
	}
	if res.StatusCode != 401 {
		return res, nil
	}
	return client.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: user, Password: password})
}

func TestKamailioPair(t *testing.T) {
	RequireKamailio(t)
	dir := t.TempDir()
	lf := labPKI(t, dir, "127.0.0.11", "127.0.0.12")
	primary := startKamailio(t, "127.0.0.11", lf, dir)
	secondary := startKamailio(t, "127.0.0.12", lf, dir)
	if primary.Pid() == 0 || secondary.Pid() == 0 || primary.Pid() == secondary.Pid() {
		t.Fatalf("pids %d %d", primary.Pid(), secondary.Pid())
	}
	st, err := os.Stat(filepath.Join(primary.RunDir(), "db", "subscriber"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("subscriber table: %v mode %v, want 0600", err, st.Mode().Perm())
	}

	for _, k := range []*Kamailio{primary, secondary} {
		res, err := register(t, k, lf.ca, labUser, labPass)
		if err != nil {
			t.Fatalf("%s: register: %v", k.Addr(), err)
		}
		if res.StatusCode != 200 {
			t.Fatalf("%s: register: %d %s, want 200", k.Addr(), res.StatusCode, res.Reason)
		}
		// Kamailio answers a wrong password with a fresh challenge.
		res, err = register(t, k, lf.ca, labUser, "wrong-password")
		if err != nil {
			t.Fatalf("%s: wrong password: %v", k.Addr(), err)
		}
		if res.StatusCode != 401 {
			t.Fatalf("%s: wrong password: %d, want 401", k.Addr(), res.StatusCode)
		}
	}

	// TLS 1.2 only: a 1.3-only client is refused at the handshake.
	c, err := tls.Dial("tcp", primary.Addr(), &tls.Config{RootCAs: lf.ca.Pool(), ServerName: "sbc.example.test", MinVersion: tls.VersionTLS13})
	if err == nil {
		c.Close()
		t.Fatal("TLS 1.3-only client accepted")
	}
	if !strings.Contains(err.Error(), "protocol version") {
		t.Fatalf("TLS 1.3-only client: %v, want a protocol version alert", err)
	}

	// OPTIONS answered.
	if err := options(t, primary, lf.ca); err != nil {
		t.Fatal(err)
	}

	// Stop: connections refused. Start: registers again (failback).
	pid := primary.Pid()
	if err := primary.Stop(); err != nil {
		t.Fatal(err)
	}
	if primary.Pid() != 0 {
		t.Fatal("Pid after Stop is not 0")
	}
	if err := processGone(pid); err != nil {
		t.Fatal(err)
	}
	if c, err := net.DialTimeout("tcp", primary.Addr(), 2*time.Second); err == nil {
		c.Close()
		t.Fatal("stopped kamailio still accepts connections")
	}
	if res, err := register(t, secondary, lf.ca, labUser, labPass); err != nil || res.StatusCode != 200 {
		t.Fatalf("secondary while primary down: %v %v", res, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := primary.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if res, err := register(t, primary, lf.ca, labUser, labPass); err != nil || res.StatusCode != 200 {
		t.Fatalf("primary after restart: %v %v", res, err)
	}
}

func options(t *testing.T, k *Kamailio, ca *pki.CA) error {
	t.Helper()
	conf := &tls.Config{RootCAs: ca.Pool(), ServerName: "sbc.example.test", MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS12}
	ua, err := sipgo.NewUA(sipgo.WithUserAgenTLSConfig(conf))
	if err != nil {
		return err
	}
	defer ua.Close()
	client, err := sipgo.NewClient(ua)
	if err != nil {
		return err
	}
	host, port, _ := net.SplitHostPort(k.Addr())
	p, _ := strconv.Atoi(port)
	req := sip.NewRequest(sip.OPTIONS, sip.Uri{Scheme: "sip", Host: host, Port: p, UriParams: sip.HeaderParams{{K: "transport", V: "tls"}}})
	req.SetTransport("TLS")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := client.Do(ctx, req)
	if err != nil {
		return err
	}
	if res.StatusCode != 200 {
		return errors.New("OPTIONS answered " + res.StartLine())
	}
	return nil
}

// processGone checks pid no longer exists (signal 0 probes without acting).
func processGone(pid int) error {
	p, err := os.FindProcess(pid)
	if err != nil {
		return nil
	}
	if err := p.Signal(syscall.Signal(0)); err == nil {
		return errors.New("kamailio main process still alive after Stop")
	}
	return nil
}

func TestSubscriberTableEscaping(t *testing.T) {
	got, err := subscriberTable(map[string]string{"b": `p:a\ss`, "a": "x"}, "r:ealm")
	if err != nil {
		t.Fatal(err)
	}
	want := "id(int,auto) username(string) domain(string) password(string) ha1(string,null) ha1b(string,null) \n" +
		"1:a:r\\:ealm:x::\n" +
		"2:b:r\\:ealm:p\\:a\\\\ss::\n"
	if string(got) != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	if _, err := subscriberTable(map[string]string{"a": "x\ny"}, "r"); err == nil {
		t.Fatal("accepted a password with a line break")
	}
}

func TestStartKamailioRejectsBadOptions(t *testing.T) {
	ctx := context.Background()
	if _, err := StartKamailio(ctx, KamailioOptions{Addr: "10.0.0.1:5061", CertFile: "c", KeyFile: "k", Dir: t.TempDir()}); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("non-loopback address: %v", err)
	}
	if _, err := StartKamailio(ctx, KamailioOptions{Addr: "127.0.0.1:5061", Dir: t.TempDir()}); err == nil {
		t.Fatal("missing certificate accepted")
	}
}

func TestKamailioBusyPort(t *testing.T) {
	RequireKamailio(t)
	l, err := net.Listen("tcp", "127.0.0.13:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	dir := t.TempDir()
	lf := labPKI(t, dir, "127.0.0.13")
	_, err = StartKamailio(context.Background(), KamailioOptions{
		Addr: l.Addr().String(), CertFile: lf.files.Cert, KeyFile: lf.files.Key, Dir: dir,
		Users: map[string]string{labUser: labPass},
	})
	if err == nil || !strings.Contains(err.Error(), "exited during startup") || !strings.Contains(err.Error(), "Address already in use") {
		t.Fatalf("port taken: %v, want an exit during startup with the log tail naming the bind error", err)
	}
	if strings.Contains(err.Error(), labPass) {
		t.Fatal("error leaks a password")
	}
}
