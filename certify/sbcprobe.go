package certify

import (
	"context"
	"errors"
	"sync"

	"golang.org/x/sync/singleflight"

	"github.com/cutover-dev/cutover/simulator/device"
)

// versionProbes holds what each SBC target answered to a version-pinned TLS
// handshake without certificate verification (the tls-version case). The
// answer depends on the SBC, not on the device, and a fleet shares a
// handful of SBCs: a run asks each target once per version instead of
// three handshakes per device and target (30,000 for 5,000 devices, which
// a real SBC would also see). Only a decisive answer is kept, a handshake
// or a refusal; a target that was unreachable or timed out is asked again
// by the next device.
type versionProbes struct {
	flight singleflight.Group
	mu     sync.Mutex
	done   map[string]versionAnswer
}

type versionAnswer struct {
	info device.TLSInfo
	err  error
}

// probe returns the answer of t to a handshake offering only version v,
// made by try, and whether this call made it (false: another device's).
func (p *versionProbes) probe(ctx context.Context, t device.Target, v uint16, try func() (device.TLSInfo, error)) (versionAnswer, bool) {
	key := t.Addr() + "|" + t.Host + "|" + device.VersionName(v)
	p.mu.Lock()
	a, ok := p.done[key]
	p.mu.Unlock()
	if ok {
		return a, false
	}
	res, _, shared := p.flight.Do(key, func() (any, error) {
		info, err := try()
		a := versionAnswer{info, err}
		if (err == nil || errors.Is(err, device.ErrTLSHandshake)) && ctx.Err() == nil {
			p.mu.Lock()
			if p.done == nil {
				p.done = map[string]versionAnswer{}
			}
			p.done[key] = a
			p.mu.Unlock()
		}
		return a, nil
	})
	return res.(versionAnswer), !shared
}
