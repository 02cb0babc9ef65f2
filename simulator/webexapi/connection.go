package webexapi

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cutover-dev/cutover/webex"
)

// Registration is what a registrar (an emulated SBC of the same lab) tells
// the emulator about one binding of a device: the device authenticated as
// User (its SIP user name, the digest user) and bound Contact for AOR until
// Expires. A zero or past Expires says the binding is gone (unregistered,
// expired early, or the SBC went down).
type Registration struct {
	Registrar string    `json:"registrar"` // which SBC, e.g. its address
	User      string    `json:"user"`      // the digest user name: T1's sipUserName
	AOR       string    `json:"aor"`
	Contact   string    `json:"contact"`
	Expires   time.Time `json:"expires,omitzero"`
}

// connection is what the emulator knows of a device's link to Webex.
//
// Webex's own status comes from the device's registration to Webex's SBCs;
// the emulator models that with the registrations its lab's SBCs report:
// connected while at least one binding is live, disconnected otherwise. The
// published spec does not say what a device that never registered shows; the
// emulator says disconnected with no firstSeen (the spec's firstSeen is "the
// first time device sent a status post"), which is also how the reports and
// `cutover watch` tell "never seen" from "went offline".
type connection struct {
	bindings  map[string]time.Time // registrar|aor|contact -> expiry
	firstSeen time.Time
	lastSeen  time.Time
	forced    string // a documented status forced by SetConnectionStatus
}

func bindingKey(r Registration) string { return r.Registrar + "|" + r.AOR + "|" + r.Contact }

// status returns the device's connectionStatus at now.
func (c *connection) status(now time.Time) string {
	if c.forced != "" {
		return c.forced
	}
	for _, exp := range c.bindings {
		if exp.After(now) {
			return webex.StatusConnected
		}
	}
	return webex.StatusDisconnected
}

// ObserveRegistration applies one registrar report. A report for a user no
// device has (a wrong or unknown digest user never gets this far on an
// emulated SBC, but a lab may register other users) is ignored and reported
// false. A wildcard Contact "*" removes every binding of the AOR at that
// registrar.
func (s *Server) ObserveRegistration(r Registration) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.org.bySIPUser[r.User]
	if d == nil {
		return false
	}
	c := &d.conn
	now := s.now()
	if r.Contact == "*" {
		prefix := r.Registrar + "|" + r.AOR + "|"
		for k := range c.bindings {
			if strings.HasPrefix(k, prefix) {
				delete(c.bindings, k)
			}
		}
		return true
	}
	if !r.Expires.After(now) {
		delete(c.bindings, bindingKey(r))
		return true
	}
	if c.bindings == nil {
		c.bindings = make(map[string]time.Time, 1)
	}
	c.bindings[bindingKey(r)] = r.Expires
	if c.firstSeen.IsZero() {
		c.firstSeen = now
	}
	c.lastSeen = now
	return true
}

// RegistrarDown forgets every binding registrar reported, as when that SBC
// stops: its devices are disconnected unless registered elsewhere.
func (s *Server) RegistrarDown(registrar string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	prefix := registrar + "|"
	for _, d := range s.org.order {
		for k := range d.conn.bindings {
			if strings.HasPrefix(k, prefix) {
				delete(d.conn.bindings, k)
			}
		}
	}
}

// SetConnectionStatus forces the connectionStatus of the device found by
// key (its id, callingDeviceId, MAC or SIP user name) to one of the
// documented states (webex.ConnectionStatuses), whatever its registrations
// say; "" lifts the force. It is the fault switch for the states a lab
// cannot produce by registering (activating, connected_with_issues,
// offline_expired, offline_deep_sleep, unknown).
func (s *Server) SetConnectionStatus(key, status string) error {
	if status != "" && !slices.Contains(webex.ConnectionStatuses, status) {
		return fmt.Errorf("setting connection status %q: expected one of %s", status, strings.Join(webex.ConnectionStatuses, ", "))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.findDevice(key)
	if d == nil {
		return fmt.Errorf("setting connection status of %q: no such device", key)
	}
	d.conn.forced = status
	return nil
}

// ConnectionStatus returns the connectionStatus GET /devices would show for
// the device found by key; ok is false when there is none.
func (s *Server) ConnectionStatus(key string) (status string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.findDevice(key)
	if d == nil {
		return "", false
	}
	return d.conn.status(s.now()), true
}
