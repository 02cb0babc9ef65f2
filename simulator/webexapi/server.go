package webexapi

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/cutover-dev/cutover/webex"
)

// Scopes of the calls the emulator serves (WEBEX-API.md).
const (
	ScopeDevicesRead          = "spark-admin:devices_read"
	ScopeDevicesWrite         = "spark-admin:devices_write"
	ScopeDevicesConfigRead    = "spark-admin:devices_config_read"
	ScopeTelephonyConfigRead  = "spark-admin:telephony_config_read"
	ScopeTelephonyConfigWrite = "spark-admin:telephony_config_write"
	ScopePeopleRead           = "spark-admin:people_read"
	ScopeWorkspacesRead       = "spark-admin:workspaces_read"
	ScopeLocationsRead        = "spark-admin:locations_read"
	ScopeApplicationsToken    = "spark:applications_token"
)

// AdminScopes is every scope the migration flow needs (what a Service App
// token carries).
func AdminScopes() []string {
	return []string{
		ScopeDevicesRead, ScopeDevicesWrite, ScopeDevicesConfigRead,
		ScopeTelephonyConfigRead, ScopeTelephonyConfigWrite,
		ScopePeopleRead, ScopeWorkspacesRead, ScopeLocationsRead,
	}
}

// ReadScopes are the read-only scopes of the flow: enough for `plan`
// (validateMacs, which needs telephony_config_write, is then forbidden and
// the planner looks MACs up with GET /devices instead).
func ReadScopes() []string {
	return []string{
		ScopeDevicesRead, ScopeDevicesConfigRead, ScopeTelephonyConfigRead,
		ScopePeopleRead, ScopeWorkspacesRead, ScopeLocationsRead,
	}
}

// PasswordRule is one of the SIP password rules Webex does not publish
// (WEBEX-API.md); the emulator's choices are switchable.
type PasswordRule string

// The configurable password rules; both are on by default.
const (
	// RuleNoSIPUserName refuses a password containing the device's SIP user name.
	RuleNoSIPUserName PasswordRule = "no-sip-user-name"
	// RuleNoExtension refuses a password containing the owner's extension.
	RuleNoExtension PasswordRule = "no-extension"
)

// RefreshPolicy says what POST /access_token does with a refresh token.
type RefreshPolicy int

// The refresh policies.
const (
	// RefreshKeep answers with the same refresh token (the default).
	RefreshKeep RefreshPolicy = iota
	// RefreshRotate answers with a new refresh token and revokes the old one.
	RefreshRotate
	// RefreshOmit leaves refresh_token out of the answer; the old one stays valid.
	RefreshOmit
)

// Default token lifetimes (WEBEX-API.md: about 14 and 90 days).
const (
	DefaultAccessTTL  = 14 * 24 * time.Hour
	DefaultRefreshTTL = 90 * 24 * time.Hour
)

type config struct {
	seed          *Seed
	now           func() time.Time
	faults        Faults
	log           *slog.Logger
	rules         []PasswordRule
	orgID         string
	refresh       RefreshPolicy
	accessTTL     time.Duration
	refreshTTL    time.Duration
	randSeed      uint64
	requestLogCap int
}

// Option configures New.
type Option func(*config)

// WithSeed sets the org the emulator starts with (default DefaultSeed()).
func WithSeed(s *Seed) Option { return func(c *config) { c.seed = s } }

// WithClock injects the clock used for token expiry, creation times, the
// rate limiter and the request log.
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// WithFaults sets the initial faults (SetFaults changes them at run time).
func WithFaults(f Faults) Option { return func(c *config) { c.faults = f } }

// WithLogger sets the logger; the default discards. The emulator logs one
// debug line per request and never a token or a password.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.log = l } }

// WithPasswordRules replaces the rules applied beyond the published policy
// (default: RuleNoSIPUserName and RuleNoExtension); no arguments turn them off.
func WithPasswordRules(rules ...PasswordRule) Option {
	return func(c *config) { c.rules = append([]PasswordRule{}, rules...) }
}

// WithOrgID sets the customer org's ID (default: the seed's orgId, else one
// derived from the org name). A partner token may pass it as orgId=.
func WithOrgID(id string) Option { return func(c *config) { c.orgID = id } }

// WithRefreshPolicy chooses whether refreshing rotates or omits the refresh token.
func WithRefreshPolicy(p RefreshPolicy) Option { return func(c *config) { c.refresh = p } }

