package device_test

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cutover-dev/cutover/simulator/device"
	"github.com/cutover-dev/cutover/simulator/device/devicetest"
	"github.com/cutover-dev/cutover/simulator/sbc"
)

const goodPassword = "Gr8!secret"

func newDevice(t *testing.T, l *devicetest.Lab, user string, opts ...device.Option) *device.Device {
	t.Helper()
	d, err := device.New(l.Config(user, goodPassword), append(l.Options(), opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestRegisterOnPrimaryWithDigest(t *testing.T) {
	l := devicetest.Start(t)
	d := newDevice(t, l, "1001")
	reg, err := d.Register(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if reg.Target.Host != devicetest.Primary {
		t.Fatalf("registered on %s, want the primary", reg.Target)
	}
	if !reg.Challenged || !reg.ContactEchoed {
		t.Fatalf("challenged=%v contactEchoed=%v", reg.Challenged, reg.ContactEchoed)
	}
	if reg.TLS.Version != tls.VersionTLS12 || len(reg.TLS.Verified) == 0 || reg.TLS.ServerName != devicetest.Primary {
		t.Fatalf("TLS %+v", reg.TLS)
	}
	if reg.Expires <= 0 || reg.Expires > device.DefaultExpires {
		t.Fatalf("expires %s", reg.Expires)
	}
	b := l.SBC1.Lookup("1001")
	if len(b) != 1 || b[0].CallID != reg.CallID {
		t.Fatalf("SBC bindings %+v", b)
	}
	ua, ok := l.SBC1.LastUserAgent("1001")
	if !ok || !strings.Contains(ua, "Yealink T57W") {
		t.Fatalf("SBC saw User-Agent %q", ua)
	}
}

func TestRefreshKeepsCallIDAndRaisesCSeq(t *testing.T) {
	l := devicetest.Start(t)
	d := newDevice(t, l, "1001")
	first, err := d.Register(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	second, err := d.Refresh(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if second.CallID != first.CallID || second.CSeq <= first.CSeq {
		t.Fatalf("refresh Call-ID %s CSeq %d after %s %d", second.CallID, second.CSeq, first.CallID, first.CSeq)
	}
	if b := l.SBC1.Lookup("1001"); len(b) != 1 || b[0].CSeq != second.CSeq {
		t.Fatalf("SBC bindings %+v", b)
	}
}

func TestWrongPasswordIsRejectedWithoutLooping(t *testing.T) {
	for _, code := range []int{401, 403} {
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			l := devicetest.Start(t, sbc.WithWrongPasswordStatus(code))
			cfg := l.Config("1001", goodPassword)
			cfg.Password = "Wr0ng!pass"
			d, err := device.New(cfg, l.Options()...)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			_, err = d.Register(ctx(t))
			if !errors.Is(err, device.ErrAuthRejected) {
				t.Fatalf("err = %v, want ErrAuthRejected", err)
			}
			var se *device.StatusError
			if !errors.As(err, &se) || se.Code != code {
				t.Fatalf("err = %v, want status %d", err, code)
			}
			var re *device.RegisterError
			if !errors.As(err, &re) || len(re.Attempts) != 1 {
				t.Fatalf("a rejected password must not fail over: %v", err)
			}
			if strings.Contains(err.Error(), "Wr0ng") {
				t.Fatal("the error shows the password")
			}
		})
	}
}

func TestFailoverOnFaults(t *testing.T) {
	cases := []struct {
		name  string
		fault sbc.Fault
		want  error
	}{
		{"down", sbc.Fault{Down: true}, device.ErrUnreachable},
		{"503", sbc.Fault{Register503: true}, nil},
		{"slow", sbc.Fault{Slow: 3 * time.Second}, device.ErrTimeout},
		{"tls13", sbc.Fault{TLS13Only: true}, device.ErrTLSHandshake},
		{"wrong-host", sbc.Fault{WrongHostCert: true}, device.ErrTLSHandshake},
		{"expired", sbc.Fault{ExpiredCert: true}, device.ErrTLSHandshake},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := devicetest.Start(t)
			if err := l.SBC1.SetFault(tc.fault); err != nil {
				t.Fatal(err)
			}
			d := newDevice(t, l, "1001", device.WithTimeout(300*time.Millisecond))
			reg, err := d.Register(ctx(t))
			if err != nil {
				t.Fatal(err)
			}
			if reg.Target.Host != devicetest.Second || len(reg.Attempts) != 2 {
				t.Fatalf("registered on %s after %d attempts, want the secondary after 2", reg.Target, len(reg.Attempts))
			}
			first := reg.Attempts[0].Err
			if tc.want != nil && !errors.Is(first, tc.want) {
				t.Fatalf("primary error %v, want %v", first, tc.want)
			}
			var se *device.StatusError
			if tc.name == "503" && (!errors.As(first, &se) || se.Code != 503) {
				t.Fatalf("primary error %v, want 503", first)
			}
			p := device.CertProblem(first)
			switch tc.name {
			case "wrong-host":
				if !strings.Contains(p, "not "+devicetest.Primary) {
					t.Fatalf("cert problem %q", p)
				}
			case "expired":
				if !strings.Contains(p, "expired") {
					t.Fatalf("cert problem %q", p)
				}
			}
		})
	}
}

func TestFailbackWhenPrimaryReturns(t *testing.T) {
	l := devicetest.Start(t)
	d := newDevice(t, l, "1001")
	if err := l.SBC1.SetFault(sbc.Fault{Down: true}); err != nil {
		t.Fatal(err)
	}
	reg, err := d.Register(ctx(t))
	if err != nil || reg.Target.Host != devicetest.Second {
		t.Fatalf("register: %v on %v", err, reg)
	}
	moved, _, err := d.FailbackProbe(ctx(t))
	if moved || err == nil {
		t.Fatalf("failback while the primary is down: moved=%v err=%v", moved, err)
	}
	if err := l.SBC1.SetFault(sbc.Fault{}); err != nil {
		t.Fatal(err)
	}
	moved, back, err := d.FailbackProbe(ctx(t))
	if err != nil || !moved || back.Target.Host != devicetest.Primary {
		t.Fatalf("failback: moved=%v err=%v reg=%+v", moved, err, back)
	}
	if len(l.SBC2.Lookup("1001")) != 0 {
		t.Fatal("the secondary still holds the binding after failback")
	}
}

func TestSimulatedOutage(t *testing.T) {
	l := devicetest.Start(t)
	d := newDevice(t, l, "1001")
	targets, err := d.Targets(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	d.SetDown(targets[0].String(), true)
	reg, err := d.Register(ctx(t))
	if err != nil || reg.Target.Host != devicetest.Second {
		t.Fatalf("register: %v", err)
	}
	if !errors.Is(reg.Attempts[0].Err, device.ErrUnreachable) {
		t.Fatalf("primary attempt %v", reg.Attempts[0].Err)
	}
}

func TestOptionsAndCRLFKeepalive(t *testing.T) {
	l := devicetest.Start(t)
	d := newDevice(t, l, "1001")
	if _, err := d.Options(ctx(t)); !errors.Is(err, device.ErrNotRegistered) {
		t.Fatalf("OPTIONS before registering: %v", err)
	}
	if _, err := d.Register(ctx(t)); err != nil {
		t.Fatal(err)
	}
	ex, err := d.Options(ctx(t))
	if err != nil || ex.Code != 200 {
		t.Fatalf("OPTIONS: %+v %v", ex, err)
	}
	if _, err := d.PingCRLF(ctx(t)); err != nil {
		t.Fatalf("CRLF keepalive: %v", err)
	}
}

func TestCallThroughSBC(t *testing.T) {
	l := devicetest.Start(t)
	a := newDevice(t, l, "1001")
	b := newDevice(t, l, "1002")
	for _, d := range []*device.Device{a, b} {
		if _, err := d.Register(ctx(t)); err != nil {
			t.Fatal(err)
		}
	}
	call, err := a.Call(ctx(t), b.Config().AOR())
	if err != nil {
		t.Fatal(err)
	}
	if ic, err := b.WaitIncoming(ctx(t), call.CallID, false); err != nil || !ic.Invited || !ic.Acked {
		t.Fatalf("callee saw %+v, %v", ic, err)
	}
	if err := call.Hangup(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if ic, err := b.WaitIncoming(ctx(t), call.CallID, true); err != nil || !ic.Ended {
		t.Fatalf("callee saw %+v, %v", ic, err)
	}
}

func TestCallToUnregisteredIsNotRouted(t *testing.T) {
	l := devicetest.Start(t)
	a := newDevice(t, l, "1001")
	if _, err := a.Register(ctx(t)); err != nil {
		t.Fatal(err)
	}
	l.Users.Set("1009", goodPassword)
	_, err := a.Call(ctx(t), l.Config("1009", goodPassword).AOR())
	if err == nil {
		t.Fatal("a call to an unregistered user was answered")
	}
	t.Logf("call to an unregistered user: %v", err)
}

func TestUnregisterRemovesBinding(t *testing.T) {
	l := devicetest.Start(t)
	d := newDevice(t, l, "1001")
	if _, err := d.Register(ctx(t)); err != nil {
		t.Fatal(err)
	}
	reg, err := d.Unregister(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if reg.ContactEchoed || len(l.SBC1.Lookup("1001")) != 0 {
		t.Fatalf("binding left after unregister: %+v", l.SBC1.Lookup("1001"))
	}
	if _, err := d.Unregister(ctx(t)); !errors.Is(err, device.ErrNotRegistered) {
		t.Fatalf("second unregister: %v", err)
	}
}

func TestProbeTLSVersions(t *testing.T) {
	l := devicetest.Start(t)
	d := newDevice(t, l, "1001")
	targets, err := d.Targets(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	p := targets[0]
	if info, err := device.ProbeTLS(ctx(t), p, tls.VersionTLS12, tls.VersionTLS12, l.Roots, true, 0); err != nil || info.Version != tls.VersionTLS12 {
		t.Fatalf("TLS 1.2: %v %+v", err, info)
	}
	for _, v := range []uint16{tls.VersionTLS11, tls.VersionTLS13} {
		if _, err := device.ProbeTLS(ctx(t), p, v, v, nil, false, 0); !errors.Is(err, device.ErrTLSHandshake) {
			t.Fatalf("%s-only: %v, want a refusal", tls.VersionName(v), err)
		}
	}
	// The embedded IdenTrust roots alone do not trust the lab CA.
	_, err = device.ProbeTLS(ctx(t), p, tls.VersionTLS12, tls.VersionTLS12, device.TrustStore(), true, 0)
	if !errors.Is(err, device.ErrTLSHandshake) || !strings.Contains(device.CertProblem(err), "trusted root") {
		t.Fatalf("lab cert against IdenTrust only: %v (%s)", err, device.CertProblem(err))
	}
}

func TestRunKeepsRegisteredAndStops(t *testing.T) {
	l := devicetest.Start(t)
	d := newDevice(t, l, "1001", device.WithKeepaliveInterval(20*time.Millisecond), device.WithFailbackInterval(20*time.Millisecond))
	c, cancel := context.WithCancel(ctx(t))
	done := make(chan error, 1)
	go func() { done <- d.Run(c) }()
	deadline := time.Now().Add(10 * time.Second)
	for d.Registration() == nil && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if d.Registration() == nil {
		t.Fatal("Run did not register")
	}
	// Primary goes down: the keepalive notices and the device fails over.
	if err := l.SBC1.SetFault(sbc.Fault{Down: true}); err != nil {
		t.Fatal(err)
	}
	for time.Now().Before(deadline) {
		if r := d.Registration(); r != nil && r.Target.Host == devicetest.Second {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if r := d.Registration(); r == nil || r.Target.Host != devicetest.Second {
		t.Fatalf("after the primary went down: %+v", r)
	}
	// Primary returns: the failback probe moves the device back.
	if err := l.SBC1.SetFault(sbc.Fault{}); err != nil {
		t.Fatal(err)
	}
	for time.Now().Before(deadline) {
		if r := d.Registration(); r != nil && r.Target.Host == devicetest.Primary {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if r := d.Registration(); r == nil || r.Target.Host != devicetest.Primary {
		t.Fatalf("after the primary returned: %+v", r)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run returned %v", err)
	}
}

// WithSourceIP makes the device dial from that local address: the SBC sees
// the registration (and its refresh, over the same connection) come from
// it, and the Contact names it. A device without it leaves from the
// kernel's choice, 127.0.0.1 towards a loopback SBC.
func TestSourceIP(t *testing.T) {
	l := devicetest.Start(t)
	for _, tc := range []struct {
		user string
		opts []device.Option
		want string
	}{
		{"1001", []device.Option{device.WithSourceIP(net.IPv4(127, 0, 0, 2))}, "127.0.0.2"},
		{"1002", nil, "127.0.0.1"},
	} {
		d := newDevice(t, l, tc.user, tc.opts...)
		if _, err := d.Register(ctx(t)); err != nil {
			t.Fatal(err)
		}
		reg, err := d.Refresh(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		b := l.SBC1.Lookup(tc.user)
		if len(b) != 1 || b[0].CSeq != reg.CSeq {
			t.Fatalf("%s: SBC bindings %+v", tc.user, b)
		}
		if host, _, err := net.SplitHostPort(b[0].Source); err != nil || host != tc.want {
			t.Errorf("%s: registered from %q, want %s", tc.user, b[0].Source, tc.want)
		}
		if !strings.Contains(b[0].Contact, "@"+tc.want+":") {
			t.Errorf("%s: Contact %q does not name %s", tc.user, b[0].Contact, tc.want)
		}
	}
}
