package sbc

import (
	"context"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// Calls are routed as a record-routing stateful proxy: the INVITE goes to
// the callee's binding over the connection the callee registered on (sipgo
// reuses it, keyed by the callee's address), every response comes back on
// the caller's, and a Record-Route pointing at the SBC keeps ACK, BYE and
// re-INVITE on the same path. The call table only remembers the two
// connections per Call-ID, which is all in-dialog routing needs.

type call struct {
	caller, callee string // source addresses of the two devices' connections
	created        time.Time
	established    bool
}

type callTable struct {
	mu sync.Mutex
	m  map[string]*call
}

func newCallTable() *callTable { return &callTable{m: make(map[string]*call)} }

func (t *callTable) put(id string, c *call) {
	t.mu.Lock()
	t.m[id] = c
	t.mu.Unlock()
}

func (t *callTable) get(id string) (call, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	c, ok := t.m[id]
	if !ok {
		return call{}, false
	}
	return *c, true
}

func (t *callTable) setEstablished(id string) {
	t.mu.Lock()
	if c, ok := t.m[id]; ok {
		c.established = true
	}
	t.mu.Unlock()
}

func (t *callTable) remove(id string) {
	t.mu.Lock()
	delete(t.m, id)
	t.mu.Unlock()
}

func (t *callTable) clear() {
	t.mu.Lock()
	clear(t.m)
	t.mu.Unlock()
}

// sweep forgets calls that never got answered within a few minutes and
// calls older than a day whose BYE never came.
func (t *callTable) sweep(now time.Time) {
	t.mu.Lock()
	for id, c := range t.m {
		age := now.Sub(c.created)
		if (!c.established && age > 5*time.Minute) || age > 24*time.Hour {
			delete(t.m, id)
		}
	}
	t.mu.Unlock()
}

// Calls returns how many calls (ringing or established) the SBC is routing.
func (s *SBC) Calls() int {
	s.calls.mu.Lock()
	defer s.calls.mu.Unlock()
	return len(s.calls.m)
}

func (s *SBC) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	if hasToTag(req) {
		s.onInDialog(req, tx)
		return
	}
	s.stats.invites.Add(1)
	if !s.delay(s.fault.Load()) {
		return
	}
	now := s.now()
	if s.callAuth {
		if _, ok := s.authenticate(req, tx, now, true); !ok {
			return
		}
	}
	if mf := req.MaxForwards(); mf != nil && mf.Val() <= 1 {
		s.respond(tx, s.newResponse(req, sip.StatusTooManyHops, "Too Many Hops"))
		return
	}
	callID := req.CallID()
	if callID == nil {
		s.respond(tx, s.newResponse(req, sip.StatusBadRequest, "Bad Request (no Call-ID)"))
		return
	}
	user := req.Recipient.User
	bindings := s.reg.lookup(now, user)
	if user == "" || len(bindings) == 0 {
		s.respond(tx, s.newResponse(req, sip.StatusNotFound, "Not Found"))
		return
	}
	b := bindings[0]
	var target sip.Uri
	if err := sip.ParseUri(b.Contact, &target); err != nil {
		s.respond(tx, s.newResponse(req, sip.StatusTemporarilyUnavailable, "Temporarily Unavailable"))
		return
	}
	s.respond(tx, s.newResponse(req, sip.StatusTrying, "Trying"))

	fwd := req.Clone()
	fwd.Recipient = target
	if s.callAuth {
		// Credentials were for us; the callee must not see them.
		for fwd.RemoveHeader("Proxy-Authorization") {
		}
	}
	s.prepareForward(fwd, b.Source)
	fwd.PrependHeader(s.recordRoute())

	id := callID.Value()
	s.calls.put(id, &call{caller: req.Source(), callee: b.Source, created: now})

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clTx, err := s.client.TransactionRequest(ctx, fwd, sipgo.ClientRequestAddVia)
	if err != nil {
		s.calls.remove(id)
		s.log.Debug("forwarding INVITE", "call", id, "to", b.Source, "error", err)
		s.respond(tx, s.newResponse(req, sip.StatusTemporarilyUnavailable, "Temporarily Unavailable"))
		return
	}
	defer clTx.Terminate()
	tx.OnCancel(func(*sip.Request) {
		// sipgo has answered the caller's CANCEL (200, then 487 to the
		// INVITE); pass the CANCEL on so that the callee stops ringing.
		go s.cancelDownstream(fwd, b.Source)
	})
	final := s.relay(tx, clTx, req)
	switch {
	case final == nil || final.StatusCode >= 300:
		s.calls.remove(id)
	case final.IsSuccess():
		s.calls.setEstablished(id)
		s.stats.callsAnswered.Add(1)
	}
}

// prepareForward readies a request for the next hop: our own Route entry
// popped, Max-Forwards decremented, sent over TLS to dest (the connection
// the peer device registered or called from).
func (s *SBC) prepareForward(fwd *sip.Request, dest string) {
	for {
		r := fwd.Route()
		if r == nil || !s.isSelf(r.Address) {
			break
		}
		fwd.RemoveHeader("Route")
	}
	if mf := fwd.MaxForwards(); mf != nil {
		mf.Dec()
	}
	fwd.SetTransport("TLS")
	fwd.SetDestination(dest)
}

func (s *SBC) isSelf(u sip.Uri) bool {
	host, port, err := net.SplitHostPort(s.Addr())
	if err != nil {
		return false
	}
	return u.Host == host && strconv.Itoa(u.Port) == port
}

