package device

import (
	"context"
	"fmt"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Exchange is one answered request.
type Exchange struct {
	Target Target
	Code   int
	Reason string
	RTT    time.Duration
}

// Options sends an OPTIONS keepalive to the SBC the device is registered
// on and returns its answer; any final answer means the SBC is alive, and
// the caller judges the code.
func (d *Device) Options(ctx context.Context) (Exchange, error) {
	d.mu.Lock()
	c := d.current
	d.mu.Unlock()
	if c == nil {
		return Exchange{}, ErrNotRegistered
	}
	tctx, cancel := context.WithTimeout(ctx, d.o.timeout)
	defer cancel()
	req := sip.NewRequest(sip.OPTIONS, sip.Uri{Scheme: "sip", Host: c.target.Host})
	req.SetTransport(c.sipTransport())
	req.SetDestination(c.target.Addr())
	from := &sip.FromHeader{Address: d.cfg.AOR(), Params: sip.NewParams()}
	from.Params.Add("tag", randomHex(8))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", Host: c.target.Host}, Params: sip.NewParams()})
	req.AppendHeader(sip.NewHeader("User-Agent", d.cfg.UserAgent()))
	req.AppendHeader(sip.NewHeader("Accept", "application/sdp"))
	req.SetBody(nil)
	start := time.Now()
	res, err := c.client.Do(tctx, req)
	if err != nil {
		return Exchange{Target: c.target}, &TargetError{Target: c.target, Err: classify(ctx, err)}
	}
	return Exchange{Target: c.target, Code: res.StatusCode, Reason: res.Reason, RTT: time.Since(start)}, nil
}

// PingCRLF sends the RFC 5626 double-CRLF keepalive on the registration's
// connection and waits for the single-CRLF pong.
func (d *Device) PingCRLF(ctx context.Context) (time.Duration, error) {
	d.mu.Lock()
	c := d.current
	d.mu.Unlock()
	if c == nil {
		return 0, ErrNotRegistered
	}
	tctx, cancel := context.WithTimeout(ctx, d.o.timeout)
	defer cancel()
	select { // drop a stale pong
	case <-c.pong:
	default:
	}
	start := time.Now()
	if err := c.writeRaw([]byte("\r\n\r\n")); err != nil {
		return 0, &TargetError{Target: c.target, Err: classify(ctx, err)}
	}
	select {
	case <-c.pong:
		return time.Since(start), nil
	case <-tctx.Done():
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		return 0, &TargetError{Target: c.target, Err: fmt.Errorf("%w: no CRLF pong", ErrTimeout)}
	}
}

// Run keeps the device registered until ctx ends: it registers if needed,
// refreshes before the granted lifetime runs out, sends a CRLF keepalive
// every keepalive interval (a lost connection triggers an immediate refresh,
// which fails over), and while on a secondary probes the higher-priority
// targets every failback interval. It returns ctx's error; unregistering is
// the caller's choice.
func (d *Device) Run(ctx context.Context) error {
	retry := time.Second
	for d.Registration() == nil {
		if _, err := d.Register(ctx); err == nil {
			break
		} else if ctx.Err() != nil {
			return ctx.Err()
		} else {
			d.o.log.Debug("registering", "device", d.cfg.MAC, "error", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(retry):
		}
		retry = min(retry*2, 60*time.Second)
	}
	keep := time.NewTicker(d.o.keepaliveEvery)
	defer keep.Stop()
	back := time.NewTicker(d.o.failbackEvery)
	defer back.Stop()
	// After a failed refresh the device retries with a growing delay
	// instead of at once: every SBC may be refusing instantly.
	var retryAt time.Time
	retry = time.Second
	refreshed := func(err error) {
		if err == nil {
			retryAt, retry = time.Time{}, time.Second
			return
		}
		d.o.log.Debug("refreshing registration", "device", d.cfg.MAC, "error", err)
		retryAt = time.Now().Add(retry)
		retry = min(retry*2, 60*time.Second)
	}
	for {
		reg := d.Registration()
		var refreshIn time.Duration
		if reg != nil {
			refreshIn = refreshDelay(reg.Expires) - time.Since(reg.At)
		}
		if wait := time.Until(retryAt); wait > refreshIn {
			refreshIn = wait
		}
		refresh := time.NewTimer(max(refreshIn, 0))
		select {
		case <-ctx.Done():
			refresh.Stop()
			return ctx.Err()
		case <-refresh.C:
			_, err := d.refreshOrRegister(ctx)
			refreshed(err)
		case <-keep.C:
			refresh.Stop()
			if _, err := d.PingCRLF(ctx); err != nil {
				d.o.log.Debug("keepalive lost", "device", d.cfg.MAC, "error", err)
				if time.Now().After(retryAt) {
					_, err := d.refreshOrRegister(ctx)
					refreshed(err)
				}
			}
		case <-back.C:
			refresh.Stop()
			if _, _, err := d.FailbackProbe(ctx); err != nil {
				d.o.log.Debug("failback probe", "device", d.cfg.MAC, "error", err)
			}
		}
	}
}

func (d *Device) refreshOrRegister(ctx context.Context) (*Registration, error) {
	if d.Registration() == nil {
		return d.Register(ctx)
	}
	return d.Refresh(ctx)
}

// refreshDelay is when a device refreshes a registration granted for
// expires: halfway through a short one, a minute before the end of a long one.
func refreshDelay(expires time.Duration) time.Duration {
	if expires <= 2*time.Minute {
		return max(expires/2, time.Second)
	}
	return expires - time.Minute
}

// RefreshDelay is when after a registration granted for expires the device
// refreshes it (see Run).
func RefreshDelay(expires time.Duration) time.Duration { return refreshDelay(expires) }
