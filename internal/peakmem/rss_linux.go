//go:build linux

package peakmem

import (
	"bytes"
	"os"
	"strconv"
	"syscall"
)

// resetHWM restarts the kernel's high-water mark (VmHWM) from the
// process's resident set now.
func resetHWM() bool {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}

// PeakRSS is the process's peak resident set size in bytes since the last
// ResetRSS that took, else since the process started (VmHWM; getrusage's
// maxrss where /proc cannot be read).
func PeakRSS() int64 {
	if status, err := os.ReadFile("/proc/self/status"); err == nil {
		for line := range bytes.Lines(status) {
			if v, ok := bytes.CutPrefix(line, []byte("VmHWM:")); ok {
				kb, err := strconv.ParseInt(string(bytes.TrimSuffix(bytes.TrimSpace(v), []byte(" kB"))), 10, 64)
				if err == nil {
					return kb << 10
				}
			}
		}
	}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Maxrss << 10 // kilobytes on Linux
}
