// Package await lets a test wait for an effect that lands asynchronously,
// such as a counter another goroutine bumps after the call under test has
// returned. It never measures speed: the bound only keeps a broken test from
// hanging.
package await

import (
	"testing"
	"time"
)

// Bound is how long True waits before it fails the test.
const Bound = 10 * time.Second

// True polls cond until it holds, failing the test with what when Bound
// passes first.
func True(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(Bound)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
