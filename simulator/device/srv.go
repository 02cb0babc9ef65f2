package device

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Resolver is the DNS a device uses; *net.Resolver satisfies it.
type Resolver interface {
	LookupSRV(ctx context.Context, service, proto, name string) (string, []*net.SRV, error)
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// NewResolver returns a resolver that asks the DNS server at addr
// (host:port, UDP then TCP) for everything, ignoring /etc/resolv.conf: the
// --dns flag, pointing the simulator at a lab or emulated DNS server.
func NewResolver(addr string) *net.Resolver {
	d := net.Dialer{Timeout: 2 * time.Second}
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return d.DialContext(ctx, network, addr)
		},
	}
}

// Target is one SBC a device may register on.
type Target struct {
	// Host is the SRV target or configured host: the name the SBC's
	// certificate must carry (TLS ServerName).
	Host     string
	Port     int
	Priority uint16
	Weight   uint16
	// IP is the resolved address; invalid when resolution failed
	// (ResolveErr says why).
	IP         netip.Addr
	ResolveErr error
}

// String is host:port, the name people know the SBC by.
func (t Target) String() string { return net.JoinHostPort(t.Host, strconv.Itoa(t.Port)) }

// Addr is the resolved ip:port the device dials.
func (t Target) Addr() string { return netip.AddrPortFrom(t.IP, uint16(t.Port)).String() }

// SRVService is the service and protocol a device looks up: _sips._tcp.<domain>.
const (
	SRVService = "sips"
	SRVProto   = "tcp"
)

// LookupSRV queries _sips._tcp.<domain> and returns the answer in the
// order a device tries it (RFC 2782: priority ascending, weighted random
// within a priority, using rnd; nil rnd uses a random source) with every
// target resolved to an address. A target that does not resolve is kept
// with ResolveErr set, so that a report can name it.
func LookupSRV(ctx context.Context, r Resolver, domain string, rnd *rand.Rand) ([]Target, error) {
	return LookupService(ctx, r, SRVService, SRVProto, domain, rnd)
}

// LookupService is LookupSRV for _service._proto.<domain> (_sip._udp for
// a device configured for UDP).
func LookupService(ctx context.Context, r Resolver, service, proto, domain string, rnd *rand.Rand) ([]Target, error) {
	_, srvs, err := r.LookupSRV(ctx, service, proto, domain)
	if err != nil {
		return nil, fmt.Errorf("looking up _%s._%s.%s: %w", service, proto, domain, err)
	}
	if len(srvs) == 0 {
		return nil, fmt.Errorf("looking up _%s._%s.%s: %w", service, proto, domain, ErrNoTargets)
	}
	ordered := OrderSRV(srvs, rnd)
	out := make([]Target, 0, len(ordered))
	for _, s := range ordered {
		t := Target{Host: strings.TrimSuffix(s.Target, "."), Port: int(s.Port), Priority: s.Priority, Weight: s.Weight}
		resolve(ctx, r, &t)
		out = append(out, t)
	}
	return out, nil
}

// ParseTargets reads an explicit "host:port[,host:port]" list (in failover
// order) and resolves each host. A missing port means 5061.
func ParseTargets(ctx context.Context, r Resolver, list string) ([]Target, error) {
	var out []Target
	for i, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		host, port, err := net.SplitHostPort(item)
		if err != nil {
			host, port = item, "5061"
		}
		p, err := strconv.Atoi(port)
		if err != nil || p <= 0 || p > 65535 || host == "" {
			return nil, fmt.Errorf("reading target %q: expected host:port with a port from 1 to 65535", item)
		}
		t := Target{Host: strings.Trim(host, "[]"), Port: p, Priority: uint16(i)}
		resolve(ctx, r, &t)
		out = append(out, t)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("reading targets %q: %w", list, ErrNoTargets)
	}
	return out, nil
}

func resolve(ctx context.Context, r Resolver, t *Target) {
	if ip, err := netip.ParseAddr(t.Host); err == nil {
		t.IP = ip
		return
	}
	if r == nil {
		r = net.DefaultResolver
	}
	ips, err := r.LookupNetIP(ctx, "ip", t.Host)
	if err != nil {
		t.ResolveErr = err
		return
	}
	// IPv4 first: the lab and most SBCs listen there.
	slices.SortStableFunc(ips, func(a, b netip.Addr) int {
		switch {
		case a.Is4() && !b.Is4():
			return -1
		case !a.Is4() && b.Is4():
			return 1
		}
		return 0
	})
	if len(ips) == 0 {
		t.ResolveErr = fmt.Errorf("no address for %s", t.Host)
		return
	}
	t.IP = ips[0].Unmap()
}

// OrderSRV orders SRV records the way RFC 2782 tells a client to try them:
// by priority ascending, and within one priority by a weighted random draw
// (zero-weight records first in the running sum, so that they are picked
// only rarely). The input is not modified.
func OrderSRV(srvs []*net.SRV, rnd *rand.Rand) []*net.SRV {
	if rnd == nil {
		rnd = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	in := slices.Clone(srvs)
	slices.SortStableFunc(in, func(a, b *net.SRV) int { return int(a.Priority) - int(b.Priority) })
	out := make([]*net.SRV, 0, len(in))
	for i := 0; i < len(in); {
		j := i
		for j < len(in) && in[j].Priority == in[i].Priority {
			j++
		}
		group := slices.Clone(in[i:j])
		// Zero weights first, as RFC 2782 describes.
		slices.SortStableFunc(group, func(a, b *net.SRV) int {
			switch {
			case a.Weight == 0 && b.Weight != 0:
				return -1
			case a.Weight != 0 && b.Weight == 0:
				return 1
			}
			return 0
		})
		for len(group) > 0 {
			sum := 0
			for _, s := range group {
				sum += int(s.Weight)
			}
			pick := 0
			if sum > 0 {
				n := rnd.IntN(sum + 1)
				run := 0
				for k, s := range group {
					run += int(s.Weight)
					if run >= n {
						pick = k
						break
					}
				}
			}
			out = append(out, group[pick])
			group = slices.Delete(group, pick, pick+1)
		}
		i = j
	}
	return out
}
