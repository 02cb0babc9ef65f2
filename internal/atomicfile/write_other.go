//go:build !unix

package atomicfile

import "os"

func writeTemp(tmp string, data []byte, perm os.FileMode, sync bool) error {
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	err = f.Chmod(perm)
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil && sync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func rename(from, to string) error { return os.Rename(from, to) }

func syncDir(string) error { return nil }
