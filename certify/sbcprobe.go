package certify

import (
	"context"
	"errors"
	"sync"

	"golang.org/x/sync/singleflight"

	"github.com/cutover-dev/cutover/simulator/device"
)

// sbcProbes holds what each SBC target answered to a TLS probe: a
// version-pinned handshake without verification (tls-version), or a TLS 1.2
// handshake verified against a device's CA set (tls-chain). The answer
// depends on the SBC and on that CA set, not on the device, and a fleet
// shares a handful of SBCs and CA sets: a run asks once per target and
// question instead of five handshakes per device and target (50,000 for
// 5,000 devices, which a real SBC would also see). Only a decisive answer
// is kept, a handshake or a refusal; a target that was unreachable or
// timed out is asked again by the next device.
type sbcProbes struct {
	flight singleflight.Group
	mu     sync.Mutex
	done   map[string]probeAnswer
}

type probeAnswer struct {
	info device.TLSInfo
	err  error
}

// probe returns the answer of t to the probe question names, made by try,
// and whether this call made it (false: another device's).
func (p *sbcProbes) probe(ctx context.Context, t device.Target, question string, try func() (device.TLSInfo, error)) (device.TLSInfo, bool, error) {
	key := t.Addr() + "|" + t.Host + "|" + question
	p.mu.Lock()
	a, ok := p.done[key]
	p.mu.Unlock()
	if ok {
		return a.info, false, a.err
	}
	res, _, shared := p.flight.Do(key, func() (any, error) {
		info, err := try()
		a := probeAnswer{info, err}
		if (err == nil || errors.Is(err, device.ErrTLSHandshake)) && ctx.Err() == nil {
			p.mu.Lock()
			if p.done == nil {
				p.done = map[string]probeAnswer{}
			}
			p.done[key] = a
			p.mu.Unlock()
		}
		return a, nil
	})
	a = res.(probeAnswer)
	return a.info, !shared, a.err
}