func (s *SBC) recordRoute() *sip.RecordRouteHeader {
	host, port, _ := net.SplitHostPort(s.Addr())
	p, _ := strconv.Atoi(port)
	return &sip.RecordRouteHeader{Address: sip.Uri{
		Scheme:    "sip",
		Host:      host,
		Port:      p,
		UriParams: sip.HeaderParams{{K: "transport", V: "tls"}, {K: "lr", V: ""}},
	}}
}

// relay passes clTx's responses back on tx (minus our Via and hop-by-hop
// 100 Trying) until the final one, which it returns; nil if none came.
func (s *SBC) relay(tx sip.ServerTransaction, clTx sip.ClientTransaction, req *sip.Request) *sip.Response {
	upstreamGone := false
	for {
		select {
		case res, more := <-clTx.Responses():
			if !more {
				return nil
			}
			if res.StatusCode == sip.StatusTrying {
				continue
			}
			out := res.Clone()
			out.RemoveHeader("Via")
			if !upstreamGone {
				if err := tx.Respond(out); err != nil {
					s.log.Debug("relaying response", "status", res.StatusCode, "error", err)
				}
			}
			if res.StatusCode >= 200 {
				return res
			}
		case <-clTx.Done():
			if !upstreamGone {
				code, reason := sip.StatusRequestTimeout, "Request Timeout"
				if err := clTx.Err(); err != nil && !isTimeout(err) {
					code, reason = sip.StatusTemporarilyUnavailable, "Temporarily Unavailable"
				}
				s.respond(tx, s.newResponse(req, code, reason))
			}
			return nil
		case <-tx.Done():
			// Caller cancelled or its connection died: keep draining the
			// callee's answer (its CANCEL is on the way) without relaying.
			upstreamGone = true
		case <-s.done:
			return nil
		}
	}
}

func isTimeout(err error) bool {
	return err == sip.ErrTransactionTimeout
}

func (s *SBC) cancelDownstream(fwd *sip.Request, dest string) {
	c := sip.NewRequest(sip.CANCEL, fwd.Recipient)
	if v := fwd.Via(); v != nil {
		c.AppendHeader(v.Clone())
	}
	for _, name := range []string{"From", "To", "Call-ID", "Route"} {
		sip.CopyHeaders(name, fwd, c)
	}
	if cs := fwd.CSeq(); cs != nil {
		c.AppendHeader(&sip.CSeqHeader{SeqNo: cs.SeqNo, MethodName: sip.CANCEL})
	}
	mf := sip.MaxForwardsHeader(70)
	c.AppendHeader(&mf)
	c.SetTransport("TLS")
	c.SetDestination(dest)
	ctx, cancel := context.WithTimeout(context.Background(), 32*time.Second)
	defer cancel()
	// The CANCEL carries the INVITE's Via already: build nothing.
	if _, err := s.client.Do(ctx, c, func(*sipgo.Client, *sip.Request) error { return nil }); err != nil {
		s.log.Debug("forwarding CANCEL", "to", dest, "error", err)
	}
}

// onCancel answers a CANCEL that matched no INVITE (sipgo handles the
// matching ones itself).
func (s *SBC) onCancel(req *sip.Request, tx sip.ServerTransaction) {
	s.respond(tx, s.newResponse(req, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist"))
}

// onAck forwards the ACK of a 2xx along the dialog; ACKs of error
// responses are absorbed by sipgo's INVITE server transaction.
func (s *SBC) onAck(req *sip.Request, _ sip.ServerTransaction) {
	callID := req.CallID()
	if callID == nil {
		return
	}
	c, ok := s.calls.get(callID.Value())
	if !ok {
		return
	}
	fwd := req.Clone()
	s.prepareForward(fwd, c.peerOf(req.Source()))
	if err := s.client.WriteRequest(fwd, sipgo.ClientRequestAddVia); err != nil {
		s.log.Debug("forwarding ACK", "call", callID.Value(), "error", err)
	}
}

func (c call) peerOf(source string) string {
	if source == c.caller {
		return c.callee
	}
	return c.caller
}

// onInDialog routes BYE, re-INVITE and other requests inside a call to the
// other party and relays the answer.
func (s *SBC) onInDialog(req *sip.Request, tx sip.ServerTransaction) {
	if !s.delay(s.fault.Load()) {
		return
	}
	callID := req.CallID()
	if callID == nil {
		s.respond(tx, s.newResponse(req, sip.StatusBadRequest, "Bad Request (no Call-ID)"))
		return
	}
	id := callID.Value()
	c, ok := s.calls.get(id)
	if !ok {
		s.respond(tx, s.newResponse(req, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist"))
		return
	}
	if req.IsInvite() {
		s.respond(tx, s.newResponse(req, sip.StatusTrying, "Trying"))
	}
	fwd := req.Clone()
	s.prepareForward(fwd, c.peerOf(req.Source()))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clTx, err := s.client.TransactionRequest(ctx, fwd, sipgo.ClientRequestAddVia)
	if err != nil {
		s.log.Debug("forwarding in-dialog request", "method", req.Method, "call", id, "error", err)
		if req.Method == sip.BYE {
			s.calls.remove(id)
		}
		s.respond(tx, s.newResponse(req, sip.StatusTemporarilyUnavailable, "Temporarily Unavailable"))
		return
	}
	defer clTx.Terminate()
	final := s.relay(tx, clTx, req)
	if req.Method == sip.BYE {
		s.stats.byes.Add(1)
		// A BYE ends the dialog whatever the answer (RFC 3261 15.1.1).
		s.calls.remove(id)
		_ = final
	}
}
