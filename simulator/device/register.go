package device

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// Registration is the outcome of one successful registration.
type Registration struct {
	Target  Target
	TLS     TLSInfo
	Contact string        // the Contact the device registered
	Expires time.Duration // the lifetime the registrar granted
	// ContactEchoed is true when the 200 listed the device's Contact (RFC
	// 3261 10.3: the registrar returns the current bindings).
	ContactEchoed bool
	// Challenged is true when the registrar asked for digest credentials
	// (401 or 407) before accepting.
	Challenged bool
	CallID     string
	CSeq       uint32
	At         time.Time
	Timings    Timings
	// Attempts lists every target tried, in order, the last one being the
	// target that accepted.
	Attempts []Attempt
}

// Timings are the steps of one registration on one target.
type Timings struct {
	Connect   time.Duration // TCP and TLS handshake (0 when the connection was reused)
	Challenge time.Duration // first REGISTER to its 401/407
	Auth      time.Duration // REGISTER with credentials to its final answer
	Total     time.Duration // the whole registration including failed targets
}

// Attempt is one target tried by a registration.
type Attempt struct {
	Target  Target
	Err     error // nil for the target that accepted
	Elapsed time.Duration
}

// failoverWorthy says whether an error on one target sends the device to the
// next: no answer, a refused connection or TLS handshake, or a 5xx. A
// rejected password or any other 4xx would fail the same way everywhere.
func failoverWorthy(err error) bool {
	if errors.Is(err, ErrTimeout) || errors.Is(err, ErrUnreachable) || errors.Is(err, ErrTLSHandshake) {
		return true
	}
	var se *StatusError
	return errors.As(err, &se) && se.Code >= 500
}

// Register registers the device on the first target that accepts, in SRV
// order, each within the per-target deadline: a timeout, a refused
// connection or TLS handshake, or a 5xx moves on to the next target, so the
// whole takes at most targets × deadline. An ErrAuthRejected or other 4xx
// stops at once. The error of a failed registration wraps the last target's.
func (d *Device) Register(ctx context.Context) (*Registration, error) {
	d.op.Lock()
	defer d.op.Unlock()
	targets, err := d.Targets(ctx)
	if err != nil {
		return nil, fmt.Errorf("registering %s: %w", d.cfg.User, err)
	}
	return d.registerAny(ctx, targets, d.cfg.Expires)
}

