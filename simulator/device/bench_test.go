package device_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/cutover-dev/cutover/simulator/device"
	"github.com/cutover-dev/cutover/simulator/device/devicetest"
	"github.com/cutover-dev/cutover/simulator/sbc"
	"github.com/emiago/sipgo/sip"
)

// The benchmarks register simulated devices against an SBC emulator that
// runs in a child process (this test binary re-executed with
// benchServerEnv set), so that the memory measured here is the devices'
// alone. Both processes share the machine's cores, as in the GO-NOTES
// measurements.
const benchServerEnv = "CUTOVER_BENCH_SBC"

// benchLab is what the child prints on its first line.
type benchLab struct {
	SBC1, SBC2, DNS string
	CA              []byte
}

// serveBenchLab runs in the child: start the lab with derived users, print
// its addresses, serve until stdin closes.
func serveBenchLab() {
	l, stop, err := devicetest.StartLab(context.Background(), sbc.WithUsers(devicetest.DerivedUsers{Prefix: "b"}))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer stop()
	b, _ := json.Marshal(benchLab{SBC1: l.SBC1.Addr(), SBC2: l.SBC2.Addr(), DNS: l.DNS.Addr(), CA: l.CA.CertPEM()})
	fmt.Println(string(b))
	_, _ = io.Copy(io.Discard, os.Stdin)
}

// startBenchLab starts the child and returns device options to reach it.
func startBenchLab(b *testing.B) []device.Option {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), benchServerEnv+"=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		stdin.Close()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadBytes('\n')
	if err != nil {
		b.Fatalf("reading the SBC child's addresses: %v", err)
	}
	var bl benchLab
	if err := json.Unmarshal(line, &bl); err != nil {
		b.Fatalf("SBC child said %q: %v", line, err)
	}
	certs, err := device.ParseCertificates(bl.CA)
	if err != nil {
		b.Fatal(err)
	}
	return []device.Option{
		device.WithRoots(device.TrustStore(certs...)),
		device.WithResolver(device.NewResolver(bl.DNS)),
		device.WithTimeout(30 * time.Second),
	}
}

func benchConfig(i int) device.Config {
	user := fmt.Sprintf("b%05d", i)
	return device.Config{
		MAC: devicetest.MAC(strconv.Itoa(i)), Make: "Yealink", Model: "T57W",
		User: user, Domain: devicetest.Domain, Password: devicetest.DerivedPassword(user), SRVDomain: devicetest.Domain,
	}
}

// fleet builds n devices sharing one SRV lookup (targets), as a fleet
// behind one DNS answer does.
func fleet(b *testing.B, n int, opts []device.Option) []*device.Device {
	b.Helper()
	first, err := device.New(benchConfig(0), opts...)
	if err != nil {
		b.Fatal(err)
	}
	targets, err := first.Targets(context.Background())
	first.Close()
	if err != nil {
		b.Fatal(err)
	}
	opts = append(slices.Clip(opts), device.WithTargets(targets))
	out := make([]*device.Device, n)
	for i := range out {
		if out[i], err = device.New(benchConfig(i), opts...); err != nil {
			b.Fatal(err)
		}
	}
	b.Cleanup(func() {
		for _, d := range out {
			d.Close()
		}
	})
	return out
}

// latencies collects per-registration durations from many goroutines.
type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d time.Duration) { l.mu.Lock(); l.d = append(l.d, d); l.mu.Unlock() }

func (l *latencies) pct(p float64) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.d) == 0 {
		return 0
	}
	slices.Sort(l.d)
	i := int(math.Ceil(p/100*float64(len(l.d)))) - 1
	return l.d[max(i, 0)]
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// registerAll registers every device once, workers at a time, and fails
// the benchmark on the first error.
func registerAll(b *testing.B, devs []*device.Device, workers int, lat *latencies) time.Duration {
	b.Helper()
	var (
		wg    sync.WaitGroup
		errMu sync.Mutex
		first error
		next  = make(chan *device.Device)
	)
	start := time.Now()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for d := range next {
				t0 := time.Now()
				_, err := d.Register(context.Background())
				if lat != nil {
					lat.add(time.Since(t0))
				}
				if err != nil {
					errMu.Lock()
					if first == nil {
						first = err
					}
					errMu.Unlock()
				}
			}
		}()
	}
	for _, d := range devs {
		next <- d
	}
	close(next)
	wg.Wait()
	if first != nil {
		b.Fatal(first)
	}
	return time.Since(start)
}

