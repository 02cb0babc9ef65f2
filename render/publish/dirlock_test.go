package publish

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/cutover-dev/cutover/render"
)

// TestDirTargetsShareOneDirectory: the shards of a migration publish into
// one directory from separate processes (here separate targets, whose
// in-process mutexes do not see each other); the manifest still lists every
// file each of them wrote. Without the directory lock, their read-modify-
// write of the manifest loses entries.
func TestDirTargetsShareOneDirectory(t *testing.T) {
	dir := t.TempDir()
	const shards, batches, per = 4, 30, 2
	var wg sync.WaitGroup
	errs := make(chan error, shards)
	for k := range shards {
		target, err := Open("dir://" + dir)
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range batches {
				files := make([]render.File, per)
				for i := range files {
					files[i] = render.File{Name: fmt.Sprintf("00156500%02x%02x.cfg", k, b*per+i), Data: fmt.Appendf(nil, "shard %d file %d\n", k, b*per+i)}
				}
				if _, err := target.Publish(t.Context(), files); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	m := readManifest(t, dir)
	if want := shards * batches * per; len(m.Files) != want {
		t.Fatalf("the manifest lists %d files, want %d: concurrent publishers overwrote each other's entries", len(m.Files), want)
	}
	if _, ok := m.Files[lockName]; ok {
		t.Error("the lock file is in the manifest")
	}
}

// TestDirTargetRereadsAManifestReplacedByAnother: a target keeps the
// manifest it last wrote, and must notice when another publisher (another
// process) has replaced the file since, or it would write back a manifest
// without the other's files.
func TestDirTargetRereadsAManifestReplacedByAnother(t *testing.T) {
	dir := t.TempDir()
	a, err := Open("dir://" + dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Open("dir://" + dir)
	if err != nil {
		t.Fatal(err)
	}
	for i, target := range []Target{a, b, a, a} {
		f := render.File{Name: fmt.Sprintf("0015650000%02x.cfg", i), Data: fmt.Appendf(nil, "file %d\n", i)}
		if _, err := target.Publish(t.Context(), []render.File{f}); err != nil {
			t.Fatal(err)
		}
	}
	if m := readManifest(t, dir); len(m.Files) != 4 {
		t.Fatalf("the manifest lists %d files, want 4: a publisher wrote back a manifest older than the file", len(m.Files))
	}
}

// readManifest reads and parses the manifest of dir.
func readManifest(t *testing.T, dir string) *Manifest {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if err != nil {
		t.Fatal(err)
	}
	m, err := ParseManifest(b)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
