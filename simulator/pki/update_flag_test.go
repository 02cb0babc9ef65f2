package pki

import "flag"

// The project refreshes golden files with go test ./... -update; this
// package has none but accepts the flag so that the command runs.
var _ = flag.Bool("update", false, "rewrite golden files (none in this package)")
