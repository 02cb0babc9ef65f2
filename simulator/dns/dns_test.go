package dns

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	mdns "github.com/miekg/dns"
)

func startLab(t *testing.T) *Server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	// Added out of order on purpose: the resolver must sort by priority.
	s, err := Start(ctx, "127.0.0.1:0",
		WithSRV("_sips._tcp.Example.Test", 20, 10, 5061, "sbc2.example.test"),
		WithSRV("_sips._tcp.example.test", 10, 60, 5062, "SBC1.example.test."),
		WithA("sbc1.example.test", "127.0.0.11"),
		WithA("sbc2.example.test", "127.0.0.12"),
	)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func exchange(t *testing.T, addr, net_, name string, qtype uint16) *mdns.Msg {
	t.Helper()
	c := &mdns.Client{Net: net_, Timeout: 5 * time.Second}
	m := new(mdns.Msg)
	m.SetQuestion(mdns.Fqdn(name), qtype)
	r, _, err := c.Exchange(m, addr)
	if err != nil {
		t.Fatalf("%s query %s: %v", net_, name, err)
	}
	return r
}

func TestSRVAnswerUDPAndTCP(t *testing.T) {
	s := startLab(t)
	for _, n := range []string{"udp", "tcp"} {
		r := exchange(t, s.Addr(), n, "_sips._tcp.example.test", mdns.TypeSRV)
		if r.Rcode != mdns.RcodeSuccess || !r.Authoritative {
			t.Fatalf("%s: rcode %s AA %v, want NOERROR with AA", n, mdns.RcodeToString[r.Rcode], r.Authoritative)
		}
		if len(r.Answer) != 2 {
			t.Fatalf("%s: %d answers, want 2: %v", n, len(r.Answer), r.Answer)
		}
		targets := map[string]uint16{}
		for _, rr := range r.Answer {
			srv := rr.(*mdns.SRV)
			targets[srv.Target] = srv.Port
		}
		if targets["sbc1.example.test."] != 5062 || targets["sbc2.example.test."] != 5061 {
			t.Fatalf("%s: SRV targets %v", n, targets)
		}
		if len(r.Extra) != 2 {
			t.Fatalf("%s: %d additional records, want the 2 targets' A records", n, len(r.Extra))
		}
	}
}

func TestNXDOMAINAndNODATA(t *testing.T) {
	s := startLab(t)
	r := exchange(t, s.Addr(), "udp", "nothing.example.test", mdns.TypeA)
	if r.Rcode != mdns.RcodeNameError || !r.Authoritative || len(r.Ns) != 1 {
		t.Fatalf("unknown name: rcode %s AA %v ns %d, want NXDOMAIN with AA and an SOA", mdns.RcodeToString[r.Rcode], r.Authoritative, len(r.Ns))
	}
	r = exchange(t, s.Addr(), "udp", "sbc1.example.test", mdns.TypeAAAA)
	if r.Rcode != mdns.RcodeSuccess || len(r.Answer) != 0 {
		t.Fatalf("AAAA of an A-only name: rcode %s answers %d, want NOERROR NODATA", mdns.RcodeToString[r.Rcode], len(r.Answer))
	}
}

func TestGoResolverSRVOrder(t *testing.T) {
	s := startLab(t)
	res := s.Resolver()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cname, srvs, err := res.LookupSRV(ctx, "sips", "tcp", "example.test")
	if err != nil {
		t.Fatal(err)
	}
	if cname != "_sips._tcp.example.test." {
		t.Fatalf("cname %q", cname)
	}
	if len(srvs) != 2 || srvs[0].Target != "sbc1.example.test." || srvs[0].Priority != 10 || srvs[1].Target != "sbc2.example.test." {
		t.Fatalf("SRV order %+v %+v, want sbc1 (priority 10) before sbc2 (priority 20)", *srvs[0], *srvs[1])
	}
	ips, err := res.LookupHost(ctx, srvs[0].Target)
	if err != nil {
		t.Fatal(err)
	}
	if len(ips) != 1 || ips[0] != "127.0.0.11" {
		t.Fatalf("sbc1 addresses %v, want [127.0.0.11]", ips)
	}
	_, err = res.LookupHost(ctx, "missing.example.test")
	var dnsErr *net.DNSError
	if !errors.As(err, &dnsErr) || !dnsErr.IsNotFound {
		t.Fatalf("looking up a missing name: %v, want a not-found DNSError", err)
	}
}

