package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/cutover-dev/cutover/internal/labtool"
	"github.com/cutover-dev/cutover/webex"
)

// startWebexEmulator runs `cutover emulate webex` in-process until its
// banner shows; it returns the base URL, the stdout buffer and a stop
// function returning the exit code.
func startWebexEmulator(t *testing.T, args ...string) (string, *labtool.Output, func() int) {
	t.Helper()
	m, out, stop := startCommand(t, regexp.MustCompile(`serving (\S+/v1);`),
		append([]string{"cutover", "emulate", "webex", "--listen", "127.0.0.1:0"}, args...)...)
	return m[1], out, stop
}

func getJSON(t *testing.T, hc *http.Client, url, token string, v any) int {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == 200 && v != nil {
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			t.Fatal(err)
		}
	}
	return resp.StatusCode
}

const emulateWebexInventory = `mac,type,make,model,owner,owner_type,location,lines,sip_password
00:15:65:12:34:56,phone,Yealink,T57W,zoe.quinn@example.com,person,Lyon Office,front.desk@example.com,Zq-Secret-77
00:04:f2:ab:cd:ef,gateway,AudioCodes,MP-118,Fax Room,workspace,Lyon Office,,Gw-Secret-88
`

func TestEmulateWebexWithTokenAndInventory(t *testing.T) {
	inv := filepath.Join(t.TempDir(), "inventory.csv")
	if err := os.WriteFile(inv, []byte(emulateWebexInventory), 0o600); err != nil {
		t.Fatal(err)
	}
	base, out, stop := startWebexEmulator(t, "--token", "lab-admin-token", "--inventory", inv, "--faults", "rate=1000")
	if !strings.Contains(out.String(), "token: as given") || strings.Contains(out.String(), "lab-admin-token") {
		t.Errorf("banner:\n%s", out.String())
	}
	hc := http.DefaultClient
	for _, email := range []string{"zoe.quinn@example.com", "front.desk@example.com"} {
		var l webex.ListResponse[webex.Person]
		if st := getJSON(t, hc, base+"/people?callingData=true&email="+email, "lab-admin-token", &l); st != 200 || len(l.Items) != 1 {
			t.Fatalf("person %s: status %d, %+v", email, st, l.Items)
		}
	}
	var ws webex.ListResponse[webex.Workspace]
	if st := getJSON(t, hc, base+"/workspaces?displayName=Fax%20Room", "lab-admin-token", &ws); st != 200 || len(ws.Items) != 1 {
		t.Fatalf("workspace: status %d, %+v", st, ws.Items)
	}
	var lc webex.LocationCalling
	getJSON(t, hc, base+"/telephony/config/locations/"+ws.Items[0].LocationID, "lab-admin-token", &lc)
	if lc.Name != "Lyon Office" || lc.DefaultDomain != "lyon-office.sip.example.test" {
		t.Errorf("location = %+v", lc)
	}
	if st := getJSON(t, hc, base+"/devices", "wrong-token", nil); st != 401 {
		t.Errorf("wrong token: status %d", st)
	}
	var state map[string]any
	if st := getJSON(t, hc, strings.TrimSuffix(base, "/v1")+"/_emulator/state", "", &state); st != 200 || state["faults"] != "rate=1000" {
		t.Errorf("admin view: %d %v", st, state["faults"])
	}
	if code := stop(); code != 0 {
		t.Errorf("exit code %d after Ctrl-C", code)
	}
}

func TestEmulateWebexGeneratedToken(t *testing.T) {
	tokenFile := filepath.Join(t.TempDir(), "token")
	base, out, stop := startWebexEmulator(t, "--token-file", tokenFile)
	defer stop()
	fi, err := os.Stat(tokenFile)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("token file mode %v, want 0600", fi.Mode().Perm())
	}
	raw, _ := os.ReadFile(tokenFile)
	token := strings.TrimSpace(string(raw))
	if token == "" || strings.Contains(out.String(), token) {
		t.Fatalf("token empty or printed:\n%s", out.String())
	}
	if !strings.Contains(out.String(), tokenFile) {
		t.Errorf("banner does not say where the token is:\n%s", out.String())
	}
	if st := getJSON(t, http.DefaultClient, base+"/telephony/config/supportedDevices", token, nil); st != 200 {
		t.Errorf("generated token: status %d", st)
	}
}

func TestEmulateWebexTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := labServerCert(t, dir)
	base, _, stop := startWebexEmulator(t, "--token", "tls-token", "--tls-cert", certFile, "--tls-key", keyFile)
	defer stop()
	if !strings.HasPrefix(base, "https://") {
		t.Fatalf("base %s is not https", base)
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{
		RootCAs: pool, MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS12,
	}}}
	if st := getJSON(t, hc, base+"/locations", "tls-token", nil); st != 200 {
		t.Errorf("over TLS 1.2: status %d", st)
	}
}

func TestEmulateWebexBadInput(t *testing.T) {
	dir := t.TempDir()
	badSeed := filepath.Join(dir, "seed.json")
	if err := os.WriteFile(badSeed, []byte(`{"people": [{"email": "x@y.example", "nick": 1}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	tests := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"--faults", "error=2"}, exitUsage, `item 1 "error=2": expected a ratio`},
		{[]string{"--seed", badSeed}, exitUsage, `unknown field "nick"`},
		{[]string{"--seed", filepath.Join(dir, "missing.json")}, exitUsage, "missing.json"},
		{[]string{"--inventory", filepath.Join(dir, "missing.csv")}, exitUsage, "missing.csv"},
		{[]string{"--tls-cert", "x.pem"}, exitUsage, "--tls-cert and --tls-key go together"},
		{[]string{"--token", "a", "--token-file", "f"}, exitUsage, "--token-file"},
		{[]string{"extra"}, exitUsage, "takes no arguments"},
	}
	for _, tc := range tests {
		var out, errOut bytes.Buffer
		code := run(context.Background(), append([]string{"cutover", "emulate", "webex", "--listen", "127.0.0.1:0"}, tc.args...), &out, &errOut)
		if code != tc.code || !strings.Contains(errOut.String(), tc.msg) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, code, errOut.String(), tc.code, tc.msg)
		}
	}
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"cutover", "emulate", "webex", "--token", "t", "--listen", busy.Addr().String()}, &out, &errOut)
	if code != exitFatal || !strings.Contains(errOut.String(), "address already in use") {
		t.Errorf("busy port: exit %d, stderr %q", code, errOut.String())
	}
}
