package device_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cutover-dev/cutover/simulator/device/devicetest"
	"github.com/cutover-dev/cutover/simulator/lab"
)

// This package's lab addresses: simulator/lab uses 127.0.0.11/.12 and
// certify 127.0.0.21/.22, and go test runs packages in parallel. SIPp and
// the socat bridge bind on kamailioClientIP.
const (
	kamailioPrimaryIP   = "127.0.0.31"
	kamailioSecondaryIP = "127.0.0.32"
	kamailioClientIP    = "127.0.0.33"
)

// BenchmarkSIPpKamailio is the reference for the simulator's figures:
// Debian's SIPp (no TLS) doing the same digest registration against the
// same Kamailio, 10,000 registrations over one connection, up to 200 at
// once: over plain TCP, and over TLS 1.2 through a socat bridge.
func BenchmarkSIPpKamailio(b *testing.B) {
	sipp := lab.RequireTool(b, "sipp", "sip-tester")
	const n = 1000
	users := map[string]string{}
	var inj strings.Builder
	inj.WriteString("SEQUENTIAL\n")
	for i := 0; i < n; i++ {
		u := benchConfig(i).User
		users[u] = devicetest.DerivedPassword(u)
		fmt.Fprintf(&inj, "%s;%s;[authentication username=%s password=%s]\n", u, devicetest.Domain, u, users[u])
	}
	kl := devicetest.StartKamailio(b, users, devicetest.KamailioLabOptions{PrimaryIP: kamailioPrimaryIP, SecondaryIP: kamailioSecondaryIP, TCP: true})
	dir := b.TempDir()
	injFile := filepath.Join(dir, "users.csv")
	if err := os.WriteFile(injFile, []byte(inj.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	scenario, err := filepath.Abs("testdata/sipp-register.xml")
	if err != nil {
		b.Fatal(err)
	}
	run := func(b *testing.B, target string) {
		const calls = 10000
		for i := 0; i < b.N; i++ {
			port, err := lab.FreePort(kamailioClientIP)
			if err != nil {
				b.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			// -i/-p: SIPp's own address, never the default 5060 on every
			// interface that something else may hold.
			cmd := exec.CommandContext(ctx, sipp, target, "-sf", scenario, "-inf", injFile, "-t", "t1",
				"-m", strconv.Itoa(calls), "-r", "100000", "-l", "200", "-nostdin", "-nr",
				"-i", kamailioClientIP, "-p", strconv.Itoa(port),
				"-trace_err", "-error_file", filepath.Join(dir, "sipp-errors.log"))
			cmd.Dir = dir
			ownGroup(cmd)
			start := time.Now()
			out, err := cmd.CombinedOutput()
			elapsed := time.Since(start)
			cancel()
			if err != nil {
				b.Fatalf("sipp: %v\n%s", err, tail(string(out), 2000))
			}
			b.ReportMetric(calls/elapsed.Seconds(), "registrations/s")
		}
	}
	b.Run("tcp", func(b *testing.B) { run(b, kl.PrimaryTCP) })
	b.Run("tls-socat", func(b *testing.B) { run(b, startSocatBridge(b, kl.Primary.Addr())) })
}

// ownGroup puts cmd in its own process group, killed as a whole when a
// CommandContext's context ends, so that no child outlives the benchmark.
func ownGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if cmd.Cancel != nil {
		cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	}
}

// waitListening waits until addr accepts TCP connections (socat binds
// after it starts), the process exits, or timeout passes. The probe
// connection is closed at once; socat's child for it just ends.
func waitListening(addr string, exited <-chan struct{}, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			return c.Close()
		}
		select {
		case <-exited:
			return errors.New("exited before listening")
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not listening after %s: %w", timeout, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
