package webexapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
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

// Reporter posts registrations to an emulator's POST
// /_emulator/registrations: how an SBC emulator in another process (`cutover
// emulate sbc --webex-status`) feeds connectionStatus, as the in-process
// demo does through ObserveRegistration.
type Reporter struct {
	url   string
	token string
	hc    *http.Client
}

// NewReporter returns a Reporter for the emulator whose API base is base
// (e.g. http://127.0.0.1:8443/v1; the admin view sits beside /v1), with its
// admin token. hc nil uses a client with a 5 s timeout.
func NewReporter(base, token string, hc *http.Client) (*Reporter, error) {
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("webex emulator URL %q: expected http(s)://host[:port]/v1", base)
	}
	u.Path = strings.TrimSuffix(strings.TrimSuffix(u.Path, "/"), "/v1") + "/_emulator/registrations"
	u.RawQuery = ""
	if hc == nil {
		hc = &http.Client{Timeout: 5 * time.Second}
	}
	return &Reporter{url: u.String(), token: token, hc: hc}, nil
}

// Report posts one registration; an answer other than 204 is an error
// carrying the emulator's status and message (never the token).
func (p *Reporter) Report(ctx context.Context, r Registration) error {
	body, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("reporting registration of %s: %w", r.User, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("reporting registration of %s: %w", r.User, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+p.token)
	resp, err := p.hc.Do(req)
	if err != nil {
		return fmt.Errorf("reporting registration of %s: POST %s: %w", r.User, p.url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNoContent {
		return nil
	}
	var eb webex.ErrorBody
	_ = json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&eb)
	return fmt.Errorf("reporting registration of %s: POST %s: %d %s", r.User, p.url, resp.StatusCode, eb.Message)
}
