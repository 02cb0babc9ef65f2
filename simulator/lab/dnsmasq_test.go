package lab

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"
)

func TestDNSMasqSRV(t *testing.T) {
	RequireDNSMasq(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	d, err := StartDNSMasq(ctx, DNSMasqOptions{
		Addr: "127.0.0.14:0", // the lab package's own address: nothing else binds there
		SRV: []SRVRecord{
			{Name: "_sips._tcp.example.test", Target: "sbc2.example.test", Port: 5061, Priority: 20, Weight: 40},
			{Name: "_sips._tcp.example.test", Target: "sbc1.example.test", Port: 5061, Priority: 10, Weight: 60},
		},
		A:   map[string]string{"sbc1.example.test": "127.0.0.11", "sbc2.example.test": "127.0.0.12"},
		Dir: t.TempDir(),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Stop()
	res := d.Resolver()
	_, srvs, err := res.LookupSRV(ctx, "sips", "tcp", "example.test")
	if err != nil {
		t.Fatal(err)
	}
	if len(srvs) != 2 || srvs[0].Target != "sbc1.example.test." || srvs[1].Target != "sbc2.example.test." {
		t.Fatalf("SRV order from dnsmasq: %v", srvs)
	}
	ips, err := res.LookupHost(ctx, "sbc2.example.test")
	if err != nil || len(ips) != 1 || ips[0] != "127.0.0.12" {
		t.Fatalf("sbc2: %v %v", ips, err)
	}
	_, err = res.LookupHost(ctx, "nothing.example.test")
	var dnsErr *net.DNSError
	if !errors.As(err, &dnsErr) || !dnsErr.IsNotFound {
		t.Fatalf("unknown name: %v, want not found", err)
	}
}
