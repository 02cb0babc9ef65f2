package device_test

import (
	"io"
	"log/slog"
	"os"
	"testing"

	"github.com/cutover-dev/cutover/simulator/device"
)

func TestMain(m *testing.M) {
	if os.Getenv(benchServerEnv) == "1" {
		device.SetSIPLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
		serveBenchLab()
		os.Exit(0)
	}
	device.SetSIPLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	os.Exit(m.Run())
}
