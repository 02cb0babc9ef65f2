//go:build unix

package atomicfile

import (
	"io"
	"os"
	"syscall"
)

// writeTemp writes data to a new file tmp with plain system calls. os.File
// costs six more calls per file (fcntl to probe and set non-blocking mode,
// epoll registration, the Lstat in os.Rename), which is a third of the time
// of a publish of 100,000 small configs.
func writeTemp(tmp string, data []byte, perm os.FileMode, sync bool) error {
	var fd int
	err := retry(func() (err error) {
		fd, err = syscall.Open(tmp, syscall.O_WRONLY|syscall.O_CREAT|syscall.O_TRUNC|syscall.O_CLOEXEC, uint32(perm.Perm()))
		return err
	})
	if err != nil {
		return &os.PathError{Op: "open", Path: tmp, Err: err}
	}
	// A temporary file left by a killed writer keeps its old mode through
	// O_TRUNC: set ours, so a secret never lands in a looser file.
	err = retry(func() error { return syscall.Fchmod(fd, uint32(perm.Perm())) })
	for len(data) > 0 && err == nil {
		var n int
		n, err = syscall.Write(fd, data)
		switch {
		case err == syscall.EINTR:
			err = nil
		case err == nil && n <= 0:
			err = io.ErrShortWrite
		case err == nil:
			data = data[n:]
		}
	}
	if err == nil && sync {
		err = retry(func() error { return syscall.Fsync(fd) })
	}
	// close(2) is not retried on EINTR: on Linux the descriptor is gone.
	if cerr := syscall.Close(fd); err == nil {
		err = cerr
	}
	if err != nil {
		return &os.PathError{Op: "write", Path: tmp, Err: err}
	}
	return nil
}

func rename(from, to string) error {
	if err := retry(func() error { return syscall.Rename(from, to) }); err != nil {
		return &os.LinkError{Op: "rename", Old: from, New: to, Err: err}
	}
	return nil
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func retry(f func() error) error {
	for {
		if err := f(); err != syscall.EINTR {
			return err
		}
	}
}
