// Package devicetest starts a lab for device simulator and certification
// tests on 127.0.0.1: a lab CA, a primary and a secondary SBC emulator
// (each with a certificate for its own host name, on an ephemeral port), and
// a DNS server answering _sips._tcp.<Domain> with both, in the way
// net/http/httptest starts a server.
package devicetest

import (
	"context"
	"crypto/x509"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/cutover-dev/cutover/simulator/device"
	"github.com/cutover-dev/cutover/simulator/dns"
	"github.com/cutover-dev/cutover/simulator/pki"
	"github.com/cutover-dev/cutover/simulator/sbc"
)

// Names the lab publishes.
const (
	Domain  = "example.test"
	Primary = "sbc1.example.test"
	Second  = "sbc2.example.test"
)

// Lab is a running pair of SBCs behind SRV records.
type Lab struct {
	CA    *pki.CA
	SBC1  *sbc.SBC
	SBC2  *sbc.SBC
	DNS   *dns.Server
	Users *sbc.MutableUsers
	// Roots trusts the lab CA (and the embedded IdenTrust roots).
	Roots *x509.CertPool
}

var (
	caOnce sync.Once
	ca     *pki.CA
	caErr  error
)

// CA returns a lab CA shared by the test binary (key generation is the slow part).
func CA() (*pki.CA, error) {
	caOnce.Do(func() { ca, caErr = pki.NewCA("cutover devicetest CA") })
	return ca, caErr
}

// Start starts the lab; everything stops when the test ends. opts are added
// to both SBCs.
func Start(tb testing.TB, opts ...sbc.Option) *Lab {
	tb.Helper()
	l, stop, err := StartLab(context.Background(), opts...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(stop)
	return l
}

// StartLab is Start for callers without a testing.TB (benchmarks' helper
// processes, demos); stop releases everything.
func StartLab(ctx context.Context, opts ...sbc.Option) (*Lab, func(), error) {
	c, err := CA()
	if err != nil {
		return nil, nil, fmt.Errorf("creating lab CA: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	l := &Lab{CA: c, Users: &sbc.MutableUsers{}, Roots: device.TrustStore(c.Certificate())}
	var closers []func()
	stop := func() {
		cancel()
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	start := func(host string) (*sbc.SBC, error) {
		base := []sbc.Option{sbc.WithCA(c), sbc.WithHosts(host), sbc.WithUsers(l.Users), sbc.WithRealm(Domain)}
		s, err := sbc.New(append(base, opts...)...)
		if err != nil {
			return nil, fmt.Errorf("creating SBC %s: %w", host, err)
		}
		if err := s.Start(ctx, "127.0.0.1:0"); err != nil {
			return nil, fmt.Errorf("starting SBC %s: %w", host, err)
		}
		closers = append(closers, func() { _ = s.Close() })
		return s, nil
	}
	if l.SBC1, err = start(Primary); err != nil {
		stop()
		return nil, nil, err
	}
	if l.SBC2, err = start(Second); err != nil {
		stop()
		return nil, nil, err
	}
	d := dns.NewServer(
		dns.WithA(Primary, "127.0.0.1"),
		dns.WithA(Second, "127.0.0.1"),
	)
	d.AddSRV("_sips._tcp."+Domain, 10, 10, port(l.SBC1.Addr()), Primary)
	d.AddSRV("_sips._tcp."+Domain, 20, 10, port(l.SBC2.Addr()), Second)
	if err := d.Start(ctx, "127.0.0.1:0"); err != nil {
		stop()
		return nil, nil, fmt.Errorf("starting DNS: %w", err)
	}
	closers = append(closers, func() { _ = d.Close() })
	l.DNS = d
	return l, stop, nil
}

func port(addr string) uint16 {
	_, p, _ := net.SplitHostPort(addr)
	n, _ := strconv.Atoi(p)
	return uint16(n)
}

// Resolver sends the device's DNS queries to the lab's server.
func (l *Lab) Resolver() *net.Resolver { return device.NewResolver(l.DNS.Addr()) }

// Config registers user (created on both SBCs with password) through the
// lab's SRV domain.
func (l *Lab) Config(user, password string) device.Config {
	l.Users.Set(user, password)
	return device.Config{
		MAC: MAC(user), Make: "Yealink", Model: "T57W",
		User: user, Domain: Domain, Password: password, SRVDomain: Domain,
	}
}

// MAC makes a Polycom-looking MAC from a user number (test data).
func MAC(user string) string {
	u := strings.ToUpper(user)
	if len(u) > 6 {
		u = u[len(u)-6:]
	}
	return "0004F2" + strings.Repeat("0", 6-len(u)) + u
}

// Options are the device options that make a device trust and find the lab.
func (l *Lab) Options() []device.Option {
	return []device.Option{device.WithRoots(l.Roots), device.WithResolver(l.Resolver())}
}

// DerivedUsers is a digest user set without storage, for load tests: every
// user whose name starts with Prefix exists, with the password
// DerivedPassword(user).
type DerivedUsers struct{ Prefix string }

// Lookup implements sbc.Users.
func (u DerivedUsers) Lookup(user string) (string, bool) {
	if !strings.HasPrefix(user, u.Prefix) {
		return "", false
	}
	return DerivedPassword(user), true
}

// DerivedPassword is the password DerivedUsers holds for user.
func DerivedPassword(user string) string { return "Bench!" + user + "Pw" }
