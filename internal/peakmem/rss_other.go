//go:build !linux

package peakmem

// ResetRSS cannot reset the peak off Linux.
func ResetRSS() bool { return false }

// PeakRSS is unknown off Linux.
func PeakRSS() int64 { return 0 }