// WithTokenLifetimes sets the lifetimes of issued access and refresh tokens.
func WithTokenLifetimes(access, refresh time.Duration) Option {
	return func(c *config) { c.accessTTL, c.refreshTTL = access, refresh }
}

// WithRandSeed seeds the random source behind generated IDs, SIP user names
// and fault draws (default 1), so that runs are repeatable.
func WithRandSeed(seed uint64) Option { return func(c *config) { c.randSeed = seed } }

// WithRequestLogLimit keeps the last n requests for Requests (default
// 200,000); the counts in Snapshot cover every request.
func WithRequestLogLimit(n int) Option { return func(c *config) { c.requestLogCap = n } }

// Server is the emulator; it is safe for concurrent use.
type Server struct {
	mux        *http.ServeMux
	log        *slog.Logger
	now        func() time.Time
	orgID      string
	orgName    string
	proxy      string
	rules      []PasswordRule
	refresh    RefreshPolicy
	accessTTL  time.Duration
	refreshTTL time.Duration

	mu    sync.Mutex // guards the org below
	org   *org
	rnd   *mrand.Rand
	hooks hooks

	authMu     sync.Mutex
	tokens     map[string]*accessToken
	refreshes  map[string]*refreshToken
	clients    map[string]*oauthClient
	apps       map[string]*serviceApp
	codes      map[string]*authCode
	adminToken string

	faultMu sync.Mutex
	faults  Faults
	limiter *rate.Limiter
	frnd    *mrand.Rand

	logMu    sync.Mutex
	reqs     []RequestLog // ring of the last reqCap
	reqNext  int
	reqCap   int
	reqTotal int
	byStatus map[int]int
	byRoute  map[string]int
	byFault  map[string]int
}

// hooks are test seams inside critical windows.
type hooks struct {
	// inCreate runs while a create holds its owner, before the device is stored.
	inCreate func(mac string)
	// inUpdate runs while a write holds its device, before it is applied.
	inUpdate func(deviceID string)
}

// New returns an emulator serving the seed (DefaultSeed when none is given).
// A seed that does not validate (see LoadSeed) makes New panic: seeds built
// in code are programming errors; files go through LoadSeed first.
func New(opts ...Option) *Server {
	c := config{
		now:           time.Now,
		log:           slog.New(slog.DiscardHandler),
		rules:         []PasswordRule{RuleNoSIPUserName, RuleNoExtension},
		accessTTL:     DefaultAccessTTL,
		refreshTTL:    DefaultRefreshTTL,
		randSeed:      1,
		requestLogCap: 200_000,
	}
	for _, o := range opts {
		o(&c)
	}
	if c.seed == nil {
		c.seed = DefaultSeed()
	}
	if err := c.seed.validate(); err != nil {
		panic(fmt.Sprintf("webexapi: invalid seed: %v", err))
	}
	if c.requestLogCap < 1 {
		c.requestLogCap = 1
	}
	s := &Server{
		log:        c.log,
		now:        c.now,
		rules:      c.rules,
		refresh:    c.refresh,
		accessTTL:  c.accessTTL,
		refreshTTL: c.refreshTTL,
		rnd:        mrand.New(mrand.NewPCG(c.randSeed, 0x9e3779b97f4a7c15)),
		frnd:       mrand.New(mrand.NewPCG(c.randSeed, 0x2545f4914f6cdd1d)),
		tokens:     map[string]*accessToken{},
		refreshes:  map[string]*refreshToken{},
		clients:    map[string]*oauthClient{},
		apps:       map[string]*serviceApp{},
		codes:      map[string]*authCode{},
		reqCap:     c.requestLogCap,
		byStatus:   map[int]int{},
		byRoute:    map[string]int{},
		byFault:    map[string]int{},
	}
	s.orgName = c.seed.OrgName
	if s.orgName == "" {
		s.orgName = "Acme Corp"
	}
	switch {
	case c.orgID != "":
		s.orgID = c.orgID
	case c.seed.OrgID != "":
		s.orgID = c.seed.OrgID
	default:
		s.orgID = EncodeID(typeOrganization, nameUUID(typeOrganization, s.orgName))
	}
	s.proxy = c.seed.OutboundProxy
	if s.proxy == "" {
		s.proxy = DefaultOutboundProxy
	}
	if err := s.load(c.seed); err != nil {
		panic(fmt.Sprintf("webexapi: invalid seed: %v", err))
	}
	s.SetFaults(c.faults)
	s.adminToken = s.IssueToken(append(AdminScopes(), ScopeApplicationsToken)...)
	s.routes()
	return s
}

