package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cutover-dev/cutover/certify"
	"github.com/cutover-dev/cutover/render"
	"github.com/cutover-dev/cutover/simulator/device/devicetest"
	"github.com/cutover-dev/cutover/simulator/sbc"
)

// certifyLab starts two SBC emulators behind SRV records and writes a lab
// inventory of two devices and the lab CA file.
func certifyLab(t *testing.T) (*devicetest.Lab, string, string) {
	t.Helper()
	l := devicetest.Start(t)
	dir := t.TempDir()
	inv := filepath.Join(dir, "lab.csv")
	l.Users.Set("3001", "Gr8!secret1")
	l.Users.Set("3002", "Gr8!secret2")
	data := "mac,make,model,sip_user,sip_password,domain\n" +
		"001565A1B2C3,Yealink,T57W,3001,Gr8!secret1," + devicetest.Domain + "\n" +
		"0004F2A1B2C4,Poly,VVX450,3002,Gr8!secret2," + devicetest.Domain + "\n"
	if err := os.WriteFile(inv, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, l.CA.CertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	return l, inv, ca
}

func runCertifyCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var out, errOut bytes.Buffer
	code := run(ctx, append([]string{"cutover"}, args...), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestCertifyInventoryAgainstLab(t *testing.T) {
	l, inv, ca := certifyLab(t)
	out := t.TempDir()
	code, stdout, stderr := runCertifyCLI(t, "certify", "--inventory", inv, "--sbc", devicetest.Domain,
		"--dns", l.DNS.Addr(), "--ca", ca, "--out", out, "--jobs", "2", "--timeout", "1s", "-q")
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, c := range certify.AllCases {
		if !strings.Contains(stdout, c) {
			t.Errorf("summary lacks %s:\n%s", c, stdout)
		}
	}
	res, err := certify.ReadResults(filepath.Join(out, "certify.jsonl"))
	if err != nil || len(res) != 2*len(certify.AllCases) {
		t.Fatalf("%d results (%v)", len(res), err)
	}
	if strings.Contains(stdout+stderr, "Gr8!secret") {
		t.Fatal("a password reached the output")
	}
}

// --source-ip: the SBC sees each device register from the address its turn
// gives it; without the flag, from the system's choice.
func TestCertifySourceIP(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--source-ip", "127.0.0.2, 127.0.0.3"}, "127.0.0.2 127.0.0.3"},
		{nil, "127.0.0.1 127.0.0.1"},
	} {
		l, inv, ca := certifyLab(t)
		args := append([]string{"certify", "--inventory", inv, "--sbc", devicetest.Domain,
			"--dns", l.DNS.Addr(), "--ca", ca, "--out", t.TempDir(), "--cases", "register", "-q"}, tc.args...)
		if code, stdout, stderr := runCertifyCLI(t, args...); code != 0 {
			t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
		}
		var got []string
		for _, b := range l.SBC1.Bindings() {
			host, _, _ := net.SplitHostPort(b.Source)
			got = append(got, host)
		}
		slices.Sort(got)
		if strings.Join(got, " ") != tc.want {
			t.Errorf("%v: registered from %v, want %s", tc.args, got, tc.want)
		}
	}
}

func TestCertifyFailureExitsOne(t *testing.T) {
	l, inv, ca := certifyLab(t)
	if err := l.SBC1.SetFault(sbc.Fault{ExpiredCert: true}); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	code, stdout, _ := runCertifyCLI(t, "certify", "--inventory", inv, "--sbc", devicetest.Domain,
		"--dns", l.DNS.Addr(), "--ca", ca, "--out", out, "--cases", "tls-chain,failover", "-q")
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, stdout)
	}
	if !strings.Contains(stdout, "tls-chain") || !strings.Contains(stdout, "expired") || !strings.Contains(stdout, "renew the SBC certificate") {
		t.Fatalf("summary does not explain the failure:\n%s", stdout)
	}
	// certify ends with its reports, failed cases included, and keeps its
	// results (which may quote an SBC) private.
	for _, name := range []string{"report.html", "report.xlsx", "junit.xml"} {
		if fi, err := os.Stat(filepath.Join(out, name)); err != nil || fi.Size() == 0 {
			t.Errorf("%s after a failed certification: %v", name, err)
		}
	}
	junit, _ := os.ReadFile(filepath.Join(out, "junit.xml"))
	if !bytes.Contains(junit, []byte("<failure")) {
		t.Errorf("junit.xml shows no failure")
	}
	if fi, err := os.Stat(filepath.Join(out, "certify.jsonl")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("certify.jsonl: %v, mode %v; want 0600", err, fi.Mode().Perm())
	}
}

