package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cutover-dev/cutover/simulator/dns"
)

func TestEmulateDNS(t *testing.T) {
	m, _, stop := startCommand(t, regexp.MustCompile(`answering on (\S+) `),
		"cutover", "emulate", "dns", "--listen", "127.0.0.1:0",
		"--srv", "_sips._tcp.example.test=20 40 5061 sbc2.example.test,_sips._tcp.example.test=10 60 5061 sbc1.example.test",
		"--a", "sbc1.example.test=127.0.0.11", "--a", "sbc2.example.test=127.0.0.12")
	res := dns.NewResolver(m[1])
	_, srvs, err := res.LookupSRV(context.Background(), "sips", "tcp", "example.test")
	if err != nil {
		t.Fatal(err)
	}
	if len(srvs) != 2 || srvs[0].Target != "sbc1.example.test." {
		t.Fatalf("SRV answer %v", srvs)
	}
	if code := stop(); code != 0 {
		t.Fatalf("exit %d after Ctrl-C", code)
	}
}

func TestEmulateDNSBadInput(t *testing.T) {
	for _, args := range [][]string{
		{"emulate", "dns", "--srv", "_sips._tcp.x=10 60 5061"},
		{"emulate", "dns", "--a", "sbc1=::1"},
		{"emulate", "dns"},
	} {
		var out, errOut bytes.Buffer
		if code := run(context.Background(), append([]string{"cutover"}, args...), &out, &errOut); code != exitUsage {
			t.Errorf("%v: exit %d, want %d (stderr %s)", args, code, exitUsage, errOut.String())
		}
	}
}

func TestEmulateSBC(t *testing.T) {
	dir := t.TempDir()
	users := filepath.Join(dir, "users.csv")
	if err := os.WriteFile(users, []byte("user,password\n1001,S3cret!pass\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	caOut := filepath.Join(dir, "ca.pem")
	m, _, stop := startCommand(t, regexp.MustCompile(`listening on (\S+) [\s\S]*control endpoint on http://(\S+) `),
		"cutover", "emulate", "sbc", "--listen", "127.0.0.1:0", "--users", users, "--ca-out", caOut,
		"--host", "sbc1.example.test", "--control", "127.0.0.1:0")
	sipAddr, control := m[1], m[2]

	pem, err := os.ReadFile(caOut)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatal("CA file holds no certificate")
	}
	conf := &tls.Config{RootCAs: pool, ServerName: "sbc1.example.test", MinVersion: tls.VersionTLS12}
	c, err := tls.Dial("tcp", sipAddr, conf)
	if err != nil {
		t.Fatalf("TLS to the emulator with the written CA: %v", err)
	}
	if v := c.ConnectionState().Version; v != tls.VersionTLS12 {
		t.Fatalf("negotiated %x, want TLS 1.2", v)
	}
	c.Close()

	// Take it down through the control endpoint, then up again.
	post := func(body string) {
		t.Helper()
		res, err := http.Post("http://"+control+"/fault", "text/plain", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Fatalf("POST /fault %q: %d %s", body, res.StatusCode, b)
		}
	}
	post("down")
	if c, err := net.DialTimeout("tcp", sipAddr, 2*time.Second); err == nil {
		c.Close()
		t.Fatal("connect succeeded while down")
	}
	post("none")
	if c, err := tls.Dial("tcp", sipAddr, conf); err != nil {
		t.Fatalf("after failback: %v", err)
	} else {
		c.Close()
	}
	res, err := http.Post("http://"+control+"/fault", "text/plain", strings.NewReader("bogus"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 400 {
		t.Fatalf("bad fault: %d, want 400", res.StatusCode)
	}
	if code := stop(); code != 0 {
		t.Fatalf("exit %d after Ctrl-C", code)
	}
}

func TestEmulateSBCBadInput(t *testing.T) {
	t.Setenv("WEBEX_TOKEN", "")
	dir := t.TempDir()
	bad := filepath.Join(dir, "users.csv")
	if err := os.WriteFile(bad, []byte("name,secret\nx,y\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"emulate", "sbc", "--listen", "127.0.0.1:0", "--users", bad, "--ca-out", filepath.Join(dir, "ca.pem")}, "expected columns user and password"},
		{[]string{"emulate", "sbc", "--listen", "127.0.0.1:0", "--users", filepath.Join(dir, "missing.csv"), "--ca-out", filepath.Join(dir, "ca.pem")}, "missing.csv"},
		{[]string{"emulate", "sbc", "--users", bad, "--faults", "sideways"}, "unknown fault"},
		{[]string{"emulate", "sbc", "--users", bad, "--cert", "x.pem"}, "--cert and --key"},
		{[]string{"emulate", "sbc", "--users", bad, "--webex-status"}, "--webex-status needs"},
		{[]string{"--webex-url", "http://webex.example.com/v1", "--token", "t", "emulate", "sbc", "--users", bad, "--webex-status"}, "loopback only"},
	} {
		var out, errOut bytes.Buffer
		code := run(context.Background(), append([]string{"cutover"}, tc.args...), &out, &errOut)
		if code != exitUsage || !strings.Contains(errOut.String(), tc.want) {
			t.Errorf("%v: exit %d stderr %q, want exit %d mentioning %q", tc.args, code, errOut.String(), exitUsage, tc.want)
		}
	}
}

// TestEmulateSBCBusyControlSaysNothingOfListening: a --control address
// already taken stops the emulator before it says it is listening, so that
// no script waits on an emulator that is not there.
func TestEmulateSBCBusyControlSaysNothingOfListening(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	dir := t.TempDir()
	users := filepath.Join(dir, "users.csv")
	if err := os.WriteFile(users, []byte("user,password\n0004f2a1b2c3,Lab#Pass1234\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	code := run(t.Context(), []string{"cutover", "emulate", "sbc", "--listen", "127.0.0.1:0", "--users", users,
		"--ca-out", filepath.Join(dir, "ca.pem"), "--control", busy.Addr().String()}, &out, &errb)
	if code != exitFatal || !strings.Contains(errb.String(), "control endpoint") {
		t.Errorf("exit %d, stderr %q; want 3 naming the control endpoint", code, errb.String())
	}
	if strings.Contains(out.String()+errb.String(), "listening") {
		t.Errorf("said it was listening:\nstdout %q\nstderr %q", out.String(), errb.String())
	}
}
