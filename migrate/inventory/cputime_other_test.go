//go:build !unix

package inventory

import "time"

// cpuTime is not measured outside Unix; the cpu-s/op metric reads 0.
func cpuTime() time.Duration { return 0 }