func TestCertifyUsageErrors(t *testing.T) {
	_, inv, _ := certifyLab(t)
	for name, args := range map[string][]string{
		"no source":       {"certify", "--sbc", "x.test"},
		"both sources":    {"certify", "--run", "d", "--inventory", inv, "--sbc", "x.test"},
		"no sbc":          {"certify", "--inventory", inv},
		"bad only":        {"certify", "--inventory", inv, "--sbc", "x.test", "--only", "nope"},
		"unknown case":    {"certify", "--inventory", inv, "--sbc", "x.test", "--cases", "register,teleport"},
		"half outage":     {"certify", "--inventory", inv, "--sbc", "x.test", "--primary-down", "true"},
		"bad jobs":        {"certify", "--inventory", inv, "--sbc", "x.test", "--jobs", "0"},
		"missing file":    {"certify", "--inventory", filepath.Join(t.TempDir(), "none.csv"), "--sbc", "x.test"},
		"missing ca file": {"certify", "--inventory", inv, "--sbc", "x.test", "--ca", filepath.Join(t.TempDir(), "none.pem")},
		"missing run dir": {"certify", "--run", t.TempDir(), "--sbc", "x.test"},
		"out with run":    {"certify", "--run", t.TempDir(), "--out", t.TempDir(), "--sbc", "x.test"},
		"bad source ip":   {"certify", "--inventory", inv, "--sbc", "x.test", "--source-ip", "127.0.0.2,nope"},
		"foreign source":  {"certify", "--inventory", inv, "--sbc", "x.test", "--source-ip", "192.0.2.1"},
	} {
		t.Run(name, func(t *testing.T) {
			code, _, stderr := runCertifyCLI(t, args...)
			if code != 2 {
				t.Fatalf("exit %d, want 2; stderr: %s", code, stderr)
			}
			if !strings.HasPrefix(stderr, "cutover: ") {
				t.Fatalf("stderr %q", stderr)
			}
		})
	}
}

func TestCertifyLiveOutageCommands(t *testing.T) {
	l, inv, ca := certifyLab(t)
	// The commands flip a flag file; the test's watcher applies it to the SBC,
	// standing in for a lab script that stops and starts a real SBC.
	flag := filepath.Join(t.TempDir(), "down")
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		down := false
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
			_, err := os.Stat(flag)
			if now := err == nil; now != down {
				down = now
				_ = l.SBC1.SetFault(sbc.Fault{Down: down})
			}
		}
	}()
	out := t.TempDir()
	code, stdout, stderr := runCertifyCLI(t, "certify", "--inventory", inv, "--sbc", devicetest.Domain,
		"--dns", l.DNS.Addr(), "--ca", ca, "--out", out, "--cases", "register,failover,failback",
		"--primary-down", "touch "+flag, "--primary-up", "rm "+flag, "-q")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	// The fleet's figures of the outage, in one line.
	if !regexp.MustCompile(`(?m)^fleet failover of \d+ devices: 50% [^;]+, 95% [^;]+, 100% [0-9.]+ m?s; failback of \d+ devices: 50% `).MatchString(stdout) {
		t.Errorf("no fleet failover line in\n%s", stdout)
	}
	res, _ := certify.ReadResults(filepath.Join(out, "certify.jsonl"))
	for _, r := range res {
		if r.Case == certify.CaseFailover && !strings.Contains(r.Reason, "primary "+devicetest.Primary) {
			t.Errorf("failover reason %q", r.Reason)
		}
	}
}

