package publish

import (
	"flag"
	"testing"
)

// A remote provisioning server's manifest is untrusted input: parsing never
// panics, and whatever parses names only plain files.
func FuzzParseManifest(f *testing.F) {
	f.Add([]byte(`{"version":1,"files":{"001565a1b2c3.cfg":{"sha256":"00","size":3}}}`))
	f.Add([]byte(`{"version":1,"files":{"../x":{"sha256":"00","size":3}}}`))
	f.Add([]byte(`{"version":2}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseManifest(b)
		if err != nil {
			return
		}
		for name := range m.Files {
			if CheckName(name) != nil {
				t.Fatalf("accepted %q", name)
			}
		}
	})
}

// update is accepted so that `go test ./render/... -update`, which refreshes
// the render golden files, also runs here; this package has none.
var _ = flag.Bool("update", false, "no golden files in this package")
