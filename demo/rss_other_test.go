//go:build !linux

package demo

// maxRSS is unknown off Linux.
func maxRSS() int64 { return 0 }
