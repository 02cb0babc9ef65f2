//go:build unix

package publish

import (
	"errors"
	"os"
	"syscall"
)

// tryFlock takes f's exclusive flock(2) without waiting; busy reports that
// another process holds it.
func tryFlock(f *os.File) (busy bool, err error) {
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return true, nil
	}
	return false, err
}
