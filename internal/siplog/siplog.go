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
func ErrorsOnly(l *slog.Logger) *slog.Logger { return slog.New(errorsOnly{base: l.Handler()}) }

// errorsOnly defers WithAttrs and WithGroup to the rare record it writes:
// sipgo calls With for each layer of every user agent, and a simulated
// fleet has a user agent per device, so a text or JSON handler's With
// (which preformats the attributes into a copy of the handler) cost about
// 5 KB per device that no record ever used. Each With is one small node
// pointing at its parent, shared by every logger derived from it.
type errorsOnly struct {
	base slog.Handler
	last *step // the latest With, nil for none
}

// step is one WithAttrs (attrs) or WithGroup (group).
type step struct {
	parent *step
	attrs  []slog.Attr
	group  string
}

func (h errorsOnly) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelError && h.base.Enabled(ctx, l)
}

func (h errorsOnly) Handle(ctx context.Context, r slog.Record) error {
	var steps []*step
	for s := h.last; s != nil; s = s.parent {
		steps = append(steps, s)
	}
	out := h.base
	for i := len(steps) - 1; i >= 0; i-- {
		if s := steps[i]; s.attrs != nil {
			out = out.WithAttrs(s.attrs)
		} else {
			out = out.WithGroup(s.group)
		}
	}
	return out.Handle(ctx, r)
}

func (h errorsOnly) WithAttrs(a []slog.Attr) slog.Handler {
	if len(a) == 0 {
		return h
	}
	return errorsOnly{base: h.base, last: &step{parent: h.last, attrs: a}}
}

func (h errorsOnly) WithGroup(n string) slog.Handler {
	if n == "" {
		return h
	}
	return errorsOnly{base: h.base, last: &step{parent: h.last, group: n}}
}
