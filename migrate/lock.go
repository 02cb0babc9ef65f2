package migrate

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// LockFile guards a run directory: one process at a time appends to its
// journal and writes its secrets, configs and info files.
const LockFile = ".lock"

// ErrRunDirBusy is returned when another process holds the run directory.
var ErrRunDirBusy = errors.New("run directory in use by another cutover process")

// lockRunDir takes the run directory's lock, creating dir if needed. The
// lock goes with the process: a crashed run leaves nothing to clean up.
func lockRunDir(dir string) (unlock func(), err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("locking run directory: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, LockFile), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("locking run directory: %w", err)
	}
	if err := flock(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("locking run directory %s: %w", dir, err)
	}
	return func() { f.Close() }, nil
}
