package webex

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/cenkalti/backoff/v5"
	"golang.org/x/time/rate"
)

// unsafeKey marks, in a request's context, a non-idempotent call (POST
// /devices): the transport retries it only when the server certainly did not
// act on it (429, 423, a refused dial, a 401 replay).
type unsafeKey struct{}

// transport is the one place that retries. For every attempt it waits on the
// shared limiter, sets the token, TrackingID and User-Agent, and sends; it
// retries 429 and 423 after Retry-After, 500/502/503/504 and network
// failures after an exponential backoff with jitter, all under maxElapsed
// counted from the first attempt; a 401 invalidates the token and replays
// once. It returns the last answer when the budget runs out, so that callers
// see the real status.
type transport struct {
	base    http.RoundTripper
	c       *Client
	lim     *adaptiveLimiter
	cfg     config
	host    string
	prefix  string
	seq     atomic.Uint64
	backoff func() *backoff.ExponentialBackOff
}

var _ http.RoundTripper = (*transport)(nil)

func newTransport(base http.RoundTripper, c *Client, cfg config) *transport {
	return &transport{
		base:   base,
		c:      c,
		lim:    newAdaptiveLimiter(cfg.rate, cfg.burst),
		cfg:    cfg,
		host:   c.base.Host,
		prefix: trackingPrefix(),
		backoff: func() *backoff.ExponentialBackOff {
			b := backoff.NewExponentialBackOff()
			b.InitialInterval = cfg.initialBackoff
			b.MaxInterval = cfg.maxBackoff
			b.Multiplier = 2
			b.Reset()
			return b
		},
	}
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	unsafe, _ := ctx.Value(unsafeKey{}).(bool)
	log := t.c.log
	debug := log.Enabled(ctx, slog.LevelDebug)
	tracking := req.Header.Get("TrackingID")
	if tracking == "" {
		tracking = t.prefix + strconv.FormatUint(t.seq.Add(1), 10)
	}
	path := t.c.displayPath(req.URL.String())
	replayable := req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
	bo := t.backoff()
	var (
		start     time.Time
		refreshed bool // a 401 already forced a refresh, with no other answer since
	)
	for attempt := 1; ; attempt++ {
		// The limit in force when the attempt queues is the one that paces
		// it (a reservation keeps its slot when the limit changes).
		paced := time.Now()
		if err := t.lim.wait(ctx); err != nil {
			return nil, err
		}
		if start.IsZero() {
			start = time.Now()
		}
		r, token, err := t.prepare(ctx, req, tracking, attempt)
		var (
			resp   *http.Response
			wait   time.Duration
			reason string
		)
		if err != nil {
			var ce *CredentialError
			if !errors.As(err, &ce) || ce.rejected() {
				return nil, err
			}
			if !t.c.stats.answered.Load() && unreachable(err) {
				return nil, &UnreachableError{URL: t.c.base.Redacted(), Err: err}
			}
			// The token endpoint is unreachable or failing: back off.
			reason, wait = "token endpoint: "+err.Error(), bo.NextBackOff()
		} else {
			actx, cancel := context.WithTimeout(ctx, t.cfg.attemptTimeout)
			resp, err = t.base.RoundTrip(r.WithContext(actx))
			t.c.stats.requests.Add(1)
			if err != nil {
				cancel()
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				if debug {
					log.DebugContext(ctx, "webex request", "method", req.Method, "path", path, "tracking", tracking, "attempt", attempt, "error", err.Error())
				}
				// cancel has run: only a deadline says the attempt timed
				// out (any other error would otherwise read as a timeout).
				if errors.Is(actx.Err(), context.DeadlineExceeded) {
					err = errAttemptTimeout
				}
				// A host that refuses connections or does not resolve before
				// it ever answered is a wrong URL or a server not started,
				// not a blip: waiting out the retry budget would only delay
				// saying so.
				if !t.c.stats.answered.Load() && unreachable(err) {
					return nil, &UnreachableError{URL: t.c.base.Redacted(), Err: err}
				}
				if unsafe && !notSent(err) {
					return nil, err // the caller resolves the unknown outcome
				}
				reason, wait = err.Error(), bo.NextBackOff()
			} else {
				t.c.stats.answered.Store(true)
				resp.Body = &cancelBody{ReadCloser: resp.Body, cancel: cancel}
				if debug {
					log.DebugContext(ctx, "webex request", "method", req.Method, "path", path, "status", resp.StatusCode,
						"tracking", tracking, "response_tracking", resp.Header.Get("Trackingid"), "attempt", attempt)
				}
				switch code := resp.StatusCode; {
				case code == http.StatusUnauthorized && !refreshed && replayable:
					refreshed = true
					t.c.ts.invalidate(token)
					t.c.stats.refreshes.Add(1)
					discard(resp)
					log.DebugContext(ctx, "webex token refused; refreshing once", "method", req.Method, "path", path, "tracking", tracking)
					continue
				case code == http.StatusTooManyRequests || code == http.StatusLocked:
					if code == http.StatusTooManyRequests {
						t.c.stats.rateLimited.Add(1)
						t.lim.slowDown(paced)
					}
					wait = bo.NextBackOff()
					if ra, ok := retryAfter(resp.Header, time.Now()); ok {
						wait = ra
					}
					reason = resp.Status
				case code == 500 || code == 502 || code == 503 || code == 504:
					if unsafe {
						return resp, nil
					}
					reason, wait = resp.Status, bo.NextBackOff()
				default:
					if code < 500 {
						t.lim.speedUp()
					}
					return resp, nil
				}
				refreshed = false
			}
		}
		if !replayable || time.Since(start)+wait > t.cfg.maxElapsed {
			if resp != nil {
				return resp, nil // the caller reports the real status
			}
			if err == nil {
				err = errors.New(reason)
			}
			return nil, err
		}
		if resp != nil {
			discard(resp)
		}
		t.c.stats.retries.Add(1)
		log.DebugContext(ctx, "webex retry", "method", req.Method, "path", path, "tracking", tracking,
			"attempt", attempt, "wait", wait, "reason", reason)
		if err := sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

var errAttemptTimeout = errors.New("attempt timed out")

// prepare clones req for one attempt with a fresh body, the token and the
// headers; it returns the access token it used.
func (t *transport) prepare(ctx context.Context, req *http.Request, tracking string, attempt int) (*http.Request, string, error) {
	r := req.Clone(ctx)
	if req.GetBody != nil {
		b, err := req.GetBody()
		if err != nil {
			return nil, "", err
		}
		r.Body = b
	} else if attempt > 1 && req.Body != nil && req.Body != http.NoBody {
		return nil, "", errors.New("request body cannot be replayed")
	}
	r.Header.Set("TrackingID", tracking)
	if r.Header.Get("User-Agent") == "" {
		r.Header.Set("User-Agent", t.cfg.userAgent)
	}
	// The token goes only to the API's own host, never to a foreign next link.
	if r.URL.Host != t.host {
		return nil, "", errors.New("refusing to send the token to host " + r.URL.Host)
	}
	tok, err := t.c.ts.Token()
	if err != nil {
		return nil, "", err
	}
	r.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	return r, tok.AccessToken, nil
}

// notSent reports a network error that proves the request never reached the
// server (the dial failed), so that even a create can be sent again.
func notSent(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// unreachable reports a dial refused by the host or a name that does not
// resolve: the two ways a wrong or down --webex-url fails at once.
func unreachable(err error) bool {
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return dns.IsNotFound
	}
	return notSent(err) && errors.Is(err, syscall.ECONNREFUSED)
}

// retryAfter reads Retry-After as seconds or an HTTP date.
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		d := t.Sub(now)
		if d < 0 {
			d = 0
		}
		return d, true
	}
	return 0, false
}

