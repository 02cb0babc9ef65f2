package main

import (
	"bytes"
	"crypto/x509"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cutover-dev/cutover/simulator/device"
	"github.com/cutover-dev/cutover/simulator/sbc"
)

// Two processes' worth of emulators, linked: `emulate sbc --webex-status`
// reports each registration to `emulate webex`, whose GET /devices then
// shows the device connected, and `cutover watch` sees the fleet online.
func TestWatchWithSeparateEmulators(t *testing.T) {
	tmp := t.TempDir()
	inv := filepath.Join(tmp, "inventory.csv")
	if err := os.WriteFile(inv, []byte(emulateWebexInventory), 0o600); err != nil {
		t.Fatal(err)
	}
	const tok = "lab-admin-token"
	base, _, stopWebex := startWebexEmulator(t, "--token", tok, "--inventory", inv)
	dir := filepath.Join(tmp, "run")
	global := func(args ...string) []string {
		return append([]string{"cutover", "--webex-url", base, "--token", tok}, args...)
	}
	var out, errb bytes.Buffer
	if code := run(t.Context(), global("--quiet", "migrate", inv, "--run", dir, "--rate", "1000"), &out, &errb); code != 0 {
		t.Fatalf("migrate exit %d\n%s\n%s", code, out.String(), errb.String())
	}
	users := filepath.Join(tmp, "users.csv")
	if code := run(t.Context(), []string{"cutover", "lab", "users", "--run", dir, "--out", users}, &out, &errb); code != 0 {
		t.Fatalf("lab users exit %d\n%s", code, errb.String())
	}
	caOut := filepath.Join(tmp, "ca.pem")
	m, _, stopSBC := startCommand(t, regexp.MustCompile(`listening on (\S+) `),
		global("emulate", "sbc", "--listen", "127.0.0.1:0", "--users", users, "--ca-out", caOut, "--webex-status")...)
	sipAddr := m[1]

	pem, err := os.ReadFile(caOut)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	creds, err := sbc.LoadUsers(users)
	if err != nil || len(creds) != 2 {
		t.Fatalf("users: %v %v", creds, err)
	}
	for user, pw := range creds {
		d, err := device.New(device.Config{MAC: "001565123456", Make: "Yealink", Model: "T57W", User: user, Domain: "lab.test",
			AuthUser: user, Password: pw, Proxies: []string{sipAddr}}, device.WithRoots(pool), device.WithTimeout(5*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		if _, err := d.Register(t.Context()); err != nil {
			t.Fatalf("registering %s: %v", user, err)
		}
	}

	out.Reset()
	errb.Reset()
	code := run(t.Context(), global("watch", "--run", dir, "--interval", "100ms", "--deadline", "10s"), &out, &errb)
	if code != 0 || !strings.Contains(out.String(), "all 2 devices connected in Webex") {
		t.Fatalf("watch exit %d\n%s\n%s", code, out.String(), errb.String())
	}
	if c := stopSBC(); c != 0 {
		t.Errorf("emulate sbc exit %d", c)
	}
	if c := stopWebex(); c != 0 {
		t.Errorf("emulate webex exit %d", c)
	}
}
