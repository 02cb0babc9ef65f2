// Package siplog adapts loggers for sipgo's internal layers, which log
// connection bookkeeping ("connection pool not clean cleanup" for every
// device when an SBC goes down) as warnings that mean nothing to a user.
package siplog

import (
	"context"
	"log/slog"
)

// ErrorsOnly returns a logger writing to l's handler only records of level
// Error and above; give it to sipgo's transport and transaction layers.
func ErrorsOnly(l *slog.Logger) *slog.Logger { return slog.New(errorsOnly{l.Handler()}) }

type errorsOnly struct{ slog.Handler }

func (h errorsOnly) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelError && h.Handler.Enabled(ctx, l)
}
func (h errorsOnly) WithAttrs(a []slog.Attr) slog.Handler { return errorsOnly{h.Handler.WithAttrs(a)} }
func (h errorsOnly) WithGroup(n string) slog.Handler      { return errorsOnly{h.Handler.WithGroup(n)} }
