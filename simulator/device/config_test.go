package device_test

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"testing"
	"time"

	"github.com/cutover-dev/cutover/simulator/device"
	"github.com/cutover-dev/cutover/simulator/device/devicetest"
)

// The device does what its config says: these configs each break one
// Webex requirement, and the lab SBCs (TLS 1.2 only, behind _sips._tcp SRV)
// must refuse or expose them.
func TestConfigDecidesTheConnection(t *testing.T) {
	l := devicetest.Start(t)
	base := func(user string) device.Config { return l.Config(user, goodPassword) }

	t.Run("tls-registers", func(t *testing.T) {
		d, err := device.New(base("3001"), l.Options()...)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		reg, err := d.Register(ctx(t))
		if err != nil || reg.TLS.Version != tls.VersionTLS12 || len(reg.TLS.Verified) == 0 {
			t.Fatalf("reg %+v, err %v", reg, err)
		}
	})
	for _, tr := range []string{device.TransportTCP, device.TransportUDP} {
		t.Run(tr+"-has-no-sbc", func(t *testing.T) {
			// SRV for the transport (_sip._tcp, _sip._udp): the lab publishes only _sips._tcp.
			cfg := base("3002")
			cfg.Transport = tr
			d, err := device.New(cfg, l.Options()...)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			if _, err := d.Targets(ctx(t)); err == nil {
				t.Fatal("a " + tr + " device found SBC targets under _sips._tcp")
			}
		})
		t.Run(tr+"-to-the-tls-port-fails", func(t *testing.T) {
			cfg := base("3003")
			cfg.Transport = tr
			cfg.SRVDomain, cfg.Proxies = "", []string{devicetest.Primary + ":" + portOf(t, l, 0)}
			d, err := device.New(cfg, append(l.Options(), device.WithTimeout(500*time.Millisecond))...)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			if reg, err := d.Register(ctx(t)); err == nil {
				t.Fatalf("a %s REGISTER to the TLS-only SBC registered: %+v", tr, reg.TLS)
			}
		})
	}
	t.Run("tls-1.1-refused", func(t *testing.T) {
		cfg := base("3004")
		cfg.TLSMin, cfg.TLSMax = tls.VersionTLS10, tls.VersionTLS11
		d, err := device.New(cfg, l.Options()...)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		if _, err := d.Register(ctx(t)); !errors.Is(err, device.ErrTLSHandshake) {
			t.Fatalf("err %v, want a TLS handshake refusal", err)
		}
	})
	t.Run("no-verify-accepts-an-untrusted-sbc", func(t *testing.T) {
		cfg := base("3005")
		empty := x509.NewCertPool()
		d, err := device.New(cfg, device.WithResolver(l.Resolver()), device.WithRoots(empty))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.Register(ctx(t)); !errors.Is(err, device.ErrTLSHandshake) {
			t.Fatalf("verifying device: err %v, want a certificate refusal", err)
		}
		d.Close()
		cfg.NoVerify = true
		d, err = device.New(cfg, device.WithResolver(l.Resolver()), device.WithRoots(empty))
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		if _, err := d.Register(ctx(t)); err != nil {
			t.Fatalf("non-verifying device: %v", err)
		}
	})
	t.Run("dns-a-has-one-target", func(t *testing.T) {
		cfg := base("3006")
		cfg.DNS = device.DNSA
		d, err := device.New(cfg, l.Options()...)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		targets, err := d.Targets(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		if len(targets) != 1 || targets[0].Port != 5061 || targets[0].Host != devicetest.Domain {
			t.Fatalf("targets %v, want the domain's A record on 5061 alone", targets)
		}
	})
	t.Run("naptr-falls-back-to-sips-srv", func(t *testing.T) {
		cfg := base("3007")
		cfg.Transport, cfg.DNS = device.TransportNAPTR, device.DNSNAPTR
		d, err := device.New(cfg, l.Options()...)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		targets, err := d.Targets(ctx(t))
		if err != nil || len(targets) != 2 || d.Transport() != device.TransportTLS {
			t.Fatalf("targets %v (%v), transport %s", targets, err, d.Transport())
		}
	})
}

// portOf is the port of the lab's primary (i 0) or secondary SBC.
func portOf(t *testing.T, l *devicetest.Lab, i int) string {
	t.Helper()
	d, err := device.New(l.Config("3999", goodPassword), l.Options()...)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	targets, err := d.Targets(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	return targets[i].String()[len(targets[i].Host)+1:]
}
