package sbc

import (
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
)

func (s *SBC) onRegister(req *sip.Request, tx sip.ServerTransaction) {
	s.stats.registers.Add(1)
	f := s.fault.Load()
	if !s.delay(f) {
		return
	}
	if f.Register503 {
		s.stats.rejected503.Add(1)
		ra := f.RetryAfter
		if ra <= 0 {
			ra = DefaultRetryAfter
		}
		res := s.newResponse(req, sip.StatusServiceUnavailable, "Service Unavailable")
		res.AppendHeader(sip.NewHeader("Retry-After", secondsHeader(ra)))
		s.respond(tx, res)
		return
	}
	now := s.now()
	authUser, ok := s.authenticate(req, tx, now, s.registerProxy)
	if !ok {
		return
	}
	to := req.To()
	if to == nil || to.Address.User == "" {
		s.respond(tx, s.newResponse(req, sip.StatusBadRequest, "Bad Request (To without user)"))
		return
	}
	changes, wildcard, ok := s.contactChanges(req)
	if !ok {
		s.respond(tx, s.newResponse(req, sip.StatusBadRequest, "Bad Request (Contact or Expires)"))
		return
	}
	b := Binding{
		User:      to.Address.User,
		AuthUser:  authUser,
		AOR:       to.Address.String(),
		Source:    req.Source(),
		Transport: req.Transport(),
	}
	if h := req.GetHeader("User-Agent"); h != nil {
		b.UserAgent = h.Value()
	}
	if h := req.CallID(); h != nil {
		b.CallID = h.Value()
	}
	if h := req.CSeq(); h != nil {
		b.CSeq = h.SeqNo
	}
	live, err := s.reg.register(now, b.User, changes, wildcard, b)
	if err != nil {
		s.respond(tx, s.newResponse(req, sip.StatusBadRequest, "Invalid CSeq number"))
		return
	}
	for _, ch := range changes {
		if ch.expires > 0 {
			s.stats.registrations.Add(1)
		} else {
			s.stats.unregistrations.Add(1)
		}
	}
	if wildcard {
		s.stats.unregistrations.Add(1)
	}
	if s.onBinding != nil {
		for _, ch := range changes {
			ev := BindingChange{Registrar: s.Addr(), AuthUser: authUser, AOR: b.AOR, Contact: ch.contact}
			if ch.expires > 0 {
				ev.Expires = now.Add(ch.expires)
			}
			s.onBinding(ev)
		}
		if wildcard {
			s.onBinding(BindingChange{Registrar: s.Addr(), AuthUser: authUser, AOR: b.AOR, Contact: "*"})
		}
	}
	res := s.newResponse(req, sip.StatusOK, "OK")
	for _, lb := range live {
		var u sip.Uri
		if err := sip.ParseUri(lb.Contact, &u); err != nil {
			continue
		}
		c := &sip.ContactHeader{Address: u, Params: sip.NewParams()}
		c.Params.Add("expires", strconv.Itoa(int(lb.Expires.Sub(now).Round(time.Second)/time.Second)))
		res.AppendHeader(c)
	}
	res.AppendHeader(sip.NewHeader("Date", now.UTC().Format(time.RFC1123)))
	s.respond(tx, res)
}

// contactChanges reads the Contact headers and expiry of a REGISTER. A
// Contact without REGISTER is a query (no changes). ok is false for a
// malformed request: "*" with a non-zero expiry or with other contacts, or
// an unparsable expiry.
func (s *SBC) contactChanges(req *sip.Request) (changes []contactChange, wildcard, ok bool) {
	headerExp := time.Duration(-1)
	if h := req.GetHeader("Expires"); h != nil {
		n, err := strconv.ParseUint(strings.TrimSpace(h.Value()), 10, 32)
		if err != nil {
			return nil, false, false
		}
		headerExp = time.Duration(n) * time.Second
	}
	for _, h := range req.GetHeaders("Contact") {
		c, isContact := h.(*sip.ContactHeader)
		if !isContact {
			return nil, false, false
		}
		if c.Address.Wildcard {
			wildcard = true
			continue
		}
		exp := headerExp
		if v, has := c.Params.Get("expires"); has {
			n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 32)
			if err != nil {
				return nil, false, false
			}
			exp = time.Duration(n) * time.Second
		}
		changes = append(changes, contactChange{contact: c.Address.String(), expires: s.clampExpires(exp)})
	}
	if wildcard && (len(changes) > 0 || headerExp != 0) {
		return nil, false, false
	}
	return changes, wildcard, true
}