func TestRuntimeChanges(t *testing.T) {
	s := startLab(t)
	res := s.Resolver()
	ctx := context.Background()
	if !s.RemoveSRV("_sips._tcp.example.test", "sbc1.example.test") {
		t.Fatal("RemoveSRV found nothing to remove")
	}
	_, srvs, err := res.LookupSRV(ctx, "sips", "tcp", "example.test")
	if err != nil {
		t.Fatal(err)
	}
	if len(srvs) != 1 || srvs[0].Target != "sbc2.example.test." {
		t.Fatalf("after removing sbc1: %v", srvs)
	}
	s.SetSRV("_sips._tcp.example.test", []SRV{{Priority: 5, Weight: 1, Port: 5063, Target: "sbc3.example.test"}})
	if err := s.SetA("sbc3.example.test", "127.0.0.13"); err != nil {
		t.Fatal(err)
	}
	_, srvs, err = res.LookupSRV(ctx, "sips", "tcp", "example.test")
	if err != nil {
		t.Fatal(err)
	}
	if len(srvs) != 1 || srvs[0].Port != 5063 {
		t.Fatalf("after SetSRV: %v", srvs)
	}
	if !s.Remove("_sips._tcp.example.test") {
		t.Fatal("Remove found nothing")
	}
	if _, _, err := res.LookupSRV(ctx, "sips", "tcp", "example.test"); err == nil {
		t.Fatal("lookup after Remove succeeded")
	}
	if err := s.AddA("x.example.test", "::1"); err == nil {
		t.Fatal("AddA accepted an IPv6 address")
	}
	if err := s.AddA("x.example.test", "not-an-ip"); err == nil {
		t.Fatal("AddA accepted garbage")
	}
}

func TestCloseStopsServing(t *testing.T) {
	s := startLab(t)
	addr := s.Addr()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	c := &mdns.Client{Net: "tcp", Timeout: 2 * time.Second}
	m := new(mdns.Msg)
	m.SetQuestion("sbc1.example.test.", mdns.TypeA)
	if _, _, err := c.Exchange(m, addr); err == nil {
		t.Fatal("TCP query answered after Close")
	}
}

func TestRejectsNonQuery(t *testing.T) {
	s := NewServer()
	req := new(mdns.Msg)
	req.SetNotify("example.test.")
	if r := s.answer(req); r.Rcode != mdns.RcodeNotImplemented {
		t.Fatalf("NOTIFY: rcode %s", mdns.RcodeToString[r.Rcode])
	}
	req = new(mdns.Msg)
	req.SetQuestion(".", mdns.TypeA)
	if r := s.answer(req); r.Rcode != mdns.RcodeNameError {
		t.Fatalf("root: rcode %s", mdns.RcodeToString[r.Rcode])
	}
	if _, err := r2wire(s.answer(req)); err != nil {
		t.Fatalf("packing root answer: %v", err)
	}
}

func r2wire(m *mdns.Msg) ([]byte, error) { return m.Pack() }

type mdnsMsg = mdns.Msg

// A large SRV set does not fit a UDP answer: the server truncates, and Go's
// resolver retries over TCP and gets every record.
func TestTruncationFallsBackToTCP(t *testing.T) {
	s := startLab(t)
	recs := make([]SRV, 60)
	for i := range recs {
		recs[i] = SRV{Priority: uint16(i), Weight: 1, Port: 5061, Target: "sbc-with-a-long-name-" + string(rune('a'+i%26)) + string(rune('a'+i/26)) + ".example.test"}
	}
	s.SetSRV("_sips._tcp.big.example.test", recs)
	r := exchange(t, s.Addr(), "udp", "_sips._tcp.big.example.test", mdns.TypeSRV)
	if !r.Truncated {
		t.Fatalf("60 SRV records over plain UDP: not truncated (%d answers)", len(r.Answer))
	}
	_, srvs, err := s.Resolver().LookupSRV(context.Background(), "sips", "tcp", "big.example.test")
	if err != nil {
		t.Fatal(err)
	}
	if len(srvs) != 60 || srvs[0].Priority != 0 || srvs[59].Priority != 59 {
		t.Fatalf("got %d records, want all 60 in priority order", len(srvs))
	}
}
