//go:build !linux

package peakmem

// resetHWM cannot reset the peak off Linux.
func resetHWM() bool { return false }

// PeakRSS is unknown off Linux.
func PeakRSS() int64 { return 0 }
