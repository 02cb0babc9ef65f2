package publish

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// The cached manifest is parsed again whenever the file is replaced, even
// by one of the same size and time (another process's rename), so that a
// republish, another shard's publish or a test that breaks the manifest is
// seen.
func TestManifestCacheSeesAReplacedManifest(t *testing.T) {
	var c ManifestCache
	path := filepath.Join(t.TempDir(), ManifestName)
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
	if _, found, err := c.Read(path); found || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("no manifest yet: found %v, err %v", found, err)
	}
	t0 := time.Now().Add(-time.Hour)
	write(`{"version":1,"files":{"ca.pem":{"sha256":"aa"}}}`, t0)
	m, found, err := c.Read(path)
	if !found || err != nil || m.Files["ca.pem"].SHA256 != "aa" {
		t.Fatalf("first manifest: %v %v %+v", found, err, m)
	}
	if again, _, _ := c.Read(path); again != m {
		t.Error("an unchanged manifest was parsed again")
	}
	// Same size, same time: only the file's identity changed.
	write(`{"version":1,"files":{"ca.pem":{"sha256":"bb"}}}`, t0)
	if m, _, _ := c.Read(path); m.Files["ca.pem"].SHA256 != "bb" {
		t.Errorf("replaced manifest not seen: %+v", m.Files)
	}
	write(`{not json`, t0.Add(2*time.Second))
	if _, found, err := c.Read(path); !found || err == nil {
		t.Errorf("broken manifest: found %v, err %v", found, err)
	}
}
