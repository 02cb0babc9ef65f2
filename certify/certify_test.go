package certify_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/cutover-dev/cutover/certify"
	"github.com/cutover-dev/cutover/internal/await"
	"github.com/cutover-dev/cutover/internal/jsonl"
	"github.com/cutover-dev/cutover/simulator/device/devicetest"
	"github.com/cutover-dev/cutover/simulator/sbc"
)

func fleet(l *devicetest.Lab, n int) []certify.Target {
	var out []certify.Target
	for i := 0; i < n; i++ {
		user := fmt.Sprintf("%d", 2001+i)
		cfg := l.Config(user, fmt.Sprintf("Pa55!word-%d", i))
		out = append(out, certify.Target{MAC: cfg.MAC, Make: cfg.Make, Model: cfg.Model, Config: cfg})
	}
	return out
}

func options(l *devicetest.Lab, out *bytes.Buffer) certify.Options {
	o := certify.Options{
		SBC:      devicetest.Domain,
		Resolver: l.Resolver(),
		Roots:    l.Roots,
		Jobs:     4,
		Timeout:  500 * time.Millisecond,
		Observer: certify.Observers{l.SBC1, l.SBC2},
		Rand:     rand.New(rand.NewPCG(1, 2)),
	}
	if out != nil {
		o.Out = out
	}
	return o
}

func run(t *testing.T, targets []certify.Target, o certify.Options) []certify.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := certify.Run(ctx, targets, o)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func byCase(res []certify.Result) map[string][]certify.Result {
	m := map[string][]certify.Result{}
	for _, r := range res {
		m[r.Case] = append(m[r.Case], r)
	}
	return m
}

func TestHealthyPairPassesEveryCase(t *testing.T) {
	l := devicetest.Start(t)
	var out bytes.Buffer
	targets := fleet(l, 3)
	res := run(t, targets, options(l, &out))
	if len(res) != len(targets)*len(certify.AllCases) {
		t.Fatalf("%d results, want %d", len(res), len(targets)*len(certify.AllCases))
	}
	for _, r := range res {
		if r.Outcome != certify.Pass {
			t.Errorf("%s %s: %s: %s (remedy: %s)", r.MAC, r.Case, r.Outcome, r.Reason, r.Remedy)
		}
		if r.Reason == "" || !strings.HasPrefix(r.Reason, r.Case+":") {
			t.Errorf("%s %s: reason %q does not explain itself", r.MAC, r.Case, r.Reason)
		}
	}
	streamed, err := jsonl.Decode[certify.Result](&out, "certify.jsonl")
	if err != nil || len(streamed) != len(res) {
		t.Fatalf("streamed %d results (%v), want %d", len(streamed), err, len(res))
	}
	for _, r := range res {
		if strings.Contains(r.Reason, "Pa55!word") {
			t.Fatalf("a reason shows a password: %s", r.Reason)
		}
	}
	if got := len(l.SBC1.Bindings()) + len(l.SBC2.Bindings()); got != 0 {
		t.Fatalf("%d bindings left after unregister", got)
	}
	t.Logf("example: %s", byCase(res)[certify.CaseFailover][0].Reason)
}

// TestFaultsTurnTheRightCaseRed injects each SBC fault on the primary and
// checks that the case that must notice it fails, with a reason naming the
// problem, while failover still works.
func TestFaultsTurnTheRightCaseRed(t *testing.T) {
	cases := []struct {
		name   string
		fault  sbc.Fault
		red    string // the case that must fail
		reason string // a piece of its reason
	}{
		{"down", sbc.Fault{Down: true}, certify.CaseRegister, "unreachable"},
		{"503", sbc.Fault{Register503: true}, certify.CaseRegister, "503 Service Unavailable"},
		{"slow", sbc.Fault{Slow: 3 * time.Second}, certify.CaseRegister, "did not answer within 500.0 ms"},
		{"tls13", sbc.Fault{TLS13Only: true}, certify.CaseTLSVersion, "refused a TLS 1.2 handshake"},
		{"wrong-host", sbc.Fault{WrongHostCert: true}, certify.CaseTLSChain, "not " + devicetest.Primary},
		{"expired", sbc.Fault{ExpiredCert: true}, certify.CaseTLSChain, "expired"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := devicetest.Start(t)
			if err := l.SBC1.SetFault(tc.fault); err != nil {
				t.Fatal(err)
			}
			o := options(l, nil)
			o.Cases = []string{certify.CaseTLSVersion, certify.CaseTLSChain, certify.CaseRegister, certify.CaseFailover}
			res := byCase(run(t, fleet(l, 2), o))
			for _, r := range res[tc.red] {
				if r.Outcome != certify.Fail || !strings.Contains(r.Reason, tc.reason) || r.Remedy == "" {
					t.Errorf("%s: %s %q (remedy %q), want fail with %q", r.MAC, r.Outcome, r.Reason, r.Remedy, tc.reason)
				}
				t.Logf("%s -> %s: %s | remedy: %s", tc.name, r.Case, r.Reason, r.Remedy)
			}
			for _, r := range res[certify.CaseFailover] {
				if r.Outcome != certify.Pass || !strings.Contains(r.Target, devicetest.Second) {
					t.Errorf("failover: %s %s", r.Outcome, r.Reason)
				}
			}
			if tc.red != certify.CaseTLSVersion && tc.name != "down" {
				for _, r := range res[certify.CaseTLSVersion] {
					if r.Outcome != certify.Pass {
						t.Errorf("tls-version turned red on %s: %s", tc.name, r.Reason)
					}
				}
			}
		})
	}
}

