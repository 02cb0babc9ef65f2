package certify

import (
	"context"
	"fmt"
	"time"

	"github.com/cutover-dev/cutover/simulator/device"
)

// liveFailover stops the primary SBC for the whole fleet (PrimaryDown), has
// every device registered there fail over, starts it again (PrimaryUp) and
// has every device fail back, each within its limit.
func (r *runner) liveFailover(ctx context.Context, subjects []*subject) error {
	var ready []*subject
	for _, s := range subjects {
		switch {
		case s.dev == nil || s.targetsErr != nil:
			s.liveVerdict(ctx, s.noTargets(CaseFailover), s.noTargets(CaseFailback))
		case len(s.targets) < 2:
			v := fail("failover: only one SBC target ("+s.targets[0].String()+"); failover needs a secondary",
				"publish a second SRV record (higher priority number) for the secondary SBC")
			s.liveVerdict(ctx, v, fail("failback: no secondary to fail back from", v.remedy))
		case s.dev.Registration() == nil || s.dev.Registration().Target.String() != s.primary().String():
			where := "not registered"
			if reg := s.dev.Registration(); reg != nil {
				where = "registered on " + reg.Target.String()
			} else if s.regErr != nil {
				where, _ = explain("not registered", s.regErr, r.o.Timeout)
			}
			v := fail(fmt.Sprintf("failover: before the outage the device was %s, not on the primary %s", where, s.primary()),
				"make the primary accept the device first (see the register case)")
			s.liveVerdict(ctx, v, fail("failback: the device was never on the primary", v.remedy))
		default:
			ready = append(ready, s)
		}
	}
	if len(ready) == 0 {
		return nil
	}
	if err := r.o.PrimaryDown(ctx); err != nil {
		for _, s := range ready {
			v := fail(fmt.Sprintf("failover: the primary-down command failed: %v", err), "fix the --primary-down command")
			s.liveVerdict(ctx, v, fail("failback: no outage happened", v.remedy))
		}
		return ctx.Err()
	}
	down := time.Now()
	err := r.each(ctx, ready, func(ctx context.Context, s *subject) {
		s.doIf(ctx, CaseFailover, func(ctx context.Context) verdict { return s.liveFailover(ctx, down) })
	})
	// The primary comes back whatever happened, so the lab is left as found.
	upErr := r.o.PrimaryUp(context.WithoutCancel(ctx))
	if err != nil {
		return err
	}
	up := time.Now()
	return r.each(ctx, ready, func(ctx context.Context, s *subject) {
		s.doIf(ctx, CaseFailback, func(ctx context.Context) verdict {
			if upErr != nil {
				return fail(fmt.Sprintf("failback: the primary-up command failed: %v", upErr), "fix the --primary-up command")
			}
			return s.liveFailback(ctx, up)
		})
	})
}

// doIf runs the case when selected, or just its steps otherwise (failback
// needs the failover to have happened).
func (s *subject) doIf(ctx context.Context, name string, f func(context.Context) verdict) {
	if s.on(name) {
		s.do(ctx, name, f)
		return
	}
	f(ctx)
}

func (s *subject) liveVerdict(ctx context.Context, failover, failback verdict) {
	if s.on(CaseFailover) {
		s.do(ctx, CaseFailover, func(context.Context) verdict { return failover })
	}
	if s.on(CaseFailback) {
		s.do(ctx, CaseFailback, func(context.Context) verdict { return failback })
	}
}

