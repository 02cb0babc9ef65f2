package devicetest

import (
	"context"
	"crypto/x509"
	"fmt"
	"net"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/cutover-dev/cutover/simulator/device"
	"github.com/cutover-dev/cutover/simulator/dns"
	"github.com/cutover-dev/cutover/simulator/lab"
)

// KamailioLabOptions tune StartKamailio.
type KamailioLabOptions struct {
	// PrimaryIP and SecondaryIP are the loopback addresses the two
	// registrars listen on (required). Give each package its own pair:
	// go test runs packages in parallel, and a free port picked on an
	// address nobody else binds cannot be taken by another package's lab
	// before Kamailio binds it, nor while a stopped primary is down.
	PrimaryIP, SecondaryIP string
	// SharedMemoryMB, when set, overrides the lab's shared memory default
	// (lab.SharedMemoryFor, sized for MaxConnections).
	SharedMemoryMB int
	// MaxConnections, when set, overrides the lab's connection cap.
	MaxConnections int
	// TCP adds a plain SIP over TCP listener on each instance (the SIPp
	// reference benchmark; SIPp from Debian has no TLS).
	TCP bool
}

// KamailioLab is two Kamailio registrars (TLS 1.2, digest) behind SRV
// records for Domain: Primary on PrimaryIP, Second on SecondaryIP, on
// ephemeral ports, with the lab package's defaults (one TCP worker, shared
// memory sized for the connections).
type KamailioLab struct {
	Primary, Secondary *lab.Kamailio
	DNS                *dns.Server
	Roots              *x509.CertPool
	// PrimaryTCP and SecondaryTCP are the plain TCP listeners (host:port)
	// when KamailioLabOptions.TCP was set.
	PrimaryTCP, SecondaryTCP string
}

// StartKamailio starts the pair with users (digest user -> password); it
// skips the test when Kamailio cannot run here, or fails it under
// CUTOVER_REQUIRE_LAB=1 (lab.RequireKamailio). Both instances, their
// process groups and the DNS server stop when the test ends; their files
// live under tb.TempDir().
func StartKamailio(tb testing.TB, users map[string]string, o KamailioLabOptions) *KamailioLab {
	tb.Helper()
	lab.RequireKamailio(tb)
	for _, ip := range []string{o.PrimaryIP, o.SecondaryIP} {
		if a := net.ParseIP(ip); a == nil || !a.IsLoopback() || a.To4() == nil {
			tb.Fatalf("devicetest: PrimaryIP and SecondaryIP must be IPv4 loopback addresses of the calling package's own, got %q", ip)
		}
	}
	if o.PrimaryIP == o.SecondaryIP {
		tb.Fatalf("devicetest: PrimaryIP and SecondaryIP are both %s", o.PrimaryIP)
	}
	c, err := CA()
	if err != nil {
		tb.Fatal(err)
	}
	dir := tb.TempDir()
	kl := &KamailioLab{Roots: device.TrustStore(c.Certificate())}
	start := func(host, ip string) *lab.Kamailio {
		cert, err := c.Issue([]string{host})
		if err != nil {
			tb.Fatal(err)
		}
		files, err := c.WriteFiles(filepath.Join(dir, host), "sbc", cert)
		if err != nil {
			tb.Fatal(err)
		}
		opts := lab.KamailioOptions{
			Addr: net.JoinHostPort(ip, "0"), CertFile: files.Cert, KeyFile: files.Key, CAFile: files.CA,
			Users: users, Realm: Domain, Dir: dir,
			SharedMemoryMB: o.SharedMemoryMB, MaxConnections: o.MaxConnections,
		}
		if o.TCP {
			opts.TCPAddr = net.JoinHostPort(ip, "0")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		k, err := lab.StartKamailio(ctx, opts)
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() {
			_ = k.Stop()
			if tb.Failed() {
				tb.Logf("kamailio %s log tail:\n%s", k.Addr(), k.LogTail(30))
			}
		})
		return k
	}
	kl.Primary = start(Primary, o.PrimaryIP)
	kl.Secondary = start(Second, o.SecondaryIP)
	kl.PrimaryTCP, kl.SecondaryTCP = kl.Primary.TCPAddr(), kl.Secondary.TCPAddr()
	d := dns.NewServer(dns.WithA(Primary, o.PrimaryIP), dns.WithA(Second, o.SecondaryIP))
	d.AddSRV("_sips._tcp."+Domain, 10, 10, port(kl.Primary.Addr()), Primary)
	d.AddSRV("_sips._tcp."+Domain, 20, 10, port(kl.Secondary.Addr()), Second)
	ctx, cancel := context.WithCancel(context.Background())
	if err := d.Start(ctx, "127.0.0.1:0"); err != nil {
		cancel()
		tb.Fatal(err)
	}
	tb.Cleanup(func() { cancel(); _ = d.Close() })
	kl.DNS = d
	return kl
}

// Resolver sends DNS queries to the lab's server.
func (k *KamailioLab) Resolver() *net.Resolver { return device.NewResolver(k.DNS.Addr()) }

// StopPrimary stops the primary by its pid (SIGTERM, as an operator's
// `kill` would) and waits until it has exited.
func (k *KamailioLab) StopPrimary(context.Context) error {
	pid := k.Primary.Pid()
	if pid == 0 {
		return fmt.Errorf("stopping primary kamailio: not running")
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		return fmt.Errorf("stopping primary kamailio (pid %d): %w", pid, err)
	}
	return k.Primary.Stop()
}

// StartPrimary starts the primary again and waits until it accepts TLS.
func (k *KamailioLab) StartPrimary(ctx context.Context) error { return k.Primary.Start(ctx) }
