package demo

import (
	"log/slog"
	"os"
	"testing"

	"github.com/cutover-dev/cutover/simulator/device"
)

// TestMain silences sipgo's process-wide default logger, as the CLI does:
// its connection bookkeeping is noise in test output.
func TestMain(m *testing.M) {
	device.SetSIPLogger(slog.New(slog.DiscardHandler))
	os.Exit(m.Run())
}
