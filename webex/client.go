package webex

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"
)

// Client calls the Webex REST API. It is safe for concurrent use; create one
// per credential and share it between workers so that they share its rate
// limiter.
type Client struct {
	base   *url.URL
	hc     *http.Client
	tr     *transport
	ts     *cachedSource
	cfg    config
	log    *slog.Logger
	owners ownerLocks
	stats  counters
}

// counters back Stats.
type counters struct {
	requests, retries, rateLimited, refreshes, recovered atomic.Int64
	// answered says the server sent at least one HTTP answer.
	answered atomic.Bool
}

// Stats are a client's counters since New.
type Stats struct {
	Requests    int64   // HTTP attempts sent, retries and replays included
	Retries     int64   // attempts repeated after a 429, 423, 5xx or network failure
	RateLimited int64   // 429 answers
	Refreshes   int64   // tokens invalidated after a 401
	Recovered   int64   // creates whose unknown outcome a MAC lookup proved landed
	Rate        float64 // current request rate limit (req/s); +Inf when unlimited
}

// Stats returns the client's counters.
func (c *Client) Stats() Stats {
	return Stats{
		Requests:    c.stats.requests.Load(),
		Retries:     c.stats.retries.Load(),
		RateLimited: c.stats.rateLimited.Load(),
		Refreshes:   c.stats.refreshes.Load(),
		Recovered:   c.stats.recovered.Load(),
		Rate:        float64(c.tr.lim.limit()),
	}
}

// New returns a client for the API at baseURL (e.g. https://webexapis.com/v1)
// authorised by ts. The token source is wrapped so that a 401 can force one
// refresh.
func New(baseURL string, ts oauth2.TokenSource, opts ...Option) (*Client, error) {
	if ts == nil {
		return nil, errors.New("creating Webex client: no token source")
	}
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its text repeats the URL
		}
		return nil, fmt.Errorf("creating Webex client: parsing base URL: %w", err)
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("creating Webex client: base URL %s://%s%s: expected http(s)://host[/path]", u.Scheme, u.Host, u.EscapedPath())
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("creating Webex client: base URL %s://%s%s: credentials, query or fragment not allowed", u.Scheme, u.Host, u.EscapedPath())
	}
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	log := cfg.logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cs, ok := ts.(*cachedSource)
	if !ok {
		hint := hintGeneric
		if h, ok := ts.(hinter); ok {
			hint = h.renewHint()
		}
		cs = &cachedSource{fetch: ts.Token, hint: hint}
	}
	c := &Client{base: u, ts: cs, cfg: cfg, log: log}
	var hc http.Client
	base := http.RoundTripper(nil)
	if cfg.httpClient != nil {
		hc = *cfg.httpClient
		base = hc.Transport
	}
	if base == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		// Workers share one host: keep their connections alive.
		t.MaxIdleConnsPerHost = 64
		base = t
	}
	c.tr = newTransport(base, c, cfg)
	hc.Transport = c.tr
	// The API never redirects; following one could carry the token elsewhere.
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c.hc = &hc
	return c, nil
}

// trackingPrefix makes TrackingID headers of one client recognisable in
// Webex's logs: CUTOVER_<uuid>_<n>.
func trackingPrefix() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return "CUTOVER_" + h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:] + "_"
}

// request describes one API call.
type request struct {
	method string
	path   string     // escaped, relative to the base URL: "/devices/Y2lz..."
	query  url.Values // orgId is added
	next   string     // absolute URL of a next page, used as given
	body   any        // JSON-encoded when non-nil
	out    any        // JSON-decoded from a 200 answer when non-nil
	// emptyOK accepts a 200 answer without a body (out stays zero).
	emptyOK bool
	// secrets sent in the body, masked in any error text.
	secrets []string
	// unsafe marks a non-idempotent call that the transport must not replay
	// after an unknown outcome.
	unsafe bool
}

// do sends r and returns the response headers; a non-2xx answer becomes an
// *APIError, and every error reads "METHOD /path: ...".
func (c *Client) do(ctx context.Context, r request) (http.Header, error) {
	u, display := c.url(r)
	var body io.Reader
	if r.body != nil {
		data, err := json.Marshal(r.body)
		if err != nil {
			return nil, fmt.Errorf("%s %s: encoding request: %w", r.method, display, err)
		}
		body = bytes.NewReader(data)
	}
	if r.unsafe {
		ctx = context.WithValue(ctx, unsafeKey{}, true)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u, body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", r.method, display, err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its text holds the full URL with the query
		}
		return nil, fmt.Errorf("%s %s: %w", r.method, display, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		secrets := append([]string{resp.Request.Header.Get("Authorization")}, r.secrets...)
		ae := newAPIError(r.method, display, resp, data, secrets)
		if resp.StatusCode == http.StatusUnauthorized {
			ae.Hint = c.ts.renewHint()
		}
		return nil, ae
	}
	if r.out != nil && resp.StatusCode != http.StatusNoContent {
		if err := json.NewDecoder(resp.Body).Decode(r.out); err != nil && !(r.emptyOK && errors.Is(err, io.EOF)) {
			return nil, fmt.Errorf("%s %s: decoding response: %w", r.method, display, err)
		}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return resp.Header, nil
}

// url builds the request URL and the path shown in errors and logs (no query).
func (c *Client) url(r request) (full, display string) {
	if r.next != "" {
		return r.next, c.displayPath(r.next)
	}
	q := url.Values{}
	for k, v := range r.query {
		q[k] = v
	}
	if c.cfg.orgID != "" {
		q.Set("orgId", c.cfg.orgID)
	}
	full = c.base.String() + r.path
	if len(q) > 0 {
		full += "?" + q.Encode()
	}
	return full, r.path
}

// displayPath is the path of an absolute URL relative to the base URL.
func (c *Client) displayPath(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	p := u.EscapedPath()
	if bp := c.base.EscapedPath(); bp != "" && strings.HasPrefix(p, bp) {
		p = p[len(bp):]
	}
	return p
}

// newAPIError builds the error of a non-2xx answer; texts are masked with secrets.
func newAPIError(method, path string, resp *http.Response, data []byte, secrets []string) *APIError {
	ae := &APIError{StatusCode: resp.StatusCode, Method: method, Path: path}
	for i, s := range secrets {
		secrets[i] = strings.TrimPrefix(s, "Bearer ")
	}
	var eb ErrorBody
	if json.Unmarshal(data, &eb) == nil {
		ae.Message = mask(eb.Message, secrets)
		for _, it := range eb.Errors {
			ae.Descriptions = append(ae.Descriptions, mask(it.Description, secrets))
			if it.ErrorCode != 0 {
				ae.ErrorCodes = append(ae.ErrorCodes, it.ErrorCode)
			}
		}
		ae.TrackingID = eb.TrackingID
	} else if s := strings.TrimSpace(string(data)); s != "" && !strings.HasPrefix(s, "<") {
		if len(s) > 200 {
			s = s[:200] + "..."
		}
		ae.Message = mask(s, secrets)
	}
	if t := resp.Header.Get("Trackingid"); t != "" {
		ae.TrackingID = t
	}
	return ae
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
