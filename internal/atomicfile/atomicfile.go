// Package atomicfile replaces files so that a reader (a phone fetching its
// config, a resumed run) sees either the old bytes or the new ones, never a
// torn file, even when the writer is killed half-way.
package atomicfile

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
)

// tmpSuffix names the temporary file after this process: a writer killed
// half-way leaves a file no later process reuses, and two processes
// publishing into one directory never share one. Within a process, callers
// write a given path from one goroutine at a time.
var tmpSuffix = "." + strconv.Itoa(os.Getpid())

// This package is the one atomic-write helper of the module: the run
// directory (plan, secrets, info, reports), the publisher and the inventory's
// marked copy all replace files through it.

// Write replaces path with data, mode perm: it writes a temporary file
// beside path (".tmp-<name>.<pid>"), fsyncs it when sync is set, and renames
// it over path; with sync, the directory is fsynced too, so that the rename
// survives a power cut.
func Write(path string, data []byte, perm os.FileMode, sync bool) error {
	tmp := tempName(path)
	err := writeTemp(tmp, data, perm, sync)
	if err == nil {
		err = rename(tmp, path)
	}
	if err == nil && sync {
		err = syncDir(filepath.Dir(path))
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

func tempName(path string) string {
	return filepath.Join(filepath.Dir(path), ".tmp-"+filepath.Base(path)+tmpSuffix)
}

// WriteFunc is Write for content produced by a writer (a report too large
// to hold twice in memory): write gets a buffered writer onto the temporary
// file; its error leaves path untouched.
func WriteFunc(path string, perm os.FileMode, sync bool, write func(io.Writer) error) (err error) {
	tmp := tempName(path)
	defer func() {
		if err != nil {
			os.Remove(tmp)
			err = fmt.Errorf("writing %s: %w", path, err)
		}
	}()
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	if err = f.Chmod(perm); err != nil {
		f.Close()
		return err
	}
	bw := bufio.NewWriterSize(f, 256<<10)
	if err = write(bw); err == nil {
		err = bw.Flush()
	}
	if err == nil && sync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err = rename(tmp, path); err != nil {
		return err
	}
	if sync {
		return syncDir(filepath.Dir(path))
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
