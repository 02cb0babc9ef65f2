package sbc

import (
	"errors"
	"net"
	"time"

	"github.com/cutover-dev/cutover/simulator/pki"
)

func pkiValidity(from, to time.Time) pki.IssueOption { return pki.WithValidity(from, to) }

// errorsAsTemporary reports a transient accept error (too many open files)
// worth retrying rather than closing the listener for.
func errorsAsTemporary(err error, ne *net.Error) bool {
	if errors.Is(err, net.ErrClosed) {
		return false
	}
	if errors.As(err, ne) {
		//lint:ignore SA1019 Temporary is the only signal for EMFILE on Accept.
		return (*ne).Temporary() //nolint:staticcheck
	}
	return false
}
