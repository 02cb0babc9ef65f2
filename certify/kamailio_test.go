package certify_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cutover-dev/cutover/certify"
	"github.com/cutover-dev/cutover/simulator/device"
	"github.com/cutover-dev/cutover/simulator/device/devicetest"
)

// TestKamailioPair runs the whole plan on 50 simulated devices against two
// real Kamailio registrars behind the project's DNS server: TLS 1.2 only,
// the chain, SRV order, digest registration, a wrong password refused,
// refresh, live failover and failback with the primary stopped by its pid
// and started again, keepalives, User-Agent, calls routed by Kamailio
// between the devices, and unregistering.
func TestKamailioPair(t *testing.T) {
	const n = 50
	users := map[string]string{}
	var targets []certify.Target
	for i := 0; i < n; i++ {
		user := fmt.Sprintf("%d", 5001+i)
		pw := fmt.Sprintf("Kam!l%03dPw", i)
		users[user] = pw
		cfg := device.Config{MAC: devicetest.MAC(user), Make: "Yealink", Model: "T57W", User: user, Domain: devicetest.Domain, Password: pw, SRVDomain: devicetest.Domain}
		targets = append(targets, certify.Target{MAC: cfg.MAC, Make: cfg.Make, Model: cfg.Model, Config: cfg})
	}
	// certify's own loopback pair: simulator/lab uses .11/.12 and
	// simulator/device .31/.32, and go test runs packages in parallel.
	kl := devicetest.StartKamailio(t, users, devicetest.KamailioLabOptions{PrimaryIP: "127.0.0.21", SecondaryIP: "127.0.0.22"})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	res, err := certify.Run(ctx, targets, certify.Options{
		SBC:              devicetest.Domain,
		Resolver:         kl.Resolver(),
		Roots:            kl.Roots,
		Cases:            certify.AllCases,
		Jobs:             10,
		PrimaryDown:      kl.StopPrimary,
		PrimaryUp:        kl.StartPrimary,
		FailbackInterval: 500 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != n*len(certify.AllCases) {
		t.Fatalf("%d results, want %d", len(res), n*len(certify.AllCases))
	}
	for _, s := range certify.Summarize(res) {
		t.Logf("%-22s pass %d fail %d skip %d", s.Case, s.Passed, s.Failed, s.Skipped)
	}
	shown := 0
	for _, r := range res {
		if r.Outcome != certify.Pass {
			if shown < 10 {
				t.Errorf("%s %s: %s: %s", r.MAC, r.Case, r.Outcome, r.Reason)
			}
			shown++
		}
	}
	// The fleet's times through the real outage (Kamailio killed by pid):
	// every device took part and got there, both ways.
	fo, fb := certify.Fleet(res)
	for _, p := range []certify.FleetPhase{fo, fb} {
		if p.Devices != n || p.Never() != 0 || !p.Mark(100).Reached {
			t.Errorf("fleet %s: %d devices, %d never, 100%% %+v; want %d all there", p.Case, p.Devices, p.Never(), p.Mark(100), n)
		}
		t.Logf("fleet %s: %s", p.Case, marks(p))
	}
	by := byCase(res)
	t.Logf("e.g. %s", by[certify.CaseFailover][0].Reason)
	t.Logf("e.g. %s", by[certify.CaseFailback][0].Reason)
	t.Logf("e.g. %s", by[certify.CaseRegisterBadPassword][0].Reason)
}

// TestBrokenConfigsTurnRedOnKamailio is the same against two real Kamailio
// registrars.
func TestBrokenConfigsTurnRedOnKamailio(t *testing.T) {
	users := map[string]string{}
	fleet := breakFleet(t, users)
	kl := devicetest.StartKamailio(t, users, devicetest.KamailioLabOptions{PrimaryIP: "127.0.0.23", SecondaryIP: "127.0.0.24"})
	runBreakages(t, fleet, certify.Options{
		Resolver: kl.Resolver(), Roots: kl.Roots, Jobs: 5, Timeout: max(time.Second, breakTimeout()),
		FailbackInterval: 200 * time.Millisecond,
	})
}
