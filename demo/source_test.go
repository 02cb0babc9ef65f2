package demo

import (
	"net"
	"runtime"
	"testing"
)

// Up to DevicesPerSource devices the kernel picks the source address; a
// bigger fleet gets one loopback address per DevicesPerSource devices, each
// one this machine can dial from.
func TestSourceIPs(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the demo spreads its devices over 127.0.0.0/8 on Linux only")
	}
	for _, tc := range []struct {
		n    int
		want []string
	}{
		{60, nil},
		{DevicesPerSource, nil},
		{DevicesPerSource + 1, []string{"127.0.0.1", "127.0.0.2"}},
		{100_000, []string{"127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5", "127.0.0.6", "127.0.0.7", "127.0.0.8", "127.0.0.9", "127.0.0.10"}},
	} {
		got := sourceIPs(tc.n)
		if len(got) != len(tc.want) {
			t.Fatalf("%d devices: %v, want %v", tc.n, got, tc.want)
		}
		for i, ip := range got {
			if ip.String() != tc.want[i] {
				t.Errorf("%d devices: address %d is %s, want %s", tc.n, i, ip, tc.want[i])
			}
			d := net.Dialer{LocalAddr: &net.TCPAddr{IP: ip}}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			c, err := d.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Errorf("dialing from %s: %v", ip, err)
			} else {
				c.Close()
			}
			ln.Close()
		}
	}
	if got := sourceIPs(300 * DevicesPerSource); got[255].String() != "127.0.1.0" {
		t.Errorf("the 256th address is %s, want 127.0.1.0", got[255])
	}
}
