//go:build !unix

package rundir

import "os"

// flock is a no-op where flock(2) does not exist: one run per directory is
// then the operator's care.
func flock(*os.File) error { return nil }
