package lab

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/cutover-dev/cutover/internal/golden"
)

// The generated configuration is something people read when a lab run
// misbehaves: keep it reviewed. The options are the defaults, so that the
// golden file shows what the lab really runs (one TCP worker, shared memory
// sized for MaxConnections).
func TestKamailioConfigGolden(t *testing.T) {
	defaults := KamailioOptions{Realm: "example.test", ModulesDir: DefaultModulesDir}.withDefaults()
	withTCP := defaults
	withTCP.TCPChildren, withTCP.SharedMemoryMB, withTCP.MaxConnections = 2, 1024, 2000
	cases := map[string]*Kamailio{
		"kamailio.cfg.golden":     {opts: defaults, addr: "127.0.0.11:5061", runDir: "/run/lab"},
		"kamailio-tcp.cfg.golden": {opts: withTCP, addr: "127.0.0.11:5061", tcpAddr: "127.0.0.11:5060", runDir: "/run/lab"},
	}
	outputs := map[string][]byte{}
	for name, k := range cases {
		var cfg bytes.Buffer
		if err := kamailioCfg.Execute(&cfg, k.templateData()); err != nil {
			t.Fatal(err)
		}
		outputs[name] = cfg.Bytes()
	}
	var tlsBuf bytes.Buffer
	if err := tlsCfg.Execute(&tlsBuf, map[string]string{"Cert": "/run/lab/sbc.crt", "Key": "/run/lab/sbc.key"}); err != nil {
		t.Fatal(err)
	}
	outputs["tls.cfg.golden"] = tlsBuf.Bytes()
	for name, got := range outputs {
		golden.Check(t, filepath.Join("testdata", name), got)
	}
}

func TestKamailioDefaults(t *testing.T) {
	o := KamailioOptions{}.withDefaults()
	if o.TCPChildren != 1 {
		t.Errorf("default TCPChildren %d, want 1 (Kamailio 5.6 with OpenSSL 3 is not safe with more)", o.TCPChildren)
	}
	if o.SharedMemoryMB < 256 {
		t.Errorf("default SharedMemoryMB %d, want at least 256", o.SharedMemoryMB)
	}
	o = KamailioOptions{TCPChildren: 4, SharedMemoryMB: 96, MaxConnections: 100}.withDefaults()
	if o.TCPChildren != 4 || o.SharedMemoryMB != 96 || o.MaxConnections != 100 {
		t.Errorf("overrides lost: %+v", o)
	}
	for _, c := range []struct{ conns, want int }{{0, 256}, {1000, 256}, {4096, 576}, {10000, 1314}} {
		if got := SharedMemoryFor(c.conns); got != c.want {
			t.Errorf("SharedMemoryFor(%d) = %d, want %d", c.conns, got, c.want)
		}
	}
}
