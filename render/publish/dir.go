package publish

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/cutover-dev/cutover/internal/atomicfile"
	"github.com/cutover-dev/cutover/render"
)

// dirTarget publishes into a local directory, the provisioning server's
// document root or TFTP directory.
type dirTarget struct {
	dir  string
	opts *options
	mu   sync.Mutex // one Publish at a time: the manifest is read-modify-write
	// cache holds the manifest as this target last read or wrote it:
	// a Publish parses the file again only when another publisher (a
	// shard's process) replaced it since.
	cache ManifestCache
	buf   []byte // the manifest's bytes as last written, reused
	// inPlace: the directory is the one the files are read from
	// (WithSourceDir), so a file the manifest does not list may already
	// be there with the same bytes.
	inPlace bool
}

// Publish writes each changed file to a temporary file in the directory and
// renames it into place, so a device never fetches half a config; files are
// 0600 and the directory 0700. When the directory is the one the files come
// from (WithSourceDir), a file already there with the same bytes and mode is
// left as it is (and counted as written: the manifest lists it now). A file
// is unchanged when the manifest holds its SHA-256 and the file on disk has
// the recorded size. The manifest is written last, fsynced, and the
// directory fsynced after it. Individual configs are not fsynced: at 100,000
// devices that would cost minutes, and a crash before the manifest lands
// means the next Publish rewrites them.
func (t *dirTarget) Publish(ctx context.Context, files []render.File) (Result, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := checkFiles(files); err != nil {
		return Result{}, fmt.Errorf("publishing to %s: %w", t.dir, err)
	}
	if err := os.MkdirAll(t.dir, 0o700); err != nil {
		return Result{}, fmt.Errorf("publishing: %w", err)
	}
	// Other processes (the shards of one migration) may publish here too.
	unlock, err := lockDir(ctx, t.dir)
	if err != nil {
		return Result{}, err
	}
	defer unlock()
	man, err := t.manifest()
	if err != nil {
		return Result{}, err
	}
	// A file the manifest records is still there when it has the recorded
	// size: someone may have deleted or truncated it by hand.
	held := func(name string, e ManifestEntry) bool {
		fi, err := os.Stat(filepath.Join(t.dir, name))
		return err == nil && fi.Size() == e.Size
	}
	put := func(_ context.Context, f render.File) error {
		path := filepath.Join(t.dir, f.Name)
		if t.inPlace {
			// Reading the file the renderer wrote here is cheaper
			// than creating it again.
			_, err := atomicfile.WriteIfChanged(path, f.Data, 0o600, false)
			return err
		}
		return atomicfile.Write(path, f.Data, 0o600, false)
	}
	// man is changed in place below: until it is written back, the
	// cached copy no longer says what the file holds.
	t.cache.Forget()
	res, werr := publishChanged(ctx, t.opts.jobs, files, man, held, put)
	// The manifest records what did land, even when something failed.
	if res.Written > 0 || !t.hasManifest() {
		if err := t.writeManifest(man); err != nil {
			return res, errors.Join(werr, err)
		}
	}
	t.cache.Keep(filepath.Join(t.dir, ManifestName), man)
	if werr != nil {
		return res, fmt.Errorf("publishing to %s: %w", t.dir, werr)
	}
	t.opts.logger.Debug("published", "target", "dir://"+t.dir, "written", res.Written, "skipped", res.Skipped)
	return res, nil
}

func (t *dirTarget) hasManifest() bool {
	_, err := os.Stat(filepath.Join(t.dir, ManifestName))
	return err == nil
}

func (t *dirTarget) manifest() (*Manifest, error) {
	path := filepath.Join(t.dir, ManifestName)
	m, found, err := t.cache.Read(path)
	switch {
	case !found && errors.Is(err, os.ErrNotExist):
		return newManifest(), nil
	case !found:
		return nil, fmt.Errorf("publishing: %w", err)
	case err != nil:
		return nil, fmt.Errorf("publishing: %s: %w", path, err)
	}
	return m, nil
}

func (t *dirTarget) writeManifest(m *Manifest) error {
	t.buf = m.appendTo(t.buf[:0])
	if err := writeAtomicSync(t.dir, ManifestName, t.buf); err != nil {
		return err
	}
	d, err := os.Open(t.dir)
	if err != nil {
		return fmt.Errorf("publishing: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("publishing: syncing %s: %w", t.dir, err)
	}
	return nil
}

// writeAtomicSync replaces dir/name with data atomically (0600), fsynced.
func writeAtomicSync(dir, name string, data []byte) error {
	return atomicfile.Write(filepath.Join(dir, name), data, 0o600, true)
}
