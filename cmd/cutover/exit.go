package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/urfave/cli/v2"

	secrets "github.com/cutover-dev/cutover/internal/redact"
)

// Exit codes (DESIGN.md).
const (
	exitOK          = 0   // all done and passing
	exitFailed      = 1   // some devices or cases failed
	exitUsage       = 2   // bad usage or unreadable input
	exitFatal       = 3   // auth refused, disk full, anything unexpected
	exitInterrupted = 130 // interrupted; the run resumes
)

// exitError carries the exit code a command chose for its error.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// withCode marks err with an exit code; nil stays nil.
func withCode(code int, err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: code, err: err}
}

// usageErrorf is a bad-usage error (exit 2).
func usageErrorf(format string, a ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, a...)}
}

// errSomeFailed is returned by commands that finished but whose devices or
// cases did not all pass; its message has been printed already.
var errSomeFailed = errors.New("some devices or cases failed (see the journal and reports)")

// exitCode maps an error returned by the app to the process exit code.
func exitCode(ctx context.Context, err error) int {
	if err == nil {
		return exitOK
	}
	if errors.Is(err, context.Canceled) || ctx.Err() != nil {
		return exitInterrupted
	}
	if errors.Is(err, errSomeFailed) {
		return exitFailed
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	var ec cli.ExitCoder
	if errors.As(err, &ec) {
		return ec.ExitCode()
	}
	// urfave/cli reports a missing required flag and an unknown command
	// without going through OnUsageError.
	msg := err.Error()
	if strings.HasPrefix(msg, "Required flag") || strings.HasPrefix(msg, "No help topic") ||
		strings.Contains(msg, "flag provided but not defined") {
		return exitUsage
	}
	return exitFatal
}

// redact masks the values that look like credentials in text that might
// reach the terminal (internal/redact, shared with the reports).
func redact(s string) string { return secrets.String(s) }

// terminalSafe drops control characters (ESC and the rest of C0 and C1,
// DEL, bidirectional overrides) from text that came from outside (an SBC's
// reason phrase, a Webex error message) before it reaches a terminal: a
// hostile peer must not move the cursor, retitle the window or hide text.
// Tabs become spaces; newlines are kept out too, so one failure stays one
// line.
func terminalSafe(s string) string {
	clean := true
	for _, r := range s {
		if unsafeRune(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			b.WriteByte(' ')
		case unsafeRune(r):
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func unsafeRune(r rune) bool {
	return r < 0x20 || (r >= 0x7f && r < 0xa0) || r == utf8.RuneError ||
		(r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
}

// safeLines is a writer that passes text through terminalSafe line by line
// (newlines kept): for output that quotes what Webex or an inventory said,
// written by an engine that does not know it goes to a terminal.
type safeLines struct{ w io.Writer }

func (s safeLines) Write(p []byte) (int, error) {
	lines := strings.SplitAfter(string(p), "\n")
	var b strings.Builder
	for _, l := range lines {
		body, nl := strings.CutSuffix(l, "\n")
		b.WriteString(terminalSafe(body))
		if nl {
			b.WriteByte('\n')
		}
	}
	if _, err := io.WriteString(s.w, b.String()); err != nil {
		return 0, err
	}
	return len(p), nil
}
