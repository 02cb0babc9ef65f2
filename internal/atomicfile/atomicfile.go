// Package atomicfile replaces files so that a reader (a phone fetching its
// config, a resumed run) sees either the old bytes or the new ones, never a
// torn file, even when the writer is killed half-way.
package atomicfile

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// tmpSuffix names the temporary file after this process: a writer killed
// half-way leaves a file no later process reuses, and two processes
// publishing into one directory never share one. Within a process, callers
// write a given path from one goroutine at a time.
var tmpSuffix = "." + strconv.Itoa(os.Getpid())

// Write replaces path with data, mode perm: it writes a temporary file
// beside path (".tmp-<name>.<pid>"), fsyncs it when sync is set, and renames
// it over path.
func Write(path string, data []byte, perm os.FileMode, sync bool) error {
	tmp := filepath.Join(filepath.Dir(path), ".tmp-"+filepath.Base(path)+tmpSuffix)
	err := writeTemp(tmp, data, perm, sync)
	if err == nil {
		err = rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// WriteIfChanged is Write unless path already holds data; it reports
// whether it wrote.
func WriteIfChanged(path string, data []byte, perm os.FileMode, sync bool) (bool, error) {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		return false, nil
	}
	return true, Write(path, data, perm, sync)
}
