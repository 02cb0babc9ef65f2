package sbc

import (
	"crypto/tls"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// BenchmarkSBCServeRegistrations measures the server side: 200 raw sipgo
// clients, each on its own persistent TLS 1.2 connection (set up before
// timing), each doing 10 full digest registrations (401 then 200: two
// transactions). Client and
// server share the machine, so the figure is a floor for the SBC alone.
// One iteration is the whole job (make bench runs -benchtime 1x).
func BenchmarkSBCServeRegistrations(b *testing.B) {
	const clients, perClient = 200, 10
	users := StaticUsers{}
	for i := range clients {
		users[fmt.Sprintf("u%04d", i)] = fmt.Sprintf("P4ss!%04d", i)
	}
	s := startSBC(b, WithUsers(users))
	conf := clientTLS(b, tls.VersionTLS12, tls.VersionTLS12)
	devs := make([]*testDevice, clients)
	for i := range devs {
		devs[i] = newDevice(b, s.Addr(), fmt.Sprintf("u%04d", i), conf)
		// Connect and register once untimed: the figure is for refreshes
		// on persistent connections, as devices do between reboots.
		if res, err := devs[i].register(fmt.Sprintf("P4ss!%04d", i), "600"); err != nil || res.StatusCode != 200 {
			b.Fatalf("warm-up registration: %v %v", res, err)
		}
	}
	b.ResetTimer()
	var total time.Duration
	var lat []time.Duration
	for range b.N {
		var mu sync.Mutex
		var wg sync.WaitGroup
		start := time.Now()
		for i, d := range devs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				local := make([]time.Duration, 0, perClient)
				for range perClient {
					t0 := time.Now()
					res, err := d.register(fmt.Sprintf("P4ss!%04d", i), "600")
					if err != nil || res.StatusCode != 200 {
						b.Errorf("%s: %v %v", d.user, res, err)
						return
					}
					local = append(local, time.Since(t0))
				}
				mu.Lock()
				lat = append(lat, local...)
				mu.Unlock()
			}()
		}
		wg.Wait()
		total += time.Since(start)
	}
	b.StopTimer()
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	b.ReportMetric(float64(len(lat))/total.Seconds(), "registrations/s")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
}

// BenchmarkSBCIdleConnections opens 2,000 TLS 1.2 connections (plain
// crypto/tls clients, each sending one OPTIONS and reading the 200) and
// reports handshakes per second and the heap held per open connection,
// server and client side together, with sipgo's default 32 KiB read buffer
// per connection (sip.TransportBufferReadSize, process-wide).
func BenchmarkSBCIdleConnections(b *testing.B) {
	n := 2000
	// Each connection costs two descriptors here (both ends); Go has
	// raised the soft limit to the hard one already, so stay under it.
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil && lim.Cur < uint64(2*n+256) {
		n = max(100, (int(lim.Cur)-256)/2)
	}
	s := startSBC(b)
	conf := clientTLS(b, tls.VersionTLS12, tls.VersionTLS12)
	for range b.N {
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		conns := make([]*tls.Conn, 0, n)
		start := time.Now()
		var mu sync.Mutex
		var wg sync.WaitGroup
		sem := make(chan struct{}, 64)
		for i := range n {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				c, err := tls.Dial("tcp", s.Addr(), conf)
				if err != nil {
					b.Error(err)
					return
				}
				msg := fmt.Sprintf("OPTIONS sip:%s;transport=tls SIP/2.0\r\n"+
					"Via: SIP/2.0/TLS 127.0.0.1:5099;branch=z9hG4bK-bench-%d\r\n"+
					"From: <sip:bench@example.test>;tag=%d\r\nTo: <sip:%s>\r\n"+
					"Call-ID: bench-%d\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
					s.Addr(), i, i, s.Addr(), i)
				if _, err := c.Write([]byte(msg)); err != nil {
					b.Error(err)
					return
				}
				buf := make([]byte, 2048)
				nr, err := c.Read(buf)
				if err != nil || !strings.HasPrefix(string(buf[:nr]), "SIP/2.0 200") {
					b.Errorf("OPTIONS answer %q %v", buf[:nr], err)
					return
				}
				mu.Lock()
				conns = append(conns, c)
				mu.Unlock()
			}()
		}
		wg.Wait()
		elapsed := time.Since(start)
		runtime.GC()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(len(conns))/elapsed.Seconds(), "handshakes/s")
		b.ReportMetric(float64(int64(after.HeapInuse)-int64(before.HeapInuse))/float64(len(conns))/1024, "KiB/conn")
		b.ReportMetric(float64(s.Stats().Connections), "open-conns")
		for _, c := range conns {
			c.Close()
		}
	}
}
