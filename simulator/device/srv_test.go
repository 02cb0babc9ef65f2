package device

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"net/netip"
	"testing"
)

func TestOrderSRVPriorityFirst(t *testing.T) {
	in := []*net.SRV{
		{Target: "c.", Priority: 20, Weight: 10},
		{Target: "a.", Priority: 10, Weight: 0},
		{Target: "b.", Priority: 10, Weight: 0},
		{Target: "d.", Priority: 30, Weight: 5},
	}
	for seed := uint64(0); seed < 50; seed++ {
		out := OrderSRV(in, rand.New(rand.NewPCG(seed, 1)))
		if len(out) != 4 {
			t.Fatalf("got %d records", len(out))
		}
		if out[0].Priority != 10 || out[1].Priority != 10 || out[2].Target != "c." || out[3].Target != "d." {
			t.Fatalf("seed %d: order %s %s %s %s", seed, out[0].Target, out[1].Target, out[2].Target, out[3].Target)
		}
	}
	if in[0].Target != "c." {
		t.Fatal("OrderSRV modified its input")
	}
}

// TestOrderSRVWeights checks the weighted draw: with weights 90 and 10 the
// heavy record comes first about nine times in ten, and a zero-weight
// record beside a weighted one comes first only rarely.
func TestOrderSRVWeights(t *testing.T) {
	in := []*net.SRV{{Target: "light.", Priority: 1, Weight: 10}, {Target: "heavy.", Priority: 1, Weight: 90}}
	rnd := rand.New(rand.NewPCG(7, 7))
	heavy := 0
	const n = 2000
	for i := 0; i < n; i++ {
		if OrderSRV(in, rnd)[0].Target == "heavy." {
			heavy++
		}
	}
	if heavy < n*8/10 || heavy > n*95/100 {
		t.Fatalf("heavy first %d of %d times, want about 90%%", heavy, n)
	}
	zero := []*net.SRV{{Target: "zero.", Priority: 1, Weight: 0}, {Target: "w.", Priority: 1, Weight: 100}}
	zeroFirst := 0
	for i := 0; i < n; i++ {
		if OrderSRV(zero, rnd)[0].Target == "zero." {
			zeroFirst++
		}
	}
	if zeroFirst > n/20 {
		t.Fatalf("zero-weight first %d of %d times", zeroFirst, n)
	}
}

func TestOrderSRVDeterministic(t *testing.T) {
	in := []*net.SRV{{Target: "a.", Priority: 1, Weight: 50}, {Target: "b.", Priority: 1, Weight: 50}, {Target: "c.", Priority: 1, Weight: 50}}
	a := OrderSRV(in, rand.New(rand.NewPCG(42, 0)))
	b := OrderSRV(in, rand.New(rand.NewPCG(42, 0)))
	for i := range a {
		if a[i] != b[i] {
			t.Fatal("same seed gave different orders")
		}
	}
}

type fakeResolver struct {
	srv map[string][]*net.SRV
	a   map[string][]netip.Addr
}

func (f fakeResolver) LookupSRV(_ context.Context, service, proto, name string) (string, []*net.SRV, error) {
	key := "_" + service + "._" + proto + "." + name
	r, ok := f.srv[key]
	if !ok {
		return "", nil, &net.DNSError{Err: "no such host", Name: key, IsNotFound: true}
	}
	return key, r, nil
}

func (f fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	r, ok := f.a[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	return r, nil
}

func TestLookupSRVResolvesTargets(t *testing.T) {
	r := fakeResolver{
		srv: map[string][]*net.SRV{"_sips._tcp.example.test": {
			{Target: "sbc2.example.test.", Port: 5062, Priority: 20, Weight: 1},
			{Target: "sbc1.example.test.", Port: 5061, Priority: 10, Weight: 1},
			{Target: "ghost.example.test.", Port: 5063, Priority: 30, Weight: 1},
		}},
		a: map[string][]netip.Addr{
			"sbc1.example.test": {netip.MustParseAddr("::1"), netip.MustParseAddr("127.0.0.11")},
			"sbc2.example.test": {netip.MustParseAddr("127.0.0.12")},
		},
	}
	got, err := LookupSRV(context.Background(), r, "example.test", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].String() != "sbc1.example.test:5061" || got[1].String() != "sbc2.example.test:5062" {
		t.Fatalf("targets %v", got)
	}
	if got[0].Addr() != "127.0.0.11:5061" {
		t.Fatalf("primary address %s, want the IPv4 one", got[0].Addr())
	}
	if got[2].ResolveErr == nil {
		t.Fatal("an unresolvable target must carry its error")
	}
	if _, err := LookupSRV(context.Background(), r, "missing.test", nil); err == nil {
		t.Fatal("want an error for a domain without SRV records")
	}
}

func TestParseTargets(t *testing.T) {
	got, err := ParseTargets(context.Background(), fakeResolver{}, "127.0.0.1:5061, 127.0.0.2")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[1].Port != 5061 || got[0].Addr() != "127.0.0.1:5061" {
		t.Fatalf("targets %v", got)
	}
	for _, bad := range []string{"", "host:0", "host:x", ","} {
		if _, err := ParseTargets(context.Background(), fakeResolver{}, bad); err == nil {
			t.Errorf("%q: want an error", bad)
		} else if bad == "" && !errors.Is(err, ErrNoTargets) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
