// Package siplog adapts loggers for sipgo's internal layers, which log
// connection bookkeeping ("connection pool not clean cleanup" for every
// device when an SBC goes down) as warnings that mean nothing to a user.
package siplog

import (
	"context"
	"log/slog"
	"slices"
)

// ErrorsOnly returns a logger writing to l's handler only records of level
// Error and above; give it to sipgo's transport and transaction layers.
func ErrorsOnly(l *slog.Logger) *slog.Logger { return slog.New(errorsOnly{base: l.Handler()}) }

// errorsOnly defers WithAttrs and WithGroup to the rare record it writes:
// sipgo calls With for each layer of every user agent, and a simulated
// fleet has a user agent per device, so a text or JSON handler's With
// (which preformats the attributes into a copy of the handler) cost about
// 5 KB per device that no record ever used.
type errorsOnly struct {
	base slog.Handler
	with []func(slog.Handler) slog.Handler
}

func (h errorsOnly) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelError && h.base.Enabled(ctx, l)
}

func (h errorsOnly) Handle(ctx context.Context, r slog.Record) error {
	out := h.base
	for _, f := range h.with {
		out = f(out)
	}
	return out.Handle(ctx, r)
}

func (h errorsOnly) WithAttrs(a []slog.Attr) slog.Handler {
	return h.then(func(x slog.Handler) slog.Handler { return x.WithAttrs(a) })
}

func (h errorsOnly) WithGroup(n string) slog.Handler {
	return h.then(func(x slog.Handler) slog.Handler { return x.WithGroup(n) })
}

func (h errorsOnly) then(f func(slog.Handler) slog.Handler) slog.Handler {
	return errorsOnly{base: h.base, with: append(slices.Clip(h.with), f)}
}
