package device_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cutover-dev/cutover/internal/labtool"
	"github.com/cutover-dev/cutover/simulator/device"
	"github.com/cutover-dev/cutover/simulator/device/devicetest"
	"github.com/cutover-dev/cutover/simulator/lab"
)

// Equal work for the simulator and SIPp against one Kamailio: equalDevices
// devices (SIPp: calls), at most equalAtOnce at a time; each opens its own
// connection (SIPp: -t tn, a socket per call), registers `rounds` times over
// it with digest (REGISTER, 401, REGISTER with credentials, 200; the first
// round pays the connection and, over TLS, the handshake) and closes it.
// The rate counts registrations, connection setup included.
const (
	equalDevices = 1000
	equalAtOnce  = 200
)

// BenchmarkEqualWorkKamailio runs that work over plain TCP (the simulator's
// TCP transport, SIPp's tn) and over TLS 1.2 (the simulator's own TLS;
// Debian's SIPp has no TLS, so each of its sockets goes through a bridge
// that opens one TLS connection to Kamailio per SIPp connection: stunnel,
// one threaded process that verifies Kamailio's certificate as the
// simulator does, its CPU counted with SIPp's; and socat, which forks a
// process per connection), for one registration per connection and for
// ten. It logs the ratio simulator / SIPp for each. Command: BENCHMARKS.md,
// SIP.
func BenchmarkEqualWorkKamailio(b *testing.B) {
	sipp := lab.RequireTool(b, "sipp", "sip-tester")
	type run struct {
		rounds      int
		tool, trans string
	}
	var runs []run
	for _, rounds := range []int{1, 10} {
		for _, tr := range []struct{ ours, theirs string }{{"tcp", "tcp"}, {"tls", "tls-stunnel"}, {"tls", "tls-socat"}} {
			runs = append(runs, run{rounds, "cutover", tr.ours}, run{rounds, "sipp", tr.theirs})
		}
	}
	// Each run registers its own users, so that none starts with the
	// bindings an earlier run left in Kamailio's location table (every
	// new connection is a new contact, and a 200 lists them all).
	users := map[string]string{}
	for i := 0; i < len(runs)*equalDevices; i++ {
		u := benchConfig(i).User
		users[u] = devicetest.DerivedPassword(u)
	}
	kl := devicetest.StartKamailio(b, users, devicetest.KamailioLabOptions{PrimaryIP: kamailioPrimaryIP, SecondaryIP: kamailioSecondaryIP, TCP: true})
	dir := b.TempDir()
	tlsTarget := net.JoinHostPort(devicetest.Primary, port(kl.Primary.Addr()))
	rates := map[string]float64{}
	for k, r := range runs {
		first := k * equalDevices
		name := fmt.Sprintf("rounds=%d/%s/%s", r.rounds, r.tool, r.trans)
		b.Run(name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				var (
					rate   float64
					client time.Duration // the client's own CPU: this process, or SIPp's
				)
				kam0 := treeCPU(kl.Primary.Pid())
				self0 := selfCPU()
				switch {
				case r.tool == "cutover" && r.trans == "tcp":
					rate = equalWorkSimulator(b, device.TransportTCP, kl.PrimaryTCP, first, r.rounds, kl)
					client = selfCPU() - self0
				case r.tool == "cutover":
					rate = equalWorkSimulator(b, device.TransportTLS, tlsTarget, first, r.rounds, kl)
					client = selfCPU() - self0
				case r.trans == "tcp":
					rate, client = equalWorkSIPp(b, sipp, kl.PrimaryTCP, dir, first, r.rounds)
				case r.trans == "tls-stunnel":
					bridge, bridgeCPU := startStunnelBridge(b, kl.Primary.Addr(), dir)
					rate, client = equalWorkSIPp(b, sipp, bridge, dir, first, r.rounds)
					client += bridgeCPU()
				default:
					// SIPp's CPU only: the socat bridge's is not counted.
					rate, client = equalWorkSIPp(b, sipp, startSocatBridge(b, kl.Primary.Addr()), dir, first, r.rounds)
				}
				regs := float64(equalDevices * r.rounds)
				rates[name] = rate
				b.ReportMetric(rate, "registrations/s")
				b.ReportMetric(float64(client.Microseconds())/regs, "client-cpu-us/reg")
				b.ReportMetric(float64((treeCPU(kl.Primary.Pid())-kam0).Microseconds())/regs, "kamailio-cpu-us/reg")
			}
		})
	}
	for _, rounds := range []int{1, 10} {
		for _, tr := range []struct{ ours, theirs string }{{"tcp", "tcp"}, {"tls", "tls-stunnel"}, {"tls", "tls-socat"}} {
			ours, theirs := rates[fmt.Sprintf("rounds=%d/cutover/%s", rounds, tr.ours)], rates[fmt.Sprintf("rounds=%d/sipp/%s", rounds, tr.theirs)]
			if ours > 0 && theirs > 0 {
				b.Logf("rounds=%d %s against SIPp %s: cutover %.0f/s, SIPp %.0f/s, ratio %.2f", rounds, tr.ours, tr.theirs, ours, theirs, ours/theirs)
			}
		}
	}
}

