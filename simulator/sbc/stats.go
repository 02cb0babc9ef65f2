package sbc

import "sync/atomic"

// Stats are the SBC's counters since New.
type Stats struct {
	Connections       int64 `json:"connections"`       // TLS connections open now
	Handshakes        int64 `json:"handshakes"`        // TLS handshakes completed
	HandshakeFailures int64 `json:"handshakeFailures"` // TLS handshakes refused or timed out
	Registers         int64 `json:"registers"`         // REGISTER requests received
	Registrations     int64 `json:"registrations"`     // contacts bound or refreshed
	Unregistrations   int64 `json:"unregistrations"`   // contacts removed (expiry 0 or "*")
	Challenges        int64 `json:"challenges"`        // 401/407 challenges sent
	AuthFailures      int64 `json:"authFailures"`      // wrong user/password or malformed credentials
	Rejected503       int64 `json:"rejected503"`       // REGISTERs answered 503 by the fault
	Options           int64 `json:"options"`           // OPTIONS answered
	Invites           int64 `json:"invites"`           // initial INVITEs received
	CallsAnswered     int64 `json:"callsAnswered"`     // 2xx relayed to an initial INVITE
	Byes              int64 `json:"byes"`              // BYE requests relayed
}

type counters struct {
	connections, handshakes, handshakeFailures                          atomic.Int64
	registers, registrations, unregistrations, challenges, authFailures atomic.Int64
	rejected503, options, invites, callsAnswered, byes                  atomic.Int64
}

// Stats returns a snapshot of the counters.
func (s *SBC) Stats() Stats {
	c := &s.stats
	return Stats{
		Connections:       c.connections.Load(),
		Handshakes:        c.handshakes.Load(),
		HandshakeFailures: c.handshakeFailures.Load(),
		Registers:         c.registers.Load(),
		Registrations:     c.registrations.Load(),
		Unregistrations:   c.unregistrations.Load(),
		Challenges:        c.challenges.Load(),
		AuthFailures:      c.authFailures.Load(),
		Rejected503:       c.rejected503.Load(),
		Options:           c.options.Load(),
		Invites:           c.invites.Load(),
		CallsAnswered:     c.callsAnswered.Load(),
		Byes:              c.byes.Load(),
	}
}
