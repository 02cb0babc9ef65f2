package devicetest

import (
	"context"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/cutover-dev/cutover/simulator/device"
	"github.com/cutover-dev/cutover/simulator/dns"
	"github.com/cutover-dev/cutover/simulator/lab"
)

// Kamailio lab addresses: the primary and secondary registrars.
const (
	KamailioPrimaryIP   = "127.0.0.21"
	KamailioSecondaryIP = "127.0.0.22"
)

// KamailioLabOptions tune StartKamailio.
type KamailioLabOptions struct {
	// ShmMB runs Kamailio with that much shared memory: the lab starts it
	// with 64 MB, which holds a few hundred TLS connections, not a thousand.
	ShmMB int
	// TCP adds a plain SIP over TCP listener on each instance (the SIPp
	// reference benchmark; SIPp from Debian has no TLS).
	TCP bool
}

// KamailioLab is two Kamailio registrars (TLS 1.2, digest) behind SRV
// records for Domain: Primary on 127.0.0.21, Second on 127.0.0.22 (not the
// lab package's own .11/.12, so that both test suites can run at once), on
// ephemeral ports.
type KamailioLab struct {
	Primary, Secondary *lab.Kamailio
	DNS                *dns.Server
	Roots              *x509.CertPool
	// PrimaryTCP and SecondaryTCP are the plain TCP listeners (host:port)
	// when KamailioLabOptions.TCP was set.
	PrimaryTCP, SecondaryTCP string
}

// StartKamailio starts the pair with users (digest user -> password); it
// skips the test when Kamailio cannot run here (lab.RequireKamailio).
func StartKamailio(tb testing.TB, users map[string]string, o KamailioLabOptions) *KamailioLab {
	tb.Helper()
	lab.RequireKamailio(tb)
	c, err := CA()
	if err != nil {
		tb.Fatal(err)
	}
	dir := tb.TempDir()
	// The lab's Kamailio (5.6.3 with OpenSSL 3, Debian 12) corrupts its
	// shared memory when several TCP worker processes run TLS at once
	// (double frees in tls_init.c, "bad record mac"; kamailio issues #3791
	// and #4055, fixed by tls_threads_mode, which 5.6 lacks), and its 64 MB
	// of shared memory holds a few hundred TLS connections. Until the lab
	// package does so itself, a wrapper runs it with one TCP worker and, when
	// asked, more shared memory (Kamailio reads options in order: the last
	// -m wins).
	shm := ""
	if o.ShmMB > 0 {
		shm = fmt.Sprintf(" -m %d", o.ShmMB)
	}
	kl := &KamailioLab{Roots: device.TrustStore(c.Certificate())}
	start := func(host, ip string) (*lab.Kamailio, string) {
		edit := "s/^tcp_children=.*/tcp_children=1/"
		tcpAddr := ""
		if o.TCP {
			p, err := lab.FreePort(ip)
			if err != nil {
				tb.Fatal(err)
			}
			tcpAddr = net.JoinHostPort(ip, fmt.Sprint(p))
			edit += fmt.Sprintf(";/^listen=/a listen=tcp:%s", tcpAddr)
		}
		binary := filepath.Join(dir, "kamailio-wrapper-"+ip)
		script := "#!/bin/sh\n" +
			"cfg=''; prev=''\n" +
			"for a in \"$@\"; do [ \"$prev\" = -f ] && cfg=$a; prev=$a; done\n" +
			"if [ -n \"$cfg\" ] && ! grep -q '^tcp_children=1$' \"$cfg\"; then sed -i '" + edit + "' \"$cfg\"; fi\n" +
			"exec kamailio \"$@\"" + shm + "\n"
		if err := os.WriteFile(binary, []byte(script), 0o700); err != nil {
			tb.Fatal(err)
		}
		cert, err := c.Issue([]string{host})
		if err != nil {
			tb.Fatal(err)
		}
		files, err := c.WriteFiles(filepath.Join(dir, host), "sbc", cert)
		if err != nil {
			tb.Fatal(err)
		}
		addr := net.JoinHostPort(ip, "0")
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		k, err := lab.StartKamailio(ctx, lab.KamailioOptions{
			Addr: addr, CertFile: files.Cert, KeyFile: files.Key, CAFile: files.CA,
			Users: users, Realm: Domain, Dir: dir, Binary: binary,
		})
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() {
			_ = k.Stop()
			if tb.Failed() {
				tb.Logf("kamailio %s log tail:\n%s", k.Addr(), k.LogTail(30))
			}
		})
		return k, tcpAddr
	}
	kl.Primary, kl.PrimaryTCP = start(Primary, KamailioPrimaryIP)
	kl.Secondary, kl.SecondaryTCP = start(Second, KamailioSecondaryIP)
	d := dns.NewServer(dns.WithA(Primary, KamailioPrimaryIP), dns.WithA(Second, KamailioSecondaryIP))
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
