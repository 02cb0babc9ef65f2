package device

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// sdpOffer is a minimal audio offer; the simulator sends no media.
const sdpOffer = "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=cutover-sim\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"

// Call is an outgoing call the device placed and the callee answered.
type Call struct {
	d      *Device
	c      *uaConn
	invite *sip.Request
	ok     *sip.Response
	remote sip.Uri   // the callee's Contact
	routes []sip.Uri // route set from Record-Route, in UAC order
	// Setup is INVITE to 200 OK (including a digest challenge round).
	Setup time.Duration
	// CallID identifies the dialog; the callee sees it in IncomingCall.
	CallID string
}

// IncomingCall is what the device saw of a call it answered.
type IncomingCall struct {
	CallID  string
	From    string
	Invited bool // INVITE received and answered 200
	Acked   bool // ACK for the 200 received
	Ended   bool // BYE received and answered 200
}

type incomingCall struct {
	mu    sync.Mutex
	info  IncomingCall
	acked chan struct{}
	ended chan struct{}
}

// Call places a call to the AOR to (sip:user@domain) through the SBC the
// device is registered on, answers a digest challenge, and sends the ACK
// once the callee answers. A 404, 480, 403, 405 or 501 wraps
// ErrCallNotRouted: the SBC does not route calls between devices.
func (d *Device) Call(ctx context.Context, to sip.Uri) (*Call, error) {
	d.mu.Lock()
	c, reg := d.current, d.reg
	d.mu.Unlock()
	if c == nil || reg == nil {
		return nil, ErrNotRegistered
	}
	start := time.Now()
	tctx, cancel := context.WithTimeout(ctx, d.o.timeout*4) // a callee answers through the SBC: two hops
	defer cancel()
	inv := sip.NewRequest(sip.INVITE, to)
	inv.SetTransport(c.sipTransport())
	inv.SetDestination(c.target.Addr())
	from := &sip.FromHeader{DisplayName: d.cfg.DisplayName, Address: d.cfg.AOR(), Params: sip.NewParams()}
	from.Params.Add("tag", randomHex(8))
	inv.AppendHeader(from)
	inv.AppendHeader(&sip.ToHeader{Address: to, Params: sip.NewParams()})
	callID := sip.CallIDHeader(randomHex(16) + "@cutover-sim")
	inv.AppendHeader(&callID)
	inv.AppendHeader(&sip.CSeqHeader{SeqNo: 1, MethodName: sip.INVITE})
	contact := c.local
	contact.User = d.cfg.User
	inv.AppendHeader(&sip.ContactHeader{Address: contact})
	inv.AppendHeader(sip.NewHeader("User-Agent", d.cfg.UserAgent()))
	ct := sip.ContentTypeHeader("application/sdp")
	inv.AppendHeader(&ct)
	inv.SetBody([]byte(sdpOffer))

	res, err := c.client.Do(tctx, inv)
	if err != nil {
		return nil, &TargetError{Target: c.target, Err: classify(ctx, err)}
	}
	if res.StatusCode == sip.StatusUnauthorized || res.StatusCode == sip.StatusProxyAuthRequired {
		res, err = c.client.DoDigestAuth(tctx, inv, res, sipgo.DigestAuth{Username: d.cfg.AuthUser, Password: d.cfg.Password})
		if err != nil {
			return nil, &TargetError{Target: c.target, Err: classify(ctx, err)}
		}
		if res.StatusCode == sip.StatusUnauthorized || res.StatusCode == sip.StatusProxyAuthRequired {
			return nil, &TargetError{Target: c.target, Err: fmt.Errorf("%w: %w", ErrAuthRejected, statusErr(res, "INVITE"))}
		}
	}
	if !res.IsSuccess() {
		se := statusErr(res, "INVITE")
		switch res.StatusCode {
		case 403, 404, 405, 480, 501:
			return nil, &TargetError{Target: c.target, Err: fmt.Errorf("%w: %w", ErrCallNotRouted, se)}
		}
		return nil, &TargetError{Target: c.target, Err: se}
	}
	call := &Call{d: d, c: c, invite: inv, ok: res, Setup: time.Since(start), CallID: string(callID)}
	if ch := res.Contact(); ch != nil {
		call.remote = ch.Address
	} else {
		call.remote = to
	}
	for _, h := range res.GetHeaders("Record-Route") {
		if rr, ok := h.(*sip.RecordRouteHeader); ok {
			call.routes = append(call.routes, rr.Address)
		}
	}
	slices.Reverse(call.routes)
	ack := call.inDialog(sip.ACK, inv.CSeq().SeqNo)
	if err := c.client.WriteRequest(ack); err != nil {
		return nil, &TargetError{Target: c.target, Err: fmt.Errorf("sending ACK: %w", classify(ctx, err))}
	}
	return call, nil
}