// AdminToken returns a full-admin access token carrying every scope.
func (s *Server) AdminToken() string {
	s.authMu.Lock()
	defer s.authMu.Unlock()
	return s.adminToken
}

// SetAdminToken makes tok the full-admin token (for `--token T`); the
// previous admin token stops working.
func (s *Server) SetAdminToken(tok string) {
	s.authMu.Lock()
	defer s.authMu.Unlock()
	delete(s.tokens, s.adminToken)
	s.adminToken = tok
	now := s.now()
	s.tokens[tok] = &accessToken{scopes: scopeSet(append(AdminScopes(), ScopeApplicationsToken)), issued: now, expires: now.Add(s.accessTTL)}
}

// SetToken makes tok an access token carrying exactly scopes (for
// `--read-token T`: a read-only admin, as a planner's token may be).
func (s *Server) SetToken(tok string, scopes ...string) {
	s.authMu.Lock()
	defer s.authMu.Unlock()
	now := s.now()
	s.tokens[tok] = &accessToken{scopes: scopeSet(scopes), issued: now, expires: now.Add(s.accessTTL)}
}

// IssueToken returns a new access token for the org carrying exactly scopes.
func (s *Server) IssueToken(scopes ...string) string {
	s.authMu.Lock()
	defer s.authMu.Unlock()
	return s.issueLocked(scopeSet(scopes), "")
}

// SetFaults replaces the faults; it takes effect on the next request.
func (s *Server) SetFaults(f Faults) {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	s.faults = f
	s.limiter = nil
	if f.Rate > 0 {
		burst := f.Burst
		if burst <= 0 {
			burst = max(1, int(f.Rate+0.999999))
		}
		s.limiter = rate.NewLimiter(rate.Limit(f.Rate), burst)
		// A fresh bucket starts full at the injected clock's now.
		s.limiter.SetLimitAt(s.now(), rate.Limit(f.Rate))
	}
}

// Faults returns the faults in force.
func (s *Server) Faults() Faults {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	return s.faults
}

// OrgID returns the customer org's ID.
func (s *Server) OrgID() string { return s.orgID }

// recorder captures the status a handler wrote, for the request log.
type recorder struct {
	http.ResponseWriter
	status  int
	route   string
	fault   string
	dropped bool
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// drop closes the connection without an answer. Over HTTP/1 the connection is
// hijacked and closed; where hijacking is impossible (HTTP/2) the handler
// aborts, which resets the stream.
func (r *recorder) drop() {
	r.dropped = true
	if hj, ok := r.ResponseWriter.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

type ctxKey int

const latencyKey ctxKey = 1

// ServeHTTP serves the REST API under /v1/ and the admin view under /_emulator/.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/_emulator/") {
		s.serveAdmin(w, r)
		return
	}
	start := s.now()
	tid := r.Header.Get("TrackingID")
	if tid == "" {
		tid = "ROUTER_" + s.newUUID()
	}
	w.Header().Set("Trackingid", tid)
	rec := &recorder{ResponseWriter: w}
	logIt := func() {
		s.record(RequestLog{
			Time: start, Method: r.Method, Path: r.URL.Path, Route: rec.route,
			Status: rec.status, TrackingID: tid, Fault: rec.fault, Dropped: rec.dropped,
		})
	}

	d := s.draw(r.URL.Path)
	if d.drop {
		// Logged before the connection closes: once the client sees the
		// drop, the log already holds it (the client may ask at once).
		rec.fault, rec.dropped = "drop", true
		logIt()
		rec.drop()
		return
	}
	defer logIt()
	if d.latency > 0 {
		// The route sleeps: writes do it inside the window in which they
		// hold their owner or device (see handle and wait).
		r = r.WithContext(context.WithValue(r.Context(), latencyKey, d.latency))
	}
	if d.retryAfter > 0 {
		rec.fault = "rate"
		w.Header().Set("Retry-After", strconv.Itoa(d.retryAfter))
		s.fail(rec, http.StatusTooManyRequests, 0, "Too many requests; retry after %d seconds.", d.retryAfter)
		return
	}
	if d.status != 0 {
		rec.fault = "error"
		s.fail(rec, d.status, 0, "%s (injected fault).", http.StatusText(d.status))
		return
	}
	s.mux.ServeHTTP(rec, r)
}