// discard drains a little of an unused body, so the connection can be
// reused, and closes it.
func discard(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
}

// cancelBody releases the attempt's timeout context once the body is closed.
type cancelBody struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// adaptiveLimiter is the client's shared rate limiter, an AIMD controller:
// a 429 multiplies the limit by decreaseFactor and successes add a
// twentieth of the configured rate every speedUpEvery, never above it. A
// 429 only counts when its request queued on the limiter after the last
// decrease: the requests in flight or queued then were paced by the old limit, and their 429s
// say nothing about the new one (one burst of 429s is one signal, however
// many requests it hits). The floor is 1 req/s, or the configured rate if
// lower.
//
// After the first 429 the burst drops to 1 for good (it is 1 from the start
// unless WithRate asked for more): our token bucket and
// the server's fill up during the same lulls, and a burst that empties the
// server's leaves no slack for requests that bunch up in transit, which is
// what makes a client at the server's own rate see 429s at all.
//
// The gentle decrease is deliberate. The 429 itself already makes its
// request wait Retry-After, so the limiter need not also halve to stay off
// the server: a server that rejects a steady fraction of requests keeps
// sending 429s to requests paced by each new limit, which keeps cutting it
// (by 10% per round trip) until the 429s stop; a lone 429 from requests
// bunching up at the server (both token buckets full at the same moment,
// jitter) costs 10% for half a second instead of half the rate for 2.5 s.
type adaptiveLimiter struct {
	lim      *rate.Limiter
	max      rate.Limit
	floor    rate.Limit
	mu       sync.Mutex
	lastSlow time.Time
	lastUp   time.Time
}

func newAdaptiveLimiter(r rate.Limit, burst int) *adaptiveLimiter {
	floor := rate.Limit(1)
	if r < floor {
		floor = r
	}
	return &adaptiveLimiter{lim: rate.NewLimiter(r, burst), max: r, floor: floor}
}

func (a *adaptiveLimiter) wait(ctx context.Context) error { return a.lim.Wait(ctx) }

func (a *adaptiveLimiter) limit() rate.Limit { return a.lim.Limit() }

// slowDown records a 429 to a request that queued on the limiter at paced.
func (a *adaptiveLimiter) slowDown(paced time.Time) {
	if a.max == rate.Inf {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if !paced.After(a.lastSlow) {
		return // paced by the limit before the last decrease
	}
	a.lastSlow = time.Now()
	a.lim.SetLimit(max(a.lim.Limit()*decreaseFactor, a.floor))
	// From now on requests are paced evenly, without bursts: a server that
	// limits near our rate keeps its own bucket's slack for the jitter of
	// requests in transit only if we never empty it with a burst.
	a.lim.SetBurst(1)
}

func (a *adaptiveLimiter) speedUp() {
	if a.max == rate.Inf || a.lim.Limit() >= a.max {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	now := time.Now()
	if now.Sub(a.lastUp) < speedUpEvery || now.Sub(a.lastSlow) < speedUpEvery {
		return
	}
	a.lastUp = now
	a.lim.SetLimit(min(a.lim.Limit()+a.max/20, a.max))
}

const (
	// decreaseFactor is the multiplicative decrease on a 429.
	decreaseFactor = 0.9
	// speedUpEvery paces the climb: a twentieth of the configured rate per
	// interval, so a 10% cut is made up in 0.5 s and the whole rate from
	// the floor in about 5 s of successes.
	speedUpEvery = 250 * time.Millisecond
)