// port is the port of a host:port address.
func port(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}

// equalWorkSimulator runs the work with simulated devices over transport to
// target (host:port) and returns registrations per second.
func equalWorkSimulator(b *testing.B, transport, target string, first, rounds int, kl *devicetest.KamailioLab) float64 {
	opts := []device.Option{device.WithRoots(kl.Roots), device.WithResolver(kl.Resolver()), device.WithTimeout(30 * time.Second)}
	cfgs := make([]device.Config, equalDevices)
	for i := range cfgs {
		cfgs[i] = benchConfig(first + i)
		cfgs[i].Transport = transport
		cfgs[i].Proxies = []string{target}
	}
	var (
		wg     sync.WaitGroup
		errMu  sync.Mutex
		failed error
		next   = make(chan device.Config)
	)
	fail := func(err error) {
		errMu.Lock()
		if failed == nil {
			failed = err
		}
		errMu.Unlock()
	}
	start := time.Now()
	for w := 0; w < equalAtOnce; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for cfg := range next {
				d, err := device.New(cfg, opts...)
				if err != nil {
					fail(err)
					continue
				}
				if _, err := d.Register(context.Background()); err != nil {
					fail(err)
				}
				for r := 1; r < rounds; r++ {
					if _, err := d.Refresh(context.Background()); err != nil {
						fail(err)
						break
					}
				}
				d.Close()
			}
		}()
	}
	for _, c := range cfgs {
		next <- c
	}
	close(next)
	wg.Wait()
	elapsed := time.Since(start)
	if failed != nil {
		b.Fatal(failed)
	}
	if d := cfgs[0].Transport; d == device.TransportTLS {
		// Proof that the work was TLS: a device of the same config reports the version.
		dev, err := device.New(cfgs[0], opts...)
		if err != nil {
			b.Fatal(err)
		}
		reg, err := dev.Register(context.Background())
		dev.Close()
		if err != nil {
			b.Fatal(err)
		}
		if reg.TLS.Version == 0 {
			b.Fatal("a TLS device registered without TLS")
		}
	}
	return float64(equalDevices*rounds) / elapsed.Seconds()
}

// equalWorkSIPp runs the same work with SIPp: one call per device (users
// from first on), its own socket (-t tn), the scenario registering rounds
// times.
func equalWorkSIPp(b *testing.B, sipp, target, dir string, first, rounds int) (float64, time.Duration) {
	var inj strings.Builder
	inj.WriteString("SEQUENTIAL\n")
	for i := first; i < first+equalDevices; i++ {
		u := benchConfig(i).User
		fmt.Fprintf(&inj, "%s;%s;[authentication username=%s password=%s]\n", u, devicetest.Domain, u, devicetest.DerivedPassword(u))
	}
	injFile := filepath.Join(dir, fmt.Sprintf("users-%d.csv", first))
	scenario := filepath.Join(dir, fmt.Sprintf("register-x%d.xml", rounds))
	if err := os.WriteFile(injFile, []byte(inj.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(scenario, []byte(sippRegisterRounds(rounds)), 0o600); err != nil {
		b.Fatal(err)
	}
	p, err := lab.FreePort(kamailioClientIP)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, sipp, target, "-sf", scenario, "-inf", injFile, "-t", "tn",
		"-m", strconv.Itoa(equalDevices), "-r", "100000", "-l", strconv.Itoa(equalAtOnce), "-nostdin", "-nr",
		"-i", kamailioClientIP, "-p", strconv.Itoa(p), "-max_socket", strconv.Itoa(2*equalAtOnce+100),
		"-trace_err", "-error_file", filepath.Join(dir, "sipp-errors.log"))
	cmd.Dir = dir
	ownGroup(cmd)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	elapsed := time.Since(start)
	if err != nil {
		// SIPp exits non-zero when any call failed: equal work means all of it.
		b.Fatalf("sipp: %v\n%s", err, tail(string(out), 2000))
	}
	return float64(equalDevices*rounds) / elapsed.Seconds(), cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
}

// selfCPU is this process's user and system CPU so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// treeCPU is the user and system CPU of pid and its children (Kamailio's
// workers), read from /proc; 0 where /proc cannot be read.
func treeCPU(pid int) time.Duration {
	if pid == 0 {
		return 0
	}
	const tick = 10 * time.Millisecond // USER_HZ is 100 on Linux
	var total time.Duration
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		raw, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// Fields after the command name, which is in parentheses and may hold spaces.
		f := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+1:]))
		if len(f) < 13 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		if n != pid && ppid != pid {
			continue
		}
		ut, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		total += time.Duration(ut+st) * tick
	}
	return total
}