// inDialog builds an ACK or BYE within the call's dialog, sent through the
// SBC connection whatever the route set says (the device has no other).
func (call *Call) inDialog(method sip.RequestMethod, seq uint32) *sip.Request {
	req := sip.NewRequest(method, call.remote)
	req.SetTransport(call.c.sipTransport())
	req.SetDestination(call.c.target.Addr())
	for _, r := range call.routes {
		req.AppendHeader(&sip.RouteHeader{Address: r})
	}
	if f := call.invite.From(); f != nil {
		req.AppendHeader(sip.HeaderClone(f))
	}
	if t := call.ok.To(); t != nil {
		req.AppendHeader(sip.HeaderClone(t))
	}
	if id := call.invite.CallID(); id != nil {
		req.AppendHeader(sip.HeaderClone(id))
	}
	req.AppendHeader(&sip.CSeqHeader{SeqNo: seq, MethodName: method})
	mf := sip.MaxForwardsHeader(70)
	req.AppendHeader(&mf)
	req.AppendHeader(sip.NewHeader("User-Agent", call.d.cfg.UserAgent()))
	req.SetBody(nil)
	return req
}

// Hangup sends BYE and waits for its answer.
func (call *Call) Hangup(ctx context.Context) error {
	tctx, cancel := context.WithTimeout(ctx, call.d.o.timeout*4)
	defer cancel()
	bye := call.inDialog(sip.BYE, call.invite.CSeq().SeqNo+1)
	res, err := call.c.client.Do(tctx, bye)
	if err != nil {
		return &TargetError{Target: call.c.target, Err: classify(ctx, err)}
	}
	if !res.IsSuccess() {
		return &TargetError{Target: call.c.target, Err: statusErr(res, "BYE")}
	}
	return nil
}

// IncomingCall returns what the device saw of the call callID, if any.
func (d *Device) IncomingCall(callID string) (IncomingCall, bool) {
	d.mu.Lock()
	ic := d.incoming[callID]
	d.mu.Unlock()
	if ic == nil {
		return IncomingCall{}, false
	}
	ic.mu.Lock()
	defer ic.mu.Unlock()
	return ic.info, true
}

// WaitIncoming waits until the device has seen the ACK (ended false) or
// the BYE (ended true) of call callID.
func (d *Device) WaitIncoming(ctx context.Context, callID string, ended bool) (IncomingCall, error) {
	for {
		d.mu.Lock()
		ic := d.incoming[callID]
		d.mu.Unlock()
		if ic != nil {
			ch := ic.acked
			if ended {
				ch = ic.ended
			}
			select {
			case <-ch:
				ic.mu.Lock()
				defer ic.mu.Unlock()
				return ic.info, nil
			case <-ctx.Done():
				ic.mu.Lock()
				defer ic.mu.Unlock()
				return ic.info, ctx.Err()
			}
		}
		select {
		case <-ctx.Done():
			return IncomingCall{CallID: callID}, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// handleIncoming answers what the SBC sends the device: INVITE (200 with an
// SDP answer), ACK, BYE and OPTIONS.
func (d *Device) handleIncoming(c *uaConn) {
	c.srv.OnInvite(func(req *sip.Request, tx sip.ServerTransaction) {
		id := ""
		if h := req.CallID(); h != nil {
			id = string(*h)
		}
		ic := &incomingCall{acked: make(chan struct{}), ended: make(chan struct{})}
		ic.info = IncomingCall{CallID: id, Invited: true}
		if f := req.From(); f != nil {
			ic.info.From = f.Address.String()
		}
		d.mu.Lock()
		if old := d.incoming[id]; old != nil {
			ic = old // a retransmission or re-INVITE
		} else {
			d.incoming[id] = ic
		}
		d.mu.Unlock()
		res := sip.NewResponseFromRequest(req, sip.StatusOK, "OK", []byte(sdpOffer))
		contact := c.local
		contact.User = d.cfg.User
		res.AppendHeader(&sip.ContactHeader{Address: contact})
		ct := sip.ContentTypeHeader("application/sdp")
		res.AppendHeader(&ct)
		res.AppendHeader(sip.NewHeader("User-Agent", d.cfg.UserAgent()))
		if err := tx.Respond(res); err != nil {
			d.o.log.Debug("answering INVITE", "device", d.cfg.MAC, "error", err)
		}
	})
	c.srv.OnAck(func(req *sip.Request, tx sip.ServerTransaction) {
		if ic := d.incomingFor(req); ic != nil {
			ic.mu.Lock()
			if !ic.info.Acked {
				ic.info.Acked = true
				close(ic.acked)
			}
			ic.mu.Unlock()
		}
	})
	c.srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		ic := d.incomingFor(req)
		code, reason := sip.StatusOK, "OK"
		if ic == nil {
			code, reason = sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist"
		}
		_ = tx.Respond(sip.NewResponseFromRequest(req, code, reason, nil))
		if ic != nil {
			ic.mu.Lock()
			if !ic.info.Ended {
				ic.info.Ended = true
				close(ic.ended)
			}
			ic.mu.Unlock()
		}
	})
	c.srv.OnOptions(func(req *sip.Request, tx sip.ServerTransaction) {
		res := sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil)
		res.AppendHeader(sip.NewHeader("Allow", "INVITE, ACK, BYE, CANCEL, OPTIONS"))
		_ = tx.Respond(res)
	})
}

func (d *Device) incomingFor(req *sip.Request) *incomingCall {
	h := req.CallID()
	if h == nil {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.incoming[string(*h)]
}