// certifyRunDir renders devices as a migration publishes them (each config
// pointing at the lab's SRV name) and writes the plan naming them.
func certifyRunDir(t *testing.T, l *devicetest.Lab, devs ...render.Device) string {
	t.Helper()
	dir := t.TempDir()
	r, err := render.New()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, render.ConfigsDir), 0o700); err != nil {
		t.Fatal(err)
	}
	var plan struct {
		Devices []map[string]string `json:"devices"`
	}
	for _, d := range devs {
		l.Users.Set(d.Info.SIPUserName, d.Password)
		files, err := r.Render(d)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if err := os.WriteFile(filepath.Join(dir, render.ConfigsDir, f.Name), f.Data, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		plan.Devices = append(plan.Devices, map[string]string{
			"mac": d.Info.MAC, "make": d.Make, "model": d.Model, "vendor": d.Vendor, "action": "create"})
	}
	b, _ := json.Marshal(plan)
	if err := os.WriteFile(filepath.Join(dir, "plan.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

func labDevice(mac, make, model, vendor, user, pw string) render.Device {
	return render.Device{
		Info: render.DeviceInfo{MAC: mac, Model: model, DeviceID: "id-" + mac, SIPUserName: user,
			OutboundProxy: devicetest.Domain, Domain: devicetest.Domain,
			Lines: []render.LineInfo{{Port: 1, LinePort: user + "@" + devicetest.Domain}}},
		Make: make, Model: model, Vendor: vendor, Password: pw,
	}
}

// TestCertifyRunFollowsEachConfig: without --sbc each device follows its
// own config's outbound proxy (through --dns); --only picks devices; a
// device without a config fails with why instead of stopping the run.
func TestCertifyRunFollowsEachConfig(t *testing.T) {
	l, _, ca := certifyLab(t)
	dir := certifyRunDir(t, l,
		labDevice("001565C00001", "Yealink", "T57W", render.VendorYealink, "run_c00001", "Ru9!nPass1"),
		labDevice("001122C00002", "Acme", "SIP-1", render.VendorGeneric, "run_c00002", "Ru9!nPass2"),
		labDevice("001122C00003", "Acme", "SIP-1", render.VendorGeneric, "run_c00003", "Ru9!nPass3"),
	)
	if err := os.Remove(filepath.Join(dir, render.ConfigsDir, "001122c00003.sip.conf")); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCertifyCLI(t, "certify", "--run", dir, "--dns", l.DNS.Addr(), "--ca", ca,
		"--only", "00:11:22:c0:00:02", "--cases", "tls-version,dns-srv,register", "-q")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	res, err := certify.ReadResults(filepath.Join(dir, "certify.jsonl"))
	if err != nil || len(res) != 3 {
		t.Fatalf("%d results (%v), want 3 for the one device of --only", len(res), err)
	}
	for _, r := range res {
		if r.MAC != "001122C00002" || r.Outcome != certify.Pass {
			t.Errorf("%s %s %s: %s", r.MAC, r.Case, r.Outcome, r.Reason)
		}
	}
	code, stdout, _ = runCertifyCLI(t, "certify", "--run", dir, "--dns", l.DNS.Addr(), "--ca", ca,
		"--cases", "register", "-q")
	if code != 1 || !strings.Contains(stdout, "001122C00003: register: no usable config: no config published") {
		t.Fatalf("exit %d, want 1 naming the device without config:\n%s", code, stdout)
	}
	if code, _, stderr := runCertifyCLI(t, "certify", "--run", dir, "--only", "001122C0FFFF", "-q"); code != 2 || !strings.Contains(stderr, "001122C0FFFF") {
		t.Fatalf("--only of an unknown MAC: exit %d, %s", code, stderr)
	}
}