// startSocatBridge starts socat on kamailioClientIP forking one TLS 1.2
// connection to target per accepted connection, and returns its address.
func startSocatBridge(b *testing.B, target string) string {
	socat := lab.RequireTool(b, "socat", "socat")
	p, err := lab.FreePort(kamailioClientIP)
	if err != nil {
		b.Fatal(err)
	}
	bridge := net.JoinHostPort(kamailioClientIP, strconv.Itoa(p))
	cmd := exec.Command(socat, fmt.Sprintf("TCP-LISTEN:%d,bind=%s,reuseaddr,fork,backlog=1024", p, kamailioClientIP),
		fmt.Sprintf("OPENSSL:%s,verify=0,openssl-min-proto-version=TLS1.2,openssl-max-proto-version=TLS1.2", target))
	startBridge(b, "socat", cmd, bridge)
	return bridge
}

// startBridge starts a TLS bridge's cmd in its own process group (socat
// forks a child per connection), ends the whole group at cleanup, and
// waits until it listens on addr; the test fails with its output if it
// does not.
func startBridge(b *testing.B, name string, cmd *exec.Cmd, addr string) {
	var log labtool.Output
	cmd.Stdout, cmd.Stderr = &log, &log
	ownGroup(cmd)
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	b.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	})
	if err := waitListening(addr, exited, 10*time.Second); err != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited // the output is complete once the bridge has exited
		b.Fatalf("%s bridge %s: %v (%v)\n%s", name, addr, err, waitErr, tail(log.String(), 2000))
	}
}

// startStunnelBridge starts stunnel (one process, a thread per connection)
// on kamailioClientIP in client mode: each accepted connection becomes one
// TLS 1.2 connection to target, whose certificate is verified against the
// lab CA and devicetest.Primary, as the simulator verifies it, and with a
// full handshake each time, as the simulator's (stunnel would otherwise
// resume its last session, which spares it and Kamailio the key exchange
// and the signature). It returns
// the bridge's address and a function giving the CPU stunnel has used so
// far.
func startStunnelBridge(b *testing.B, target, dir string) (string, func() time.Duration) {
	stunnel := lab.RequireTool(b, "stunnel4", "stunnel4")
	ca, err := devicetest.CA()
	if err != nil {
		b.Fatal(err)
	}
	caFile := filepath.Join(dir, "stunnel-ca.pem")
	if err := os.WriteFile(caFile, ca.CertPEM(), 0o600); err != nil {
		b.Fatal(err)
	}
	p, err := lab.FreePort(kamailioClientIP)
	if err != nil {
		b.Fatal(err)
	}
	bridge := net.JoinHostPort(kamailioClientIP, strconv.Itoa(p))
	conf := filepath.Join(dir, fmt.Sprintf("stunnel-%d.conf", p))
	err = os.WriteFile(conf, []byte(fmt.Sprintf(`foreground = yes
pid =
debug = 3
socket = l:TCP_NODELAY=1
socket = r:TCP_NODELAY=1
[sip]
client = yes
accept = %s
connect = %s
sslVersionMin = TLSv1.2
sslVersionMax = TLSv1.2
CAfile = %s
verifyChain = yes
checkHost = %s
sni = %s
sessionResume = no
`, bridge, target, caFile, devicetest.Primary, devicetest.Primary)), 0o600)
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(stunnel, conf)
	startBridge(b, "stunnel", cmd, bridge)
	cpu0 := treeCPU(cmd.Process.Pid)
	return bridge, func() time.Duration { return treeCPU(cmd.Process.Pid) - cpu0 }
}

// sippRegisterRounds is testdata/sipp-register.xml with its registration
// repeated rounds times in one call (one socket under -t tn), the CSeq
// rising as RFC 3261 10.2.4 asks of a refresh.
func sippRegisterRounds(rounds int) string {
	var s strings.Builder
	s.WriteString(`<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="cutover digest register, equal work">
`)
	for r := 0; r < rounds; r++ {
		for i, auth := range []string{"", "[field2]\n"} {
			fmt.Fprintf(&s, `  <send retrans="500">
    <![CDATA[
REGISTER sip:[field1] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:[field0]@[field1]>;tag=[pid]SIPpTag[call_number]
To: <sip:[field0]@[field1]>
Call-ID: [call_id]
CSeq: %d REGISTER
Contact: <sip:[field0]@[local_ip]:[local_port];transport=[transport]>
%sMax-Forwards: 70
Expires: 3600
User-Agent: SIPp reference
Content-Length: 0

    ]]>
  </send>
`, 2*r+i+1, auth)
			if i == 0 {
				s.WriteString("  <recv response=\"401\" auth=\"true\"/>\n")
			} else {
				s.WriteString("  <recv response=\"200\"/>\n")
			}
		}
	}
	s.WriteString("</scenario>\n")
	return s.String()
}
