package webex

import (
	"log/slog"
	"net/http"
	"time"

	"golang.org/x/time/rate"
)

// Option configures a Client.
type Option func(*config)

type config struct {
	httpClient     *http.Client
	orgID          string
	logger         *slog.Logger
	rate           rate.Limit
	burst          int
	maxElapsed     time.Duration
	initialBackoff time.Duration
	maxBackoff     time.Duration
	attemptTimeout time.Duration
	userAgent      string
	pageSize       int
	// directoryPageSize is the max of /people listings without calling
	// data, which Webex caps at 1,000.
	directoryPageSize int
}

// Defaults. No numeric rate limit is published for the Calling admin APIs:
// the client starts at DefaultRate and adapts to 429s.
const (
	DefaultRate = rate.Limit(10)
	// DefaultBurst paces requests evenly from the first one. A server that
	// limits near our rate absorbs requests bunched up in transit (new
	// connections, scheduling) only with slack in its own bucket, and a
	// client burst spends that slack: at the server's own rate a burst of
	// 10 drew a 429, and its full Retry-After, within the first 250 ms of a
	// plan. A bulk client gains nothing from a burst; its rate is the same.
	DefaultBurst          = 1
	DefaultMaxElapsed     = 2 * time.Minute
	DefaultInitialBackoff = 500 * time.Millisecond
	DefaultMaxBackoff     = 30 * time.Second
	DefaultAttemptTimeout = 60 * time.Second
	DefaultUserAgent      = "cutover-webex/1"
	// DefaultPageSize is the max sent on list calls: /people caps it at 100
	// with callingData=true.
	DefaultPageSize = 100
)

func defaultConfig() config {
	return config{
		rate:              DefaultRate,
		burst:             DefaultBurst,
		maxElapsed:        DefaultMaxElapsed,
		initialBackoff:    DefaultInitialBackoff,
		maxBackoff:        DefaultMaxBackoff,
		attemptTimeout:    DefaultAttemptTimeout,
		userAgent:         DefaultUserAgent,
		pageSize:          DefaultPageSize,
		directoryPageSize: 1000,
	}
}

// WithHTTPClient sends requests through hc; its Transport (or
// http.DefaultTransport) is wrapped by the client's retrying transport. A
// Timeout on hc bounds a call including its retries; prefer
// WithAttemptTimeout.
func WithHTTPClient(hc *http.Client) Option { return func(c *config) { c.httpClient = hc } }

// WithOrgID adds orgId=id to every call: a partner acting on a customer org.
func WithOrgID(id string) Option { return func(c *config) { c.orgID = id } }

// WithLogger sets the logger; the client logs at Debug only and discards by default.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// WithRate sets the maximum request rate shared by every caller of the client
// and its burst (default 1: even pacing; see DefaultBurst). The limit drops
// by 10% on a 429 (once per burst of 429s: only requests paced by the
// current limit count; never below 1/s) and climbs back towards r on
// successes, by r/20 every 250 ms. The request
// that got the 429 waits Retry-After. rate.Inf disables limiting and
// adaptation.
func WithRate(r rate.Limit, burst int) Option {
	return func(c *config) {
		if r > 0 {
			c.rate = r
		}
		if burst > 0 {
			c.burst = burst
		}
	}
}

// WithMaxElapsed bounds the time one call spends retrying (default 2 min).
func WithMaxElapsed(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.maxElapsed = d
		}
	}
}

// WithBackoff sets the first and the largest wait of the exponential backoff
// (with ±50% jitter) used when no Retry-After is given.
func WithBackoff(initial, max time.Duration) Option {
	return func(c *config) {
		if initial > 0 {
			c.initialBackoff = initial
		}
		if max >= initial && max > 0 {
			c.maxBackoff = max
		}
	}
}

// WithAttemptTimeout bounds one HTTP attempt (default 60 s); a timed-out
// attempt is retried like a dropped connection.
func WithAttemptTimeout(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.attemptTimeout = d
		}
	}
}

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option {
	return func(c *config) {
		if ua != "" {
			c.userAgent = ua
		}
	}
}

// WithPageSize sets the max parameter of list calls (1 to 100), the
// people directory's (see ListDirectoryPages) included.
func WithPageSize(n int) Option {
	return func(c *config) {
		if n > 0 && n <= DefaultPageSize {
			c.pageSize = n
			c.directoryPageSize = n
		}
	}
}