// BenchmarkRegisterPersistent1k: 1,000 devices registered over their own
// TLS 1.2 connections, then every device refreshes (a full digest
// registration: REGISTER, 401, REGISTER, 200) 10 times over the same
// connection, all devices at once.
func BenchmarkRegisterPersistent1k(b *testing.B) { benchPersistent(b, startBenchLab(b)) }

// BenchmarkKamailioRegisterPersistent1k is the same against a real
// Kamailio registrar (lab package; skipped where Kamailio cannot run).
func BenchmarkKamailioRegisterPersistent1k(b *testing.B) { benchPersistent(b, startKamailioBench(b)) }

// BenchmarkKamailioRegisterFreshHandshake1k is the fresh-handshake
// benchmark against Kamailio.
func BenchmarkKamailioRegisterFreshHandshake1k(b *testing.B) { benchFresh(b, startKamailioBench(b)) }

func startKamailioBench(b *testing.B) []device.Option {
	users := map[string]string{}
	for i := 0; i < 1000; i++ {
		u := benchConfig(i).User
		users[u] = devicetest.DerivedPassword(u)
	}
	kl := devicetest.StartKamailio(b, users, devicetest.KamailioLabOptions{PrimaryIP: kamailioPrimaryIP, SecondaryIP: kamailioSecondaryIP})
	return []device.Option{device.WithRoots(kl.Roots), device.WithResolver(kl.Resolver()), device.WithTimeout(30 * time.Second)}
}

func benchPersistent(b *testing.B, opts []device.Option) {
	const n, rounds = 1000, 10
	for i := 0; i < b.N; i++ {
		before := heapInUse()
		devs := fleet(b, n, opts)
		registerAll(b, devs, 200, nil)
		perDevice := float64(heapInUse()-before) / n
		var lat latencies
		var wg sync.WaitGroup
		start := time.Now()
		for _, d := range devs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for r := 0; r < rounds; r++ {
					t0 := time.Now()
					if _, err := d.Refresh(context.Background()); err != nil {
						b.Error(err)
						return
					}
					lat.add(time.Since(t0))
				}
			}()
		}
		wg.Wait()
		elapsed := time.Since(start)
		b.ReportMetric(float64(n*rounds)/elapsed.Seconds(), "registrations/s")
		b.ReportMetric(float64(lat.pct(50).Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(lat.pct(99).Microseconds())/1000, "p99-ms")
		b.ReportMetric(perDevice/1024, "KiB/device")
	}
}

// BenchmarkRegisterFreshHandshake1k: 1,000 devices each register twice,
// every registration on a new TLS 1.2 connection (handshake, certificate
// verification, digest), 200 at a time.
func BenchmarkRegisterFreshHandshake1k(b *testing.B) { benchFresh(b, startBenchLab(b)) }

func benchFresh(b *testing.B, opts []device.Option) {
	const n, rounds = 1000, 2
	for i := 0; i < b.N; i++ {
		var lat latencies
		var elapsed time.Duration
		for r := 0; r < rounds; r++ {
			devs := fleet(b, n, opts)
			elapsed += registerAll(b, devs, 200, &lat)
			for _, d := range devs {
				d.Close()
			}
		}
		b.ReportMetric(float64(n*rounds)/elapsed.Seconds(), "registrations/s")
		b.ReportMetric(float64(lat.pct(50).Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(lat.pct(99).Microseconds())/1000, "p99-ms")
	}
}

// BenchmarkRegistered10k: 10,000 devices registered at once, each on its
// own TLS 1.2 connection; reports the heap and goroutines each costs while
// registered.
func BenchmarkRegistered10k(b *testing.B) {
	b.Run("default", func(b *testing.B) { benchRegistered(b, 10000) })
	// The lean path: sipgo's per-connection read buffer cut from 32 KiB to
	// 4 KiB in this process (the SBC runs in the child, untouched).
	b.Run("lean", func(b *testing.B) {
		defer device.SetReadBufferSize(sip.TransportBufferReadSize)
		device.SetReadBufferSize(4096)
		benchRegistered(b, 10000)
	})
}

func benchRegistered(b *testing.B, n int) {
	opts := startBenchLab(b)
	for i := 0; i < b.N; i++ {
		g0 := runtime.NumGoroutine()
		before := heapInUse()
		devs := fleet(b, n, opts)
		elapsed := registerAll(b, devs, 500, nil)
		after := heapInUse()
		b.ReportMetric(float64(n)/elapsed.Seconds(), "registrations/s")
		b.ReportMetric(float64(after-before)/float64(n)/1024, "KiB/device")
		b.ReportMetric(float64(runtime.NumGoroutine()-g0)/float64(n), "goroutines/device")
		for _, d := range devs {
			d.Close()
		}
	}
}