func (d *Device) registerAny(ctx context.Context, targets []Target, expires time.Duration) (*Registration, error) {
	start := time.Now()
	var (
		attempts []Attempt
		last     error
	)
	for _, t := range targets {
		ts := time.Now()
		reg, err := d.registerOn(ctx, t, expires)
		if err == nil {
			reg.Attempts = append(attempts, Attempt{Target: t, Elapsed: time.Since(ts)})
			reg.Timings.Total = time.Since(start)
			d.adopt(reg)
			return reg, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		attempts = append(attempts, Attempt{Target: t, Err: err, Elapsed: time.Since(ts)})
		last = err
		if !failoverWorthy(err) {
			break
		}
		d.o.log.Debug("failing over", "device", d.cfg.MAC, "target", t.String(), "error", err)
	}
	return nil, &RegisterError{Attempts: attempts, Err: last}
}

// RegisterError is a registration that no target accepted.
type RegisterError struct {
	Attempts []Attempt
	Err      error // the last target's error
}

func (e *RegisterError) Error() string {
	parts := make([]string, 0, len(e.Attempts))
	for _, a := range e.Attempts {
		parts = append(parts, fmt.Sprintf("%s: %v", a.Target, a.Err))
	}
	return "registering: " + strings.Join(parts, "; ")
}
func (e *RegisterError) Unwrap() error { return e.Err }

// RegisterOn registers on one target only (no failover).
func (d *Device) RegisterOn(ctx context.Context, t Target) (*Registration, error) {
	d.op.Lock()
	defer d.op.Unlock()
	reg, err := d.registerOn(ctx, t, d.cfg.Expires)
	if err != nil {
		return nil, err
	}
	reg.Attempts = []Attempt{{Target: t, Elapsed: reg.Timings.Total}}
	d.adopt(reg)
	return reg, nil
}

// adopt makes reg the device's registration and drops connections to other
// targets.
func (d *Device) adopt(reg *Registration) {
	d.mu.Lock()
	d.reg = reg
	d.current = d.conns[reg.Target.String()]
	var stale []*uaConn
	for k, c := range d.conns {
		if k != reg.Target.String() {
			stale = append(stale, c)
			delete(d.conns, k)
		}
	}
	d.mu.Unlock()
	for _, c := range stale {
		c.close()
	}
}

// Registration returns the current registration, nil if none.
func (d *Device) Registration() *Registration {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.reg
}

// LastRequest returns a copy of the last REGISTER the device sent.
func (d *Device) LastRequest() *sip.Request {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.lastRequest == nil {
		return nil
	}
	return d.lastRequest.Clone()
}

// registerOn runs one registration (a challenge and an authenticated
// REGISTER, or one when the registrar does not challenge) on t within the
// per-target deadline. expires 0 unregisters. A connection the SBC drops
// in the middle is reopened once within the same deadline, as a phone
// retries on a fresh connection.
func (d *Device) registerOn(parent context.Context, t Target, expires time.Duration) (*Registration, error) {
	ctx, cancel := context.WithTimeout(parent, d.o.timeout)
	defer cancel()
	start := time.Now()
	reg, err := d.registerOnce(parent, ctx, t, expires)
	if err != nil && errors.Is(err, sip.ErrTransactionTransport) && ctx.Err() == nil {
		d.o.log.Debug("connection dropped during REGISTER; retrying on a new one", "device", d.cfg.MAC, "target", t.String())
		d.dropConn(t)
		reg, err = d.registerOnce(parent, ctx, t, expires)
	}
	if err != nil {
		return nil, err
	}
	reg.Timings.Total = time.Since(start)
	return reg, nil
}

func (d *Device) registerOnce(parent, ctx context.Context, t Target, expires time.Duration) (*Registration, error) {
	reg := &Registration{Target: t, CallID: d.callID}
	c, connect, err := d.conn(ctx, t)
	reg.Timings.Connect = connect
	if err != nil {
		return nil, &TargetError{Target: t, Err: err}
	}
	reg.TLS = c.tls
	req := d.newRegister(c, expires)
	reg.Contact = req.Contact().Address.String()
	// Kept once the transactions are over (sipgo no longer touches it);
	// LastRequest copies it.
	defer func() {
		d.mu.Lock()
		d.lastRequest = req
		d.mu.Unlock()
	}()

	ts := time.Now()
	res, err := c.client.Do(ctx, req)
	if err != nil {
		return nil, &TargetError{Target: t, Err: classify(parent, err)}
	}
	if res.StatusCode == sip.StatusUnauthorized || res.StatusCode == sip.StatusProxyAuthRequired {
		reg.Challenged = true
		reg.Timings.Challenge = time.Since(ts)
		ts = time.Now()
		res, err = c.client.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: d.cfg.AuthUser, Password: d.cfg.Password})
		d.setCSeq(req)
		if err != nil {
			return nil, &TargetError{Target: t, Err: classify(parent, err)}
		}
		reg.Timings.Auth = time.Since(ts)
		if res.StatusCode == sip.StatusUnauthorized || res.StatusCode == sip.StatusProxyAuthRequired {
			// A second challenge after credentials is how Kamailio says
			// "wrong password"; never loop on it.
			return nil, &TargetError{Target: t, Err: fmt.Errorf("%w: %w", ErrAuthRejected, statusErr(res, "REGISTER"))}
		}
	} else {
		reg.Timings.Auth = time.Since(ts)
		d.setCSeq(req)
	}
	if res.StatusCode == sip.StatusForbidden {
		return nil, &TargetError{Target: t, Err: fmt.Errorf("%w: %w", ErrAuthRejected, statusErr(res, "REGISTER"))}
	}
	if !res.IsSuccess() {
		return nil, &TargetError{Target: t, Err: statusErr(res, "REGISTER")}
	}
	reg.CSeq = req.CSeq().SeqNo
	reg.At = time.Now()
	reg.Expires, reg.ContactEchoed = grantedExpires(res, req.Contact(), expires)
	return reg, nil
}

func statusErr(res *sip.Response, method string) *StatusError {
	return &StatusError{Method: method, Code: res.StatusCode, Reason: res.Reason}
}

func (d *Device) setCSeq(req *sip.Request) {
	if cs := req.CSeq(); cs != nil {
		d.mu.Lock()
		if cs.SeqNo >= d.cseq {
			d.cseq = cs.SeqNo + 1
		}
		d.mu.Unlock()
	}
}

// newRegister builds a REGISTER on c: the same Call-ID and From tag for the
// device's whole life (RFC 3261 10.2.4), a CSeq one above the last.
func (d *Device) newRegister(c *uaConn, expires time.Duration) *sip.Request {
	aor := d.cfg.AOR()
	req := sip.NewRequest(sip.REGISTER, sip.Uri{Scheme: "sip", Host: d.cfg.Domain})
	req.SetTransport(c.sipTransport())
	req.SetDestination(c.target.Addr())
	d.mu.Lock()
	seq := d.cseq
	d.cseq++
	d.mu.Unlock()
	via := &sip.ViaHeader{ProtocolName: "SIP", ProtocolVersion: "2.0", Transport: c.sipTransport(),
		Host: c.local.Host, Port: c.local.Port, Params: sip.NewParams()}
	via.Params.Add("branch", sip.GenerateBranch())
	via.Params.Add("rport", "")
	from := &sip.FromHeader{DisplayName: d.cfg.DisplayName, Address: aor, Params: sip.NewParams()}
	from.Params.Add("tag", d.fromTag)
	to := &sip.ToHeader{DisplayName: d.cfg.DisplayName, Address: aor, Params: sip.NewParams()}
	callID := sip.CallIDHeader(d.callID)
	contactURI := c.local
	contactURI.User = d.cfg.User
	contact := &sip.ContactHeader{Address: contactURI}
	exp := sip.ExpiresHeader(uint32(expires / time.Second))
	maxFwd := sip.MaxForwardsHeader(70)
	req.AppendHeader(via)
	req.AppendHeader(&maxFwd)
	req.AppendHeader(from)
	req.AppendHeader(to)
	req.AppendHeader(&callID)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: seq, MethodName: sip.REGISTER})
	req.AppendHeader(contact)
	req.AppendHeader(&exp)
	req.AppendHeader(sip.NewHeader("User-Agent", d.cfg.UserAgent()))
	req.AppendHeader(sip.NewHeader("Allow", "INVITE, ACK, BYE, CANCEL, OPTIONS"))
	req.SetBody(nil)
	return req
}

