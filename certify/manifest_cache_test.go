package certify

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// The cached manifest is parsed again when the file is replaced, so that a
// republish (or a test that breaks the manifest) is seen.
func TestManifestCacheSeesAReplacedManifest(t *testing.T) {
	var c manifestCache
	path := filepath.Join(t.TempDir(), "manifest.json")
	write := func(body string, at time.Time) {
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(tmp, at, at); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok, _ := c.get(path); ok {
		t.Fatal("no manifest yet, but ok")
	}
	t0 := time.Now().Add(-time.Hour)
	write(`{"version":1,"files":{"ca.pem":{"sha256":"aa"}}}`, t0)
	m, ok, err := c.get(path)
	if !ok || err != nil || m.Files["ca.pem"].SHA256 != "aa" {
		t.Fatalf("first manifest: %v %v %+v", ok, err, m)
	}
	write(`{"version":1,"files":{"ca.pem":{"sha256":"bb"}}}`, t0.Add(time.Second))
	if m, _, _ := c.get(path); m.Files["ca.pem"].SHA256 != "bb" {
		t.Errorf("replaced manifest not seen: %+v", m.Files)
	}
	write(`{not json`, t0.Add(2*time.Second))
	if _, ok, err := c.get(path); !ok || err == nil {
		t.Errorf("broken manifest: ok %v, err %v", ok, err)
	}
}
