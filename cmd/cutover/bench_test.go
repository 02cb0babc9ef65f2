package main

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/cutover-dev/cutover/fixtures"
	"github.com/cutover-dev/cutover/internal/atomicfile"
	"github.com/cutover-dev/cutover/internal/labtool"
	"github.com/cutover-dev/cutover/rundir"
)

// BenchmarkMigrateCLI10k migrates 10,000 generated devices the way an
// operator runs a lab wave: `cutover emulate webex` (HTTPS, seeded from the
// inventory) in one process and `cutover migrate --rate 100000 --jobs 32`
// in another, both this test binary re-executed. It reports migrate's wall
// time and peak RSS and both processes' CPU. The run directory is on the
// disk, and on tmpfs where there is one (a new file costs about 1 ms on this
// kind of VM's disk: see BENCHMARKS.md, Migration). With
// CUTOVER_BENCH_CPUPROFILE=FILE the migrate process writes a CPU profile
// to FILE and the emulator to FILE.emulator.
func BenchmarkMigrateCLI10k(b *testing.B) {
	const n = 10_000
	dir := b.TempDir()
	inv := filepath.Join(dir, "inventory.xlsx")
	err := atomicfile.WriteFunc(inv, rundir.ModeSecret, false, func(w io.Writer) error { return fixtures.Generate(w, n, 1) })
	if err != nil {
		b.Fatal(err)
	}
	b.Run("disk", func(b *testing.B) { benchMigrateCLI(b, inv, n, b.TempDir) })
	b.Run("tmpfs", func(b *testing.B) {
		if _, err := os.Stat("/dev/shm"); err != nil {
			b.Skip("no /dev/shm")
		}
		benchMigrateCLI(b, inv, n, func() string {
			d, err := os.MkdirTemp("/dev/shm", "cutover-bench")
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { os.RemoveAll(d) })
			return d
		})
	})
}

func benchMigrateCLI(b *testing.B, inv string, n int, runDir func() string) {
	for b.Loop() {
		b.StopTimer()
		certFile, keyFile, _ := labServerCert(b, b.TempDir())
		caFile := filepath.Join(filepath.Dir(certFile), "ca.crt")
		if _, err := os.Stat(caFile); err != nil {
			b.Fatalf("lab CA file: %v", err)
		}
		const token = "bench-admin-token"
		var emuEnv []string
		if p := os.Getenv("CUTOVER_BENCH_CPUPROFILE"); p != "" {
			emuEnv = append(emuEnv, "CUTOVER_HELPER_CPUPROFILE="+p+".emulator")
		}
		emu, url := startHelper(b, regexp.MustCompile(`serving (\S+/v1);`), emuEnv,
			"emulate", "webex", "--listen", "127.0.0.1:0", "--token", token, "--inventory", inv,
			"--tls-cert", certFile, "--tls-key", keyFile)
		run := runDir()
		env := []string{"SSL_CERT_FILE=" + caFile, "WEBEX_TOKEN=" + token}
		if p := os.Getenv("CUTOVER_BENCH_CPUPROFILE"); p != "" {
			env = append(env, "CUTOVER_HELPER_CPUPROFILE="+p)
		}
		mig := helperCmd(context.Background(), env,
			"--webex-url", url, "-q", "migrate", inv, "--run", run, "--rate", "100000", "--jobs", "32")
		out := &labtool.Output{}
		mig.Stdout, mig.Stderr = out, out
		b.StartTimer()
		t0 := time.Now()
		err := mig.Run()
		took := time.Since(t0)
		b.StopTimer()
		if err != nil {
			// Exit 0 means every device is done (cutover migrate --help).
			b.Fatalf("cutover migrate: %v\n%s", err, tail(out.String(), 2000))
		}
		_ = emu.Process.Signal(os.Interrupt)
		_ = emu.Wait()
		mu := mig.ProcessState.SysUsage().(*syscall.Rusage)
		eu := emu.ProcessState.SysUsage().(*syscall.Rusage)
		b.ReportMetric(took.Seconds(), "s-wall")
		b.ReportMetric(float64(n)/took.Seconds(), "devices/s")
		b.ReportMetric(float64(mu.Maxrss)/1024, "MB-RSS-migrate")
		b.ReportMetric(float64(eu.Maxrss)/1024, "MB-RSS-emulator")
		b.ReportMetric(cpuSeconds(mig.ProcessState), "cpu-s-migrate")
		b.ReportMetric(cpuSeconds(emu.ProcessState), "cpu-s-emulator")
		b.StartTimer()
	}
}

func cpuSeconds(ps *os.ProcessState) float64 { return (ps.UserTime() + ps.SystemTime()).Seconds() }

// helperCmd is this test binary re-executed as `cutover args...`
// (TestCutoverHelperProcess), with env added.
func helperCmd(ctx context.Context, env []string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, os.Args[0], append([]string{"-test.run=^TestCutoverHelperProcess$", "--"}, args...)...)
	cmd.Env = append(append(os.Environ(), "CUTOVER_HELPER_PROCESS=1"), env...)
	return cmd
}

// startHelper starts `cutover args...` in a child and waits for its
// stdout to match ready; it returns the child and the first submatch. The
// child is interrupted and waited for when the benchmark ends.
func startHelper(b *testing.B, ready *regexp.Regexp, env []string, args ...string) (*exec.Cmd, string) {
	b.Helper()
	cmd := helperCmd(context.Background(), env, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := ready.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
	}()
	select {
	case m := <-found:
		return cmd, m
	case <-time.After(60 * time.Second):
		b.Fatalf("cutover %s: no %q after 60 s", args[0], ready)
		return nil, ""
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
