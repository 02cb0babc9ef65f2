package siplog

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func TestErrorsOnlyDropsWarningsEvenThroughWith(t *testing.T) {
	var buf bytes.Buffer
	l := ErrorsOnly(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	l = l.With("caller", "TransportLayer").WithGroup("g")
	l.Warn("connection pool not clean cleanup")
	l.Info("new connection")
	l.Error("handshake failed")
	out := buf.String()
	if strings.Contains(out, "not clean") || strings.Contains(out, "new connection") {
		t.Errorf("warnings or info passed: %q", out)
	}
	if !strings.Contains(out, "handshake failed") || !strings.Contains(out, "caller=TransportLayer") {
		t.Errorf("error lost or attributes dropped: %q", out)
	}
}
