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

// WriteIfChanged is Write unless path already holds data with mode perm;
// it reports whether it wrote. A file of another size is not read; one with
// the same bytes but another mode (a secret left world-readable) is
// rewritten, which gives it perm.
func WriteIfChanged(path string, data []byte, perm os.FileMode, sync bool) (bool, error) {
	if holds(path, data, perm) {
		return false, nil
	}
	return true, Write(path, data, perm, sync)
}

// holds reports whether path is a regular file of mode perm holding exactly
// data.
func holds(path string, data []byte, perm os.FileMode) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm() != perm || fi.Size() != int64(len(data)) {
		return false
	}
	// One byte more than expected tells a file that grew since the Stat.
	old := make([]byte, len(data)+1)
	n, err := io.ReadFull(f, old)
	return (err == io.EOF || err == io.ErrUnexpectedEOF) && n == len(data) && bytes.Equal(old[:n], data)
}
