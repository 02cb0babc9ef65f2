package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cutover-dev/cutover/certify"
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
}

func TestCertifyUsageErrors(t *testing.T) {
	_, inv, _ := certifyLab(t)
	for name, args := range map[string][]string{
		"no source":       {"certify", "--sbc", "x.test"},
		"both sources":    {"certify", "--run", "d", "--inventory", inv, "--sbc", "x.test"},
		"no sbc":          {"certify", "--inventory", inv},
		"unknown case":    {"certify", "--inventory", inv, "--sbc", "x.test", "--cases", "register,teleport"},
		"half outage":     {"certify", "--inventory", inv, "--sbc", "x.test", "--primary-down", "true"},
		"bad jobs":        {"certify", "--inventory", inv, "--sbc", "x.test", "--jobs", "0"},
		"missing file":    {"certify", "--inventory", filepath.Join(t.TempDir(), "none.csv"), "--sbc", "x.test"},
		"missing ca file": {"certify", "--inventory", inv, "--sbc", "x.test", "--ca", filepath.Join(t.TempDir(), "none.pem")},
		"missing run dir": {"certify", "--run", t.TempDir(), "--sbc", "x.test"},
		"out with run":    {"certify", "--run", t.TempDir(), "--out", t.TempDir(), "--sbc", "x.test"},
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
	res, _ := certify.ReadResults(filepath.Join(out, "certify.jsonl"))
	for _, r := range res {
		if r.Case == certify.CaseFailover && !strings.Contains(r.Reason, "primary "+devicetest.Primary) {
			t.Errorf("failover reason %q", r.Reason)
		}
	}
}
