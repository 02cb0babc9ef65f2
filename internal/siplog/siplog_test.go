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

// The deferred With keeps the order of attributes and groups, and two
// loggers derived from one share nothing they could overwrite.
func TestErrorsOnlyKeepsWithOrderAndBranches(t *testing.T) {
	var buf bytes.Buffer
	// x and y branch from one base: neither may see the other's step.
	base := ErrorsOnly(slog.New(slog.NewTextHandler(&buf, nil))).With("a", 1).With("p", 0).With("q", 0)
	x := base.With("b", 2)
	y := base.WithGroup("g").With("c", 3)
	x.Error("one")
	y.Error("two")
	got := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(got) != 2 || !strings.Contains(got[0], "msg=one a=1 p=0 q=0 b=2") || !strings.Contains(got[1], "msg=two a=1 p=0 q=0 g.c=3") || strings.Contains(got[1], "b=2") {
		t.Errorf("records %q", got)
	}
}
