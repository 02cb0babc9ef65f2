package lab

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// SRVRecord is one SRV record for StartDNSMasq.
type SRVRecord struct {
	Name                   string // e.g. _sips._tcp.example.test
	Target                 string
	Port, Priority, Weight uint16
}

// DNSMasqOptions configure a dnsmasq serving lab records: a second,
// independent DNS implementation next to simulator/dns.
type DNSMasqOptions struct {
	// Addr is host:port on loopback; port 0 picks a free port.
	Addr string
	SRV  []SRVRecord
	// A maps host names to IPv4 addresses.
	A map[string]string
	// Dir is the parent of the instance's run directory (log, pid file).
	Dir string
	// StartTimeout bounds waiting for the first answer (default 10 s).
	StartTimeout time.Duration
}

// DNSMasq is a running dnsmasq.
type DNSMasq struct {
	addr    string
	logPath string
	cmd     *exec.Cmd
	done    chan struct{}
	once    sync.Once
}

// RequireDNSMasq skips t when dnsmasq is not installed, or fails it when
// CUTOVER_REQUIRE_LAB=1.
func RequireDNSMasq(t testing.TB) {
	t.Helper()
	RequireTool(t, "dnsmasq", "dnsmasq-base")
}

// StartDNSMasq runs dnsmasq in the foreground with only the given records
// (no /etc/hosts, no resolv.conf, no upstream), and returns once it answers.
func StartDNSMasq(ctx context.Context, o DNSMasqOptions) (*DNSMasq, error) {
	if o.Dir == "" {
		return nil, errors.New("starting dnsmasq: Dir is required")
	}
	if o.StartTimeout <= 0 {
		o.StartTimeout = 10 * time.Second
	}
	addr, err := resolveAddr(o.Addr)
	if err != nil {
		return nil, fmt.Errorf("starting dnsmasq on %s: %w", o.Addr, err)
	}
	host, port, _ := net.SplitHostPort(addr)
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("starting dnsmasq on %s: %w", addr, err)
	}
	runDir, err := os.MkdirTemp(o.Dir, "dnsmasq-")
	if err != nil {
		return nil, fmt.Errorf("starting dnsmasq on %s: %w", addr, err)
	}
	args := []string{
		"--keep-in-foreground", "--conf-file=/dev/null", "--no-hosts", "--no-resolv",
		"--bind-interfaces", "--listen-address=" + host, "--port=" + port,
		"--pid-file=" + filepath.Join(runDir, "dnsmasq.pid"),
		"--log-facility=" + filepath.Join(runDir, "dnsmasq.log"), "--log-queries",
		"--user=root",
		// Negative answers for names outside the lab zone, never forwarded.
		"--local=/#/",
	}
	for _, r := range o.SRV {
		args = append(args, fmt.Sprintf("--srv-host=%s,%s,%d,%d,%d", r.Name, r.Target, r.Port, r.Priority, r.Weight))
	}
	for name, ip := range o.A {
		if p := net.ParseIP(ip); p == nil || p.To4() == nil {
			return nil, fmt.Errorf("starting dnsmasq: A record %s: %q is not an IPv4 address", name, ip)
		}
		args = append(args, "--host-record="+name+","+ip)
	}
	d := &DNSMasq{addr: addr, logPath: filepath.Join(runDir, "dnsmasq.log"), done: make(chan struct{})}
	out, err := os.OpenFile(filepath.Join(runDir, "dnsmasq.out"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("starting dnsmasq on %s: %w", addr, err)
	}
	cmd := exec.Command("dnsmasq", args...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		out.Close()
		return nil, fmt.Errorf("starting dnsmasq on %s: %w", addr, err)
	}
	d.cmd = cmd
	go func() {
		_ = cmd.Wait()
		out.Close()
		close(d.done)
	}()
	if err := d.waitReady(ctx, o.StartTimeout); err != nil {
		d.Stop()
		tail, _ := os.ReadFile(filepath.Join(runDir, "dnsmasq.out"))
		return nil, fmt.Errorf("starting dnsmasq on %s: %w\n%s", addr, err, strings.TrimSpace(string(tail)))
	}
	return d, nil
}

func (d *DNSMasq) waitReady(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		select {
		case <-d.done:
			return errors.New("dnsmasq exited during startup")
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		c, err := net.DialTimeout("tcp", d.addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not answering after %s: %w", timeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Addr is the DNS server's host:port (UDP and TCP).
func (d *DNSMasq) Addr() string { return d.addr }

// Resolver returns a pure-Go resolver that asks only this dnsmasq.
func (d *DNSMasq) Resolver() *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var dl net.Dialer
		return dl.DialContext(ctx, network, d.addr)
	}}
}

// Stop terminates dnsmasq and waits for it.
func (d *DNSMasq) Stop() error {
	d.once.Do(func() {
		pid := d.cmd.Process.Pid
		_ = syscall.Kill(pid, syscall.SIGTERM)
		select {
		case <-d.done:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(-pid, syscall.SIGKILL)
			<-d.done
		}
	})
	return nil
}

// Pid is dnsmasq's process id.
func (d *DNSMasq) Pid() int { return d.cmd.Process.Pid }