// liveFailover: the primary is gone; the device notices at its next
// refresh (as when its keepalive fails) and must land on a secondary
// within the limit. The harness works --jobs devices at a time, so a
// device's turn (its simulated keepalive) can come long after the outage
// on a big fleet: the verdict judges the device from its turn, the fleet
// times (verdict.outage and the timing) count from the outage. Every
// device that was on the primary takes part in the fleet's failover,
// whether it gets there or not.
func (s *subject) liveFailover(ctx context.Context, down time.Time) verdict {
	p := s.primary()
	limit := s.r.o.FailoverLimit
	turn := time.Now()
	var (
		reg *device.Registration
		err error
	)
	for {
		reg, err = s.dev.Refresh(ctx)
		if err == nil && reg.Target.String() != p.String() {
			break
		}
		if time.Since(turn) > limit || ctx.Err() != nil {
			break
		}
		// Still on the primary (it has not gone yet) or nothing answered: try again.
		select {
		case <-ctx.Done():
		case <-time.After(200 * time.Millisecond):
		}
	}
	took, elapsed := time.Since(turn), time.Since(down)
	if err != nil {
		reason, remedy := explain(fmt.Sprintf("failover: the primary %s went down and no secondary accepted the device in %s of trying%s", p, fmtDur(took), paced(turn, down)), err, s.r.o.Timeout)
		v := fail(reason, remedy)
		v.outage = down // took part, never got there: no timing
		return v
	}
	v := pass(fmt.Sprintf("failover: primary %s stopped; secondary %s answered after %s, limit %s%s", p, reg.Target, fmtDur(took), fmtDur(limit), paced(turn, down)))
	if reg.Target.String() == p.String() {
		v = fail(fmt.Sprintf("failover: after %s of trying, the primary %s still accepted the device: the primary-down command did not stop it", fmtDur(took), p),
			"make --primary-down stop the primary SBC")
		v.target, v.outage = reg.Target.String(), down // never on a secondary: no timing
		return v
	}
	if took > limit {
		v = fail(fmt.Sprintf("failover: secondary %s answered after %s, limit %s%s", reg.Target, fmtDur(took), fmtDur(limit), paced(turn, down)),
			"make the secondary answer sooner, or shorten the device's per-target timeout")
	}
	// Late or not, the device is on the secondary: the fleet counts it
	// from the outage.
	v.target, v.outage = reg.Target.String(), down
	v.timings = map[string]float64{CaseFailover: ms(elapsed)}
	return v
}

// paced says how long after the outage the harness got to the device, when
// that is worth saying (a fleet larger than --jobs).
func paced(turn, event time.Time) string {
	if d := turn.Sub(event); d >= time.Second {
		return fmt.Sprintf(" (counted from its turn, %s after the event: the harness works --jobs devices at a time)", fmtDur(d))
	}
	return ""
}

// liveFailback: the primary is back; the device probes it every failback
// interval and must return within the limit. Only a device then on a
// secondary takes part in the fleet's failback.
func (s *subject) liveFailback(ctx context.Context, up time.Time) verdict {
	p := s.primary()
	cur := s.dev.Registration()
	if cur == nil || cur.Target.String() == p.String() {
		return fail("failback: the device did not fail over, so it cannot fail back", "fix failover first")
	}
	from := cur.Target
	limit := s.r.o.FailbackLimit
	turn := time.Now() // judged from here, counted for the fleet from up (see liveFailover)
	var lastErr error
	for {
		moved, reg, err := s.dev.FailbackProbe(ctx)
		took := time.Since(turn)
		if moved {
			v := pass(fmt.Sprintf("failback: primary %s restarted; the device re-registered there after %s (limit %s) and left %s%s",
				p, fmtDur(took), fmtDur(limit), from, paced(turn, up)))
			if took > limit {
				v = fail(fmt.Sprintf("failback: the device returned to %s after %s, limit %s%s", p, fmtDur(took), fmtDur(limit), paced(turn, up)),
					"probe the primary more often while on the secondary")
			}
			v.target, v.outage = reg.Target.String(), up
			v.timings = map[string]float64{CaseFailback: ms(time.Since(up))}
			return v
		}
		if err != nil {
			lastErr = err
		}
		if took > limit || ctx.Err() != nil {
			reason := fmt.Sprintf("failback: after %s of probing, the restarted primary %s still did not accept the device%s", fmtDur(took), p, paced(turn, up))
			remedy := "check that --primary-up restarts the primary SBC"
			if lastErr != nil {
				reason, remedy = explain(reason, lastErr, s.r.o.Timeout)
			}
			v := fail(reason, remedy)
			v.target, v.outage = from.String(), up // took part, never got back: no timing
			return v
		}
		select {
		case <-ctx.Done():
		case <-time.After(s.r.o.FailbackInterval):
		}
	}
}
