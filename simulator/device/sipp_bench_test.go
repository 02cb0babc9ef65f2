package device_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cutover-dev/cutover/simulator/device/devicetest"
	"github.com/cutover-dev/cutover/simulator/lab"
)

// requireTool skips (or fails under CUTOVER_REQUIRE_LAB=1) when a lab tool
// is missing.
func requireTool(b *testing.B, name string) string {
	b.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv(lab.RequireLabEnv) == "1" {
			b.Fatalf("%s not found on PATH (and %s=1 requires the lab)", name, lab.RequireLabEnv)
		}
		b.Skipf("%s not found on PATH; install it (Debian: sip-tester, socat)", name)
	}
	return p
}

// BenchmarkSIPpKamailio is the reference for the simulator's figures:
// Debian's SIPp (no TLS) doing the same digest registration against the
// same Kamailio, 10,000 registrations over one connection, up to 200 at
// once: over plain TCP, and over TLS 1.2 through a socat bridge.
func BenchmarkSIPpKamailio(b *testing.B) {
	sipp := requireTool(b, "sipp")
	const n = 1000
	users := map[string]string{}
	var inj strings.Builder
	inj.WriteString("SEQUENTIAL\n")
	for i := 0; i < n; i++ {
		u := benchConfig(i).User
		users[u] = devicetest.DerivedPassword(u)
		fmt.Fprintf(&inj, "%s;%s;[authentication username=%s password=%s]\n", u, devicetest.Domain, u, users[u])
	}
	kl := devicetest.StartKamailio(b, users, devicetest.KamailioLabOptions{ShmMB: 1024, TCP: true})
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
			cmd := exec.Command(sipp, target, "-sf", scenario, "-inf", injFile, "-t", "t1",
				"-m", fmt.Sprint(calls), "-r", "100000", "-l", "200", "-nostdin", "-nr",
				"-i", "127.0.0.1", "-trace_err", "-error_file", filepath.Join(dir, "sipp-errors.log"))
			cmd.Dir = dir
			start := time.Now()
			out, err := cmd.CombinedOutput()
			elapsed := time.Since(start)
			if err != nil {
				tail := string(out)
				if len(tail) > 2000 {
					tail = tail[len(tail)-2000:]
				}
				b.Fatalf("sipp: %v\n%s", err, tail)
			}
			b.ReportMetric(calls/elapsed.Seconds(), "registrations/s")
		}
	}
	b.Run("tcp", func(b *testing.B) { run(b, kl.PrimaryTCP) })
	b.Run("tls-socat", func(b *testing.B) {
		socat := requireTool(b, "socat")
		p, err := lab.FreePort("127.0.0.1")
		if err != nil {
			b.Fatal(err)
		}
		bridge := fmt.Sprintf("127.0.0.1:%d", p)
		cmd := exec.Command(socat, fmt.Sprintf("TCP-LISTEN:%d,bind=127.0.0.1,reuseaddr,fork", p),
			fmt.Sprintf("OPENSSL:%s,verify=0,openssl-min-proto-version=TLS1.2,openssl-max-proto-version=TLS1.2", kl.Primary.Addr()))
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
		time.Sleep(200 * time.Millisecond) // socat binds asynchronously
		run(b, bridge)
	})
}