// clampExpires applies the default, minimum and maximum; 0 stays 0
// (unregister). Raising a short interval to the minimum rather than
// answering 423 follows Kamailio's registrar default.
func (s *SBC) clampExpires(d time.Duration) time.Duration {
	switch {
	case d < 0:
		return s.defExp
	case d == 0:
		return 0
	case d < s.minExp:
		return s.minExp
	case d > s.maxExp:
		return s.maxExp
	}
	return d
}

// authenticate checks req's digest credentials and answers the request
// itself (challenge, 400 or rejection) unless they are valid. proxy selects
// 407/Proxy-Authorization over 401/Authorization.
func (s *SBC) authenticate(req *sip.Request, tx sip.ServerTransaction, now time.Time, proxy bool) (user string, ok bool) {
	hdrName, chalName, chalCode, chalReason := "Authorization", "WWW-Authenticate", sip.StatusUnauthorized, "Unauthorized"
	if proxy {
		hdrName, chalName, chalCode, chalReason = "Proxy-Authorization", "Proxy-Authenticate", sip.StatusProxyAuthRequired, "Proxy Authentication Required"
	}
	sendChallenge := func(stale bool) {
		s.stats.challenges.Add(1)
		res := s.newResponse(req, chalCode, chalReason)
		res.AppendHeader(sip.NewHeader(chalName, challenge(s.realm, s.nonces.issue(now, s.realm), s.opaque, stale)))
		s.respond(tx, res)
	}
	// A request may carry credentials for several realms; use ours.
	var cred *credentials
	for _, h := range req.GetHeaders(hdrName) {
		c, err := parseCredentials(h.Value())
		if err != nil {
			s.stats.authFailures.Add(1)
			s.respond(tx, s.newResponse(req, sip.StatusBadRequest, "Bad Request (malformed "+hdrName+")"))
			return "", false
		}
		if c.Realm == s.realm {
			cred = c
			break
		}
	}
	if cred == nil {
		sendChallenge(false)
		return "", false
	}
	switch s.verify(cred, req.Method.String(), now) {
	case authOK:
		return cred.Username, true
	case authStale:
		sendChallenge(true)
	case authChallenge:
		sendChallenge(false)
	case authMalformed:
		s.stats.authFailures.Add(1)
		s.respond(tx, s.newResponse(req, sip.StatusBadRequest, "Bad Request (unsupported digest algorithm or qop)"))
	case authWrongCreds:
		s.stats.authFailures.Add(1)
		s.log.Debug("digest authentication rejected", "user", cred.Username, "source", req.Source())
		if s.rejectStatus == sip.StatusUnauthorized {
			sendChallenge(false)
		} else {
			s.respond(tx, s.newResponse(req, sip.StatusForbidden, "Forbidden"))
		}
	}
	return "", false
}

// Bindings returns every live binding, sorted by user then contact.
func (s *SBC) Bindings() []Binding { return s.reg.snapshot(s.now()) }

// Lookup returns user's live bindings, most recently refreshed first.
func (s *SBC) Lookup(user string) []Binding { return s.reg.lookup(s.now(), user) }

// LastUserAgent returns the User-Agent of user's last authenticated
// REGISTER, kept after the binding expires or is removed.
func (s *SBC) LastUserAgent(user string) (string, bool) { return s.reg.lastUserAgent(user) }
