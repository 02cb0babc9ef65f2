package peakmem

import "runtime/debug"

// ResetRSS collects, returns the memory the Go runtime has freed to the
// operating system and starts the process's peak resident set size again
// from what it holds now, so that PeakRSS covers only what follows: one
// benchmark run of several in a process, none paying for a bigger one
// before it. It reports whether the kernel took the reset (Linux 4.0's
// clear_refs 5); when it did not, PeakRSS stays the peak since the process
// started.
func ResetRSS() bool {
	debug.FreeOSMemory()
	return resetHWM()
}
