package rundir

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// ErrBusy is returned when another process holds the run directory.
var ErrBusy = errors.New("run directory in use by another cutover process")

// Lock is the run directory's lock, held: whoever holds it is the one
// process that may write plan.json, append to the journal and write the
// secrets, info, configs, results and reports. plan and migrate take it
// before planning anything, so a second process on a directory in use
// changes nothing in it.
type Lock struct {
	dir string
	f   *os.File
}

// Acquire takes dir's lock, creating dir if needed; it returns an error
// wrapping ErrBusy at once (never waits) when another process holds it. The
// lock goes with the process (flock(2)): a crashed run leaves nothing to
// clean up.
func Acquire(dir string) (*Lock, error) {
	if err := os.MkdirAll(dir, ModeDir); err != nil {
		return nil, fmt.Errorf("locking run directory: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, LockFile), os.O_CREATE|os.O_RDWR, ModePublic)
	if err != nil {
		return nil, fmt.Errorf("locking run directory: %w", err)
	}
	if err := flock(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("locking run directory %s: %w", dir, err)
	}
	return &Lock{dir: dir, f: f}, nil
}

// Dir returns the directory the lock guards.
func (l *Lock) Dir() string { return l.dir }

// Release gives the lock up; it is safe on nil and twice.
func (l *Lock) Release() {
	if l == nil || l.f == nil {
		return
	}
	l.f.Close()
	l.f = nil
}

// held reports whether l is still held; writers that require the lock
// check it, so that a write outside the lock is an error in tests rather
// than a rewritten plan in the field.
func (l *Lock) held() error {
	if l == nil || l.f == nil {
		return errors.New("run directory not locked")
	}
	return nil
}
