package publish

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// lockName is the lock file in a dir:// target. Several processes publish
// into one directory when a migration runs as shards (migrate --shard K/N):
// the manifest is read-modify-write, so each holds this lock from reading
// it to writing it back, or one shard's entries would overwrite another's.
// It is no config and never in the manifest, so serve-configs never serves it.
const lockName = ".manifest.lock"

// lockDir waits, as long as ctx allows, for the target directory's lock and
// returns its release.
func lockDir(ctx context.Context, dir string) (func(), error) {
	f, err := os.OpenFile(filepath.Join(dir, lockName), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("publishing: locking %s: %w", dir, err)
	}
	for wait := time.Millisecond; ; wait = min(2*wait, 50*time.Millisecond) {
		busy, err := tryFlock(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("publishing: locking %s: %w", dir, err)
		}
		if !busy {
			return func() { f.Close() }, nil // closing releases the flock
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("publishing: waiting for another process publishing to %s: %w", dir, ctx.Err())
		case <-time.After(wait):
		}
	}
}
