package lab

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// The generated configuration is something people read when a lab run
// misbehaves: keep it reviewed.
func TestKamailioConfigGolden(t *testing.T) {
	data := kamailioTemplateData{
		Listen: "tls:127.0.0.11:5061", Host: "127.0.0.11", Port: "5061",
		ModulesDir: DefaultModulesDir, TLSConfig: "/run/lab/tls.cfg", DBURL: "text:///run/lab/db",
		Realm: "example.test", MinExpires: 60, MaxExpires: 3600,
		Children: 2, TCPChildren: 2, MaxConnections: 4096, OpenFiles: 5120,
	}
	var cfg bytes.Buffer
	if err := kamailioCfg.Execute(&cfg, data); err != nil {
		t.Fatal(err)
	}
	var tlsBuf bytes.Buffer
	if err := tlsCfg.Execute(&tlsBuf, map[string]string{"Cert": "/run/lab/sbc.crt", "Key": "/run/lab/sbc.key"}); err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string][]byte{"kamailio.cfg.golden": cfg.Bytes(), "tls.cfg.golden": tlsBuf.Bytes()} {
		path := filepath.Join("testdata", name)
		if *update {
			if err := os.MkdirAll("testdata", 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -update to create it)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the rendered configuration; run go test ./simulator/lab -run Golden -update and review the diff", path)
		}
	}
}