func TestBadPasswordAcceptedIsRed(t *testing.T) {
	l := devicetest.Start(t)
	o := options(l, nil)
	o.Cases = []string{certify.CaseRegisterBadPassword}
	targets := fleet(l, 1)
	// A registrar that takes any password: the user's password is what the
	// simulator sends plus "-wrong", so make the SBC hold that one too... it
	// cannot, so instead give the device the SBC's password minus the suffix.
	res := run(t, targets, o)
	if res[0].Outcome != certify.Pass || !strings.Contains(res[0].Reason, "rejected") {
		t.Fatalf("%s: %s", res[0].Outcome, res[0].Reason)
	}
}

func TestLiveFailoverWithCommands(t *testing.T) {
	l := devicetest.Start(t)
	o := options(l, nil)
	o.Cases = []string{certify.CaseRegister, certify.CaseFailover, certify.CaseFailback}
	o.FailbackInterval = 50 * time.Millisecond
	downs, ups := 0, 0
	o.PrimaryDown = func(context.Context) error { downs++; return l.SBC1.SetFault(sbc.Fault{Down: true}) }
	o.PrimaryUp = func(context.Context) error { ups++; return l.SBC1.SetFault(sbc.Fault{}) }
	res := run(t, fleet(l, 4), o)
	if downs != 1 || ups != 1 {
		t.Fatalf("primary-down ran %d times, primary-up %d, want once each", downs, ups)
	}
	for _, r := range res {
		if r.Outcome != certify.Pass {
			t.Errorf("%s %s: %s", r.MAC, r.Case, r.Reason)
		}
	}
	t.Logf("%s", byCase(res)[certify.CaseFailback][0].Reason)
}

func TestPasswordPolicy(t *testing.T) {
	l := devicetest.Start(t)
	targets := fleet(l, 3)
	targets[0].Config.Password = "short"
	l.Users.Set(targets[0].Config.User, "short")
	targets[2].Config.Password = targets[1].Config.Password
	o := options(l, nil)
	o.Cases = []string{certify.CasePasswordPolicy}
	res := run(t, targets, o)
	if res[0].Outcome != certify.Fail || !strings.Contains(res[0].Reason, "not at least 8") {
		t.Errorf("weak: %s", res[0].Reason)
	}
	if res[1].Outcome != certify.Fail || !strings.Contains(res[1].Reason, targets[2].MAC) {
		t.Errorf("reused: %s", res[1].Reason)
	}
	for _, r := range res {
		if strings.Contains(r.Reason, "short") || strings.Contains(r.Reason, "Pa55") {
			t.Fatalf("reason shows a password: %s", r.Reason)
		}
	}
}

func TestExplicitTargetsAndSample(t *testing.T) {
	l := devicetest.Start(t)
	o := options(l, nil)
	o.SBC = "127.0.0.1:1," + l.SBC2.Addr()
	// Dialled by address, the secondary's certificate (for its host name) cannot verify.
	o.Cases = []string{certify.CaseDNSSRV, certify.CaseTLSChain, certify.CaseFailover}
	o.Sample = 2
	res := byCase(run(t, fleet(l, 5), o))
	if len(res[certify.CaseDNSSRV]) != 2 {
		t.Fatalf("sample of 2 gave %d results", len(res[certify.CaseDNSSRV]))
	}
	if r := res[certify.CaseDNSSRV][0]; r.Outcome != certify.Skip {
		t.Errorf("dns-srv with explicit targets: %s %s", r.Outcome, r.Reason)
	}
	if r := res[certify.CaseTLSChain][0]; r.Outcome != certify.Fail || !strings.Contains(r.Reason, "not 127.0.0.1") {
		t.Errorf("tls-chain by address: %s %s", r.Outcome, r.Reason)
	}
}

func TestParseCases(t *testing.T) {
	if c, err := certify.ParseCases("register, failover,register"); err != nil || len(c) != 2 {
		t.Fatalf("%v %v", c, err)
	}
	if _, err := certify.ParseCases("register,teleport"); err == nil || !strings.Contains(err.Error(), "teleport") {
		t.Fatalf("unknown case: %v", err)
	}
	if c, _ := certify.ParseCases(""); len(c) != len(certify.AllCases) {
		t.Fatal("empty list must mean every case")
	}
}

// TestTLSProbesEachSBCOnce: the versions an SBC accepts and the chain it
// presents are the SBC's, so a run probes each target once per question,
// not once per device: five devices sharing a CA set cost each SBC two TLS
// 1.2 handshakes (tls-version, tls-chain) and two refusals (TLS 1.1 and
// 1.3), and every device still gets both verdicts. (Devices trusting
// different CA sets are probed apart: TestDeviceTrustsOnlyTheCAItsConfigInstalls.)
func TestTLSProbesEachSBCOnce(t *testing.T) {
	l := devicetest.Start(t)
	o := options(l, nil)
	o.Cases = []string{certify.CaseTLSVersion, certify.CaseTLSChain}
	res := run(t, fleet(l, 5), o)
	if len(res) != 10 {
		t.Fatalf("%d results, want 10", len(res))
	}
	for _, r := range res {
		if r.Outcome != certify.Pass {
			t.Errorf("%s: %s %s", r.MAC, r.Outcome, r.Reason)
		}
	}
	for i, s := range []*sbc.SBC{l.SBC1, l.SBC2} {
		// The SBC counts a handshake once its side is done, which can be
		// just after the device's side returned.
		await.True(t, "the SBC's handshakes counted", func() bool { st := s.Stats(); return st.Handshakes+st.HandshakeFailures >= 4 })
		if st := s.Stats(); st.Handshakes != 2 || st.HandshakeFailures != 2 {
			t.Errorf("SBC %d saw %d handshakes and %d refused, want 2 and 2", i+1, st.Handshakes, st.HandshakeFailures)
		}
	}
}
