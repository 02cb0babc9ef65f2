package certify_test

import (
	"io"
	"log/slog"
	"os"
	"testing"

	"github.com/cutover-dev/cutover/simulator/device"
)

func TestMain(m *testing.M) {
	device.SetSIPLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	os.Exit(m.Run())
}