// wait sleeps for the latency drawn for r; it reports false when the
// request was cancelled meanwhile.
func wait(r *http.Request) bool {
	if d, _ := r.Context().Value(latencyKey).(time.Duration); d > 0 {
		return sleep(r.Context(), d)
	}
	return true
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// decision is the faults drawn for one request.
type decision struct {
	drop       bool
	latency    time.Duration
	retryAfter int // seconds; > 0 means answer 429
	status     int // injected 5xx
}

// draw decides the faults of one request. Draws happen in request order from
// the seeded source, so a sequential test sees the same faults every run.
func (s *Server) draw(path string) decision {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	f := s.faults
	var d decision
	if f.DropRatio > 0 && s.frnd.Float64() < f.DropRatio {
		d.drop = true
		return d
	}
	if f.LatencyMax > 0 {
		d.latency = f.LatencyMin
		if span := f.LatencyMax - f.LatencyMin; span > 0 {
			d.latency += time.Duration(s.frnd.Int64N(int64(span) + 1))
		}
	}
	if s.limiter != nil {
		now := s.now()
		res := s.limiter.ReserveN(now, 1)
		if wait := res.DelayFrom(now); wait > 0 {
			res.CancelAt(now)
			d.retryAfter = int((wait + time.Second - 1) / time.Second)
			return d
		}
	}
	if f.ErrorRatio > 0 && s.frnd.Float64() < f.ErrorRatio {
		d.status = []int{http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable}[s.frnd.IntN(3)]
	}
	return d
}

// commitFault reports whether a stored create or update must be answered
// with a failure instead, and answers it (502 or a dropped connection).
func (s *Server) commitFault(w http.ResponseWriter) bool {
	s.faultMu.Lock()
	hit := s.faults.CommitThenFail > 0 && s.frnd.Float64() < s.faults.CommitThenFail
	reset := hit && s.frnd.IntN(2) == 0
	s.faultMu.Unlock()
	if !hit {
		return false
	}
	rec, _ := w.(*recorder)
	if rec != nil {
		rec.fault = "commit-then-fail"
	}
	if reset && rec != nil {
		rec.drop()
		return true
	}
	s.fail(w, http.StatusBadGateway, 0, "Bad gateway (injected fault after commit).")
	return true
}

// emptyCreate reports whether a stored create must be answered 200 with an
// empty body, and answers it.
func (s *Server) emptyCreate(w http.ResponseWriter) bool {
	s.faultMu.Lock()
	hit := s.faults.CreateEmptyBody > 0 && s.frnd.Float64() < s.faults.CreateEmptyBody
	s.faultMu.Unlock()
	if !hit {
		return false
	}
	if rec, ok := w.(*recorder); ok {
		rec.fault = "create-empty-body"
	}
	w.WriteHeader(http.StatusOK)
	return true
}

// fail writes a Webex error body.
func (s *Server) fail(w http.ResponseWriter, status, code int, format string, a ...any) {
	msg := fmt.Sprintf(format, a...)
	writeJSON(w, status, webex.ErrorBody{
		Message:    msg,
		Errors:     []webex.ErrorItem{{Description: msg, ErrorCode: code}},
		TrackingID: w.Header().Get("Trackingid"),
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// decodeJSON reads a JSON request body into v, refusing trailing data.
func decodeJSON(r *http.Request, v any) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("reading body: %w", err)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("decoding body: %w", err)
	}
	return nil
}

// decodeBody decodes the JSON request body into v. On bad input it answers
// 400 itself and returns false.
func (s *Server) decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := decodeJSON(r, v); err != nil {
		s.fail(w, http.StatusBadRequest, 0, "Invalid request body: %v.", err)
		return false
	}
	return true
}

// newUUID draws a random UUID from the crypto source: tracking IDs need not
// be repeatable and must not consume the seeded draws.
func (s *Server) newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return formatUUID(b)
}

// seededUUID draws a UUID from the seeded source; callers hold s.mu.
func (s *Server) seededUUID() string {
	var b [16]byte
	for i := 0; i < 16; i += 8 {
		v := s.rnd.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return formatUUID(b)
}
