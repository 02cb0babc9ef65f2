package webex

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// CreateDevice creates a partner-managed device for a person or a workspace
// (D1). Creates for one owner run one at a time (Webex documents a race on a
// Professional-licensed owner's primary and secondary devices).
//
// POST /devices is not idempotent, so it is never replayed blindly. After an
// unknown outcome (5xx, dropped connection, timeout) the client looks the MAC
// up: a device with that MAC and the same owner is the one this call created
// and is returned as success; otherwise it creates again, under the retry
// budget. A "MAC in use" answer (409, or 400 with error 5675) after an unknown
// outcome is resolved the same way. A MAC held by another owner stays an
// *APIError matching ErrConflict and ErrMACInUse.
//
// The per-owner serialisation holds within one client; the shards of a
// migration (migrate --shard, one process each) may still create for one
// owner at once, and Webex refuses the second with a 409 that is not "MAC in
// use". Such a create did not land (a lookup proves it), so it is tried
// again after a backoff, under the same retry budget.
//
// Webex answers some creates 200 with an empty body (wxc_sdk, wxcadm): the
// device exists but its id is unknown, so it is looked up by MAC and owner,
// never created again.
func (c *Client) CreateDevice(ctx context.Context, req CreateDeviceRequest) (*Device, error) {
	owner := "person/" + req.PersonID
	if req.PersonID == "" {
		owner = "workspace/" + req.WorkspaceID
	}
	unlock, err := c.owners.lock(ctx, owner)
	if err != nil {
		return nil, fmt.Errorf("POST /devices: waiting for the owner's previous create: %w", err)
	}
	defer unlock()

	bo := c.tr.backoff()
	start := time.Now()
	uncertain := false
	for {
		var dev Device
		_, err := c.do(ctx, request{method: http.MethodPost, path: "/devices", body: req, out: &dev,
			secrets: []string{req.Password}, unsafe: true, emptyOK: true})
		if err == nil && dev.ID == "" {
			found, lerr := c.findCreated(ctx, req)
			switch {
			case lerr != nil:
				return nil, fmt.Errorf("POST /devices: answered without a device; looking the MAC up: %w", lerr)
			case found == nil:
				return nil, fmt.Errorf("POST /devices: answered without a device, and no device with MAC %s and this owner exists", normMAC(req.MAC))
			}
			c.stats.recovered.Add(1)
			return found, nil
		}
		if err == nil {
			return &dev, nil
		}
		if ctx.Err() != nil {
			return nil, err
		}
		unknown := unknownOutcome(err)
		// A 409 that is not "MAC in use": another create for this owner is
		// in flight elsewhere (another process).
		ownerBusy := errors.Is(err, ErrConflict) && !errors.Is(err, ErrMACInUse)
		switch {
		case unknown:
			uncertain = true
		case ownerBusy:
		case uncertain && (errors.Is(err, ErrMACInUse) || errors.Is(err, ErrConflict)):
			// Probably our own earlier attempt holds the MAC: look.
		default:
			return nil, err
		}
		found, lerr := c.findCreated(ctx, req)
		if lerr != nil {
			return nil, fmt.Errorf("%w; looking the MAC up after an unknown outcome: %w", err, lerr)
		}
		if found != nil {
			c.stats.recovered.Add(1)
			c.log.DebugContext(ctx, "webex create landed despite the error", "path", "/devices", "device", found.ID, "error", err.Error())
			return found, nil
		}
		if !unknown && !ownerBusy {
			return nil, err
		}
		wait := bo.NextBackOff()
		if time.Since(start)+wait > c.cfg.maxElapsed {
			return nil, err
		}
		c.stats.retries.Add(1)
		c.log.DebugContext(ctx, "webex create retry after lookup", "path", "/devices", "wait", wait, "reason", err.Error())
		if err := sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// findCreated returns the device with req's MAC and owner, or nil.
func (c *Client) findCreated(ctx context.Context, req CreateDeviceRequest) (*Device, error) {
	mac := normMAC(req.MAC)
	devs, err := c.ListDevices(ctx, DeviceQuery{MAC: mac})
	if err != nil {
		return nil, err
	}
	for i, d := range devs {
		if normMAC(d.MAC) == mac && d.PersonID == req.PersonID && d.WorkspaceID == req.WorkspaceID {
			return &devs[i], nil
		}
	}
	return nil, nil
}

// unknownOutcome reports an error after which a create may or may not have
// landed: a 5xx, or a transport failure other than cancellation and
// credentials.
func unknownOutcome(err error) bool {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.StatusCode >= 500
	}
	var ce *CredentialError
	if errors.As(err, &ce) || errors.Is(err, context.Canceled) {
		return false
	}
	return true
}

// ownerLocks serialises work per key; entries go away when unused.
type ownerLocks struct {
	mu sync.Mutex
	m  map[string]*ownerLock
}

type ownerLock struct {
	ch    chan struct{} // a one-slot semaphore, so that waiting honours ctx
	users int
}

func (o *ownerLocks) lock(ctx context.Context, key string) (func(), error) {
	o.mu.Lock()
	if o.m == nil {
		o.m = map[string]*ownerLock{}
	}
	l := o.m[key]
	if l == nil {
		l = &ownerLock{ch: make(chan struct{}, 1)}
		o.m[key] = l
	}
	l.users++
	o.mu.Unlock()
	release := func() {
		o.mu.Lock()
		l.users--
		if l.users == 0 {
			delete(o.m, key)
		}
		o.mu.Unlock()
	}
	select {
	case l.ch <- struct{}{}:
		return func() { <-l.ch; release() }, nil
	case <-ctx.Done():
		release()
		return nil, ctx.Err()
	}
}
