//go:build !unix

package publish

import "os"

// tryFlock is a no-op where flock(2) does not exist: processes publishing
// to one directory at once are then the operator's care.
func tryFlock(*os.File) (bool, error) { return false, nil }
