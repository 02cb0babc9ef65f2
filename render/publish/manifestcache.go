package publish

import (
	"os"
	"sync"
)

// ManifestCache holds the manifest last read from (or written to) a file
// and reads the file again only when it was replaced or changed since:
// every write of a manifest is a rename of a new file, so another
// process's publish shows as another file. A manifest lists every device's
// files, and parsing it once per device or per batch made a fleet's
// certification and publishing quadratic. Safe for concurrent use; the
// manifest it returns is shared, so a caller that changes it must Forget
// first and Keep what it wrote.
type ManifestCache struct {
	mu   sync.Mutex
	path string
	fi   os.FileInfo
	m    *Manifest
	err  error
}

// Read returns the manifest at path. found is false when the file cannot
// be read (err says why, os.ErrNotExist when there is none); a file that
// does not parse is found, with the parse error.
func (c *ManifestCache) Read(path string) (m *Manifest, found bool, err error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, false, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fi != nil && c.path == path && sameFileVersion(fi, c.fi) {
		return c.m, true, c.err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, false, err
	}
	m, err = ParseManifest(b)
	c.path, c.fi, c.m, c.err = path, fi, m, err
	return m, true, err
}

// Keep records m as what the file at path now holds (just written).
func (c *ManifestCache) Keep(path string, m *Manifest) {
	fi, err := os.Stat(path)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		c.path, c.fi, c.m, c.err = "", nil, nil, nil
		return
	}
	c.path, c.fi, c.m, c.err = path, fi, m, nil
}

// Forget drops what is held: the next Read parses the file.
func (c *ManifestCache) Forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.path, c.fi, c.m, c.err = "", nil, nil, nil
}

// sameFileVersion reports whether a and b are the same file, not replaced
// or changed between the two looks.
func sameFileVersion(a, b os.FileInfo) bool {
	return os.SameFile(a, b) && a.Size() == b.Size() && a.ModTime().Equal(b.ModTime())
}