// maxExpires caps a granted lifetime read from the wire (2^32-1 seconds is
// RFC 3261's largest delta-seconds), so that it cannot overflow a Duration.
const maxExpires = 1<<32 - 1

// grantedExpires reads the lifetime the registrar granted our contact: the
// expires parameter of our Contact in the 200, else its Expires header, else
// what we asked for. echoed says whether our Contact was listed.
func grantedExpires(res *sip.Response, ours *sip.ContactHeader, asked time.Duration) (time.Duration, bool) {
	granted := time.Duration(-1)
	echoed := false
	for _, h := range res.GetHeaders("Contact") {
		ch, ok := h.(*sip.ContactHeader)
		if !ok {
			continue
		}
		if !sameContact(ch.Address, ours.Address) {
			continue
		}
		echoed = true
		if v, ok := ch.Params.Get("expires"); ok {
			if n, err := strconv.Atoi(v); err == nil && n >= 0 {
				granted = time.Duration(min(n, maxExpires)) * time.Second
			}
		}
	}
	if granted < 0 {
		if h := res.GetHeader("Expires"); h != nil {
			if n, err := strconv.Atoi(strings.TrimSpace(h.Value())); err == nil && n >= 0 {
				granted = time.Duration(min(n, maxExpires)) * time.Second
			}
		}
	}
	if granted < 0 {
		granted = asked
	}
	return granted, echoed
}

func sameContact(a, b sip.Uri) bool {
	return strings.EqualFold(a.Host, b.Host) && a.Port == b.Port && a.User == b.User
}

// Refresh re-registers on the current target before expiry, keeping the
// Call-ID and raising the CSeq (RFC 3261 10.2.4). If the current target no
// longer answers, the device fails over as Register does.
func (d *Device) Refresh(ctx context.Context) (*Registration, error) {
	d.op.Lock()
	defer d.op.Unlock()
	cur := d.Registration()
	if cur == nil {
		return nil, ErrNotRegistered
	}
	reg, err := d.registerOn(ctx, cur.Target, d.cfg.Expires)
	if err == nil {
		reg.Attempts = []Attempt{{Target: cur.Target, Elapsed: reg.Timings.Total}}
		d.adopt(reg)
		return reg, nil
	}
	if !failoverWorthy(err) {
		return nil, err
	}
	targets, terr := d.Targets(ctx)
	if terr != nil {
		return nil, err
	}
	return d.registerAny(ctx, targets, d.cfg.Expires)
}

// Unregister removes the device's binding (Expires: 0) from the target it is
// registered on and closes the connection.
func (d *Device) Unregister(ctx context.Context) (*Registration, error) {
	d.op.Lock()
	defer d.op.Unlock()
	cur := d.Registration()
	if cur == nil {
		return nil, ErrNotRegistered
	}
	reg, err := d.registerOn(ctx, cur.Target, 0)
	if err != nil {
		return nil, fmt.Errorf("unregistering: %w", err)
	}
	d.mu.Lock()
	d.reg = nil
	d.mu.Unlock()
	return reg, nil
}

// FailbackProbe is called while registered on a secondary: it tries every
// target of higher priority, in order, and registers on the first that
// accepts (dropping the secondary). It reports whether the device moved.
func (d *Device) FailbackProbe(ctx context.Context) (bool, *Registration, error) {
	d.op.Lock()
	defer d.op.Unlock()
	d.mu.Lock()
	cur := d.reg
	targets := append([]Target(nil), d.targets...)
	d.mu.Unlock()
	if cur == nil {
		return false, nil, ErrNotRegistered
	}
	var better []Target
	for _, t := range targets {
		if t.String() == cur.Target.String() {
			break
		}
		better = append(better, t)
	}
	if len(better) == 0 {
		return false, cur, nil
	}
	var last error
	for _, t := range better {
		reg, err := d.registerOn(ctx, t, d.cfg.Expires)
		if err != nil {
			last = err
			continue
		}
		reg.Attempts = []Attempt{{Target: t, Elapsed: reg.Timings.Total}}
		// Remove the binding on the secondary before dropping it, as a
		// phone does; best effort, the secondary may be gone.
		old := cur.Target
		if _, uerr := d.registerOn(ctx, old, 0); uerr != nil {
			d.o.log.Debug("unregistering from secondary after failback", "device", d.cfg.MAC, "target", old.String(), "error", uerr)
		}
		d.adopt(reg)
		return true, reg, nil
	}
	return false, cur, last
}
