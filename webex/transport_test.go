package webex

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/time/rate"
)

const (
	testToken    = "tok-SECRET-4f9a1c"
	testPassword = "Pw-SECRET-8c2e!x"
)

// fastOpts keep retries quick in tests.
func fastOpts() []Option {
	return []Option{WithBackoff(2*time.Millisecond, 10*time.Millisecond), WithMaxElapsed(5 * time.Second), WithRate(rate.Inf, 1)}
}

// logBuf is a goroutine-safe log sink.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) { l.mu.Lock(); defer l.mu.Unlock(); return l.b.Write(p) }
func (l *logBuf) String() string              { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

func newTestClient(t *testing.T, h http.Handler, ts oauth2.TokenSource, opts ...Option) (*Client, *logBuf) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	if ts == nil {
		ts = StaticToken(testToken)
	}
	logs := &logBuf{}
	all := append(fastOpts(), WithLogger(slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	c, err := New(srv.URL+"/v1", ts, append(all, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c, logs
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func fail(w http.ResponseWriter, status int, msg string, code int) {
	w.Header().Set("Trackingid", "ROUTER_TEST_1")
	writeJSON(w, status, ErrorBody{Message: msg, Errors: []ErrorItem{{Description: msg, ErrorCode: code}}})
}

func assertNoSecrets(t *testing.T, what, s string, secrets ...string) {
	t.Helper()
	for _, sec := range append(secrets, testToken, testPassword) {
		if strings.Contains(s, sec) {
			t.Errorf("%s holds a secret %q: %s", what, sec, s)
		}
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	var n atomic.Int32
	c, logs := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			w.Header().Set("Retry-After", "1")
			fail(w, http.StatusTooManyRequests, "slow down", 0)
			return
		}
		writeJSON(w, 200, LocationCalling{ID: "L1", DefaultDomain: "d.example"})
	}), nil)
	lc, err := c.GetLocationCalling(context.Background(), "L1")
	if err != nil {
		t.Fatal(err)
	}
	if lc.DefaultDomain != "d.example" {
		t.Errorf("domain %q", lc.DefaultDomain)
	}
	st := c.Stats()
	if st.RateLimited != 1 || st.Retries != 1 || st.Requests != 2 {
		t.Errorf("stats %+v, want 1 429, 1 retry, 2 requests", st)
	}
	// The wait chosen is Retry-After's, not the 2 ms backoff.
	if !strings.Contains(logs.String(), "wait=1s") {
		t.Errorf("no retry with wait=1s in the log:\n%s", logs)
	}
}

func TestRetryAfterBeyondBudgetReturnsAtOnce(t *testing.T) {
	var n atomic.Int32
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Header().Set("Retry-After", "3600")
		fail(w, http.StatusTooManyRequests, "slow down", 0)
	}), nil, WithMaxElapsed(time.Second))
	_, err := c.GetDevice(context.Background(), "D1")
	if !errors.Is(err, ErrRateLimited) {
		t.Fatalf("err %v, want ErrRateLimited", err)
	}
	if n.Load() != 1 {
		t.Errorf("%d requests, want 1 (waiting an hour exceeds the budget)", n.Load())
	}
	if IsFatal(err) {
		t.Error("a 429 is not fatal")
	}
}

func TestBackoffStopsAtMaxElapsed(t *testing.T) {
	var n atomic.Int32
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		fail(w, http.StatusServiceUnavailable, "busy", 0)
	}), nil, WithMaxElapsed(150*time.Millisecond))
	_, err := c.GetTelephonyDevice(context.Background(), "D1")
	var ae *APIError
	if !errors.As(err, &ae) || ae.StatusCode != 503 || !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err %v, want the last 503", err)
	}
	if n.Load() < 3 {
		t.Errorf("%d requests, want several retries", n.Load())
	}
	if got, want := err.Error(), "GET /telephony/config/devices/D1: 503 Service Unavailable: busy (tracking ROUTER_TEST_1)"; got != want {
		t.Errorf("error\n got %s\nwant %s", got, want)
	}
}

func TestContextCancelStopsRetries(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var n atomic.Int32
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 3 {
			cancel()
		}
		fail(w, http.StatusBadGateway, "bad gateway", 0)
	}), nil, WithMaxElapsed(time.Hour), WithBackoff(20*time.Millisecond, 20*time.Millisecond))
	_, err := c.GetMembers(ctx, "D1")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	if n.Load() != 3 {
		t.Errorf("%d requests after cancel at the 3rd", n.Load())
	}
}

func TestNetworkFailuresRetried(t *testing.T) {
	var n atomic.Int32
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) <= 2 {
			hj, _ := w.(http.Hijacker)
			conn, _, _ := hj.Hijack()
			conn.Close() // no answer at all
			return
		}
		writeJSON(w, 200, Device{ID: "D1", MAC: "0004F2A1B2C3"})
	}), nil)
	d, err := c.GetDevice(context.Background(), "D1")
	if err != nil || d.ID != "D1" {
		t.Fatalf("got %v, %v", d, err)
	}
	if n.Load() != 3 {
		t.Errorf("%d requests, want 3", n.Load())
	}
}

func TestAttemptTimeoutRetried(t *testing.T) {
	var n atomic.Int32
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			<-r.Context().Done() // hang until the client gives up
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}), nil, WithAttemptTimeout(50*time.Millisecond))
	if err := c.ApplyChanges(context.Background(), "D1"); err != nil {
		t.Fatal(err)
	}
	if n.Load() != 2 {
		t.Errorf("%d requests, want 2", n.Load())
	}
}

// flipSource returns "old" until invalidated, then "new".
type flipSource struct{ n atomic.Int32 }

func (f *flipSource) Token() (*oauth2.Token, error) {
	if f.n.Add(1) == 1 {
		return &oauth2.Token{AccessToken: "old-token-x"}, nil
	}
	return &oauth2.Token{AccessToken: testToken}, nil
}

func TestUnauthorizedRefreshesOnceAndReplays(t *testing.T) {
	var bodies []string
	var mu sync.Mutex
	src := &flipSource{}
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer "+testToken {
			fail(w, 401, "The request requires a valid access token", 0)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}), src)
	if err := c.PutMembers(context.Background(), "D1", []MemberPut{{Port: 1, ID: "P1", PrimaryOwner: true, LineType: LinePrimary, LineWeight: 1}}); err != nil {
		t.Fatal(err)
	}
	if src.n.Load() != 2 {
		t.Errorf("token fetched %d times, want 2", src.n.Load())
	}
	if len(bodies) != 2 || bodies[0] != bodies[1] || !strings.Contains(bodies[1], `"port":1`) {
		t.Errorf("replayed bodies differ: %q", bodies)
	}
	if st := c.Stats(); st.Refreshes != 1 {
		t.Errorf("refreshes %d", st.Refreshes)
	}
}

func TestSecondUnauthorizedIsFatalWithHint(t *testing.T) {
	var n atomic.Int32
	c, logs := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		fail(w, 401, "The request requires a valid access token", 0)
	}), StaticToken(testToken))
	_, err := c.FindPeopleByEmail(context.Background(), "a@example.com")
	if !errors.Is(err, ErrUnauthorized) || !IsFatal(err) {
		t.Fatalf("err %v, want fatal ErrUnauthorized", err)
	}
	if n.Load() != 2 {
		t.Errorf("%d requests, want 2 (one replay)", n.Load())
	}
	if !strings.Contains(err.Error(), "renew --token/WEBEX_TOKEN") || !strings.HasPrefix(err.Error(), "GET /people: 401 Unauthorized") {
		t.Errorf("error %q", err)
	}
	assertNoSecrets(t, "error", err.Error())
	assertNoSecrets(t, "log", logs.String())
}

func TestForbiddenIsFatal(t *testing.T) {
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fail(w, 403, "Missing scope spark-admin:devices_write", 0)
	}), nil)
	err := c.DeleteDevice(context.Background(), "D1")
	if !errors.Is(err, ErrForbidden) || !IsFatal(err) {
		t.Fatalf("err %v", err)
	}
}

func TestSecretsNeverInErrorsOrLogs(t *testing.T) {
	c, logs := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		// A careless server echoing the request and the header.
		fail(w, 400, "invalid: "+string(b)+" auth "+r.Header.Get("Authorization"), 0)
	}), nil)
	ctx := context.Background()
	err1 := c.SetSIPPassword(ctx, "D1", testPassword)
	_, err2 := c.CreateDevice(ctx, CreateDeviceRequest{MAC: "0004F2A1B2C3", Model: "DMS Cisco 192", PersonID: "P1", Password: testPassword})
	for _, err := range []error{err1, err2} {
		if !errors.Is(err, ErrInvalid) {
			t.Fatalf("err %v, want ErrInvalid", err)
		}
		assertNoSecrets(t, "error", err.Error())
		if !strings.Contains(err.Error(), "[redacted]") {
			t.Errorf("error %q: the echoed secret should show as [redacted]", err)
		}
	}
	assertNoSecrets(t, "log", logs.String())
	if !strings.Contains(logs.String(), "status=400") {
		t.Errorf("debug log misses the requests:\n%s", logs)
	}
}

func TestHeadersAndOrgID(t *testing.T) {
	var mu sync.Mutex
	var tracking []string
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("orgId") != "ORG1" {
			fail(w, 400, "orgId missing on "+r.URL.Path, 0)
			return
		}
		if r.Header.Get("User-Agent") != "ua-test" {
			fail(w, 400, "user agent "+r.Header.Get("User-Agent"), 0)
			return
		}
		mu.Lock()
		tracking = append(tracking, r.Header.Get("TrackingID"))
		mu.Unlock()
		switch r.URL.Path {
		case "/v1/telephony/config/supportedDevices":
			writeJSON(w, 200, SupportedDevicesResponse{Devices: []SupportedDevice{{Model: "DMS Cisco 192"}}})
		case "/v1/telephony/config/locations/L%2F1/actions/generatePassword/invoke", "/v1/telephony/config/locations/L/1/actions/generatePassword/invoke":
			writeJSON(w, 200, GeneratePasswordResponse{ExampleSIPPassword: testPassword})
		default:
			fail(w, 404, "no "+r.URL.Path, 0)
		}
	}), nil, WithOrgID("ORG1"), WithUserAgent("ua-test"))
	ctx := context.Background()
	if _, err := c.SupportedDevices(ctx); err != nil {
		t.Fatal(err)
	}
	pw, err := c.GeneratePassword(ctx, "L/1")
	if err != nil || pw != testPassword {
		t.Fatalf("password %v", err)
	}
	re := regexp.MustCompile(`^CUTOVER_[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}_\d+$`)
	if len(tracking) != 2 || tracking[0] == tracking[1] {
		t.Errorf("tracking ids %q", tracking)
	}
	for _, tr := range tracking {
		if !re.MatchString(tr) {
			t.Errorf("tracking id %q", tr)
		}
	}
}

func TestLinkPaging(t *testing.T) {
	var srvURL string
	var got []string
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.URL.RequestURI())
		switch r.URL.Query().Get("cursor") {
		case "":
			// Absolute next link with an opaque cursor, plus a prev link.
			w.Header().Add("Link", `<`+srvURL+`/v1/people?cursor=b%2Bx&max=2>; rel="next", <`+srvURL+`/v1/people>; rel="first"`)
			writeJSON(w, 200, ListResponse[Person]{Items: []Person{{ID: "1"}, {ID: "2"}}})
		case "b+x":
			w.Header().Add("Link", `</v1/people?cursor=c>; rel="prev next"`) // relative, multi-rel
			writeJSON(w, 200, ListResponse[Person]{Items: []Person{{ID: "3"}, {ID: "4"}}})
		case "c":
			writeJSON(w, 200, ListResponse[Person]{Items: []Person{{ID: "5"}}})
		}
	}), nil)
	srvURL = strings.TrimSuffix(c.base.String(), "/v1")
	people, err := c.FindPeopleByEmail(context.Background(), "a@example.com")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, p := range people {
		ids = append(ids, p.ID)
	}
	if strings.Join(ids, ",") != "1,2,3,4,5" {
		t.Errorf("ids %v", ids)
	}
	if len(got) != 3 || got[1] != "/v1/people?cursor=b%2Bx&max=2" || got[2] != "/v1/people?cursor=c" {
		t.Errorf("requests %q (next links must be followed as given)", got)
	}
	if q, _ := url.ParseQuery(strings.TrimPrefix(got[0], "/v1/people?")); q.Get("callingData") != "true" || q.Get("max") != "100" || q.Get("email") != "a@example.com" {
		t.Errorf("first request %q", got[0])
	}
}

func TestLinkPagingRefusesForeignHostAndLoops(t *testing.T) {
	for name, link := range map[string]string{
		"foreign": `<https://evil.example/v1/devices?x=1>; rel="next"`,
		"loop":    `</v1/devices?page=2>; rel="next"`,
	} {
		t.Run(name, func(t *testing.T) {
			var n atomic.Int32
			c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if n.Add(1) > 5 {
					fail(w, 500, "too many pages", 0)
					return
				}
				w.Header().Set("Link", link)
				writeJSON(w, 200, ListResponse[Device]{Items: []Device{{ID: "x"}}})
			}), nil)
			_, err := c.ListDevices(context.Background(), DeviceQuery{PersonID: "P1"})
			if err == nil || !strings.Contains(err.Error(), "next link") {
				t.Fatalf("err %v", err)
			}
		})
	}
}

func TestNextLink(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`<https://a/x?p=2>; rel="next"`, "https://a/x?p=2"},
		{`<https://a/x?p=1>; rel="prev", <https://a/x?p=3>; rel=next`, "https://a/x?p=3"},
		{`<https://a/x?a=1,2>; title="a, b; c"; rel="next"`, "https://a/x?a=1,2"},
		{`<https://a/x>; rel="last"`, ""},
		{`<https://a/x>; REL="Next"`, "https://a/x"},
		{``, ""},
		{`garbage`, ""},
		{`<unterminated; rel="next"`, ""},
	} {
		if got := nextLink([]string{tc.in}); got != tc.want {
			t.Errorf("nextLink(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := nextLink([]string{`<a>; rel="prev"`, `<b>; rel="next"`}); got != "b" {
		t.Errorf("two headers: %q", got)
	}
}

func FuzzNextLink(f *testing.F) {
	for _, s := range []string{`<https://a/x?p=2>; rel="next"`, `<a>; rel="prev", <b>; rel=next`, `<x>; t="\"; rel=next"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := nextLink([]string{s})
		if got != "" && !strings.Contains(s, "<"+got+">") {
			t.Errorf("nextLink(%q) = %q, not a bracketed target", s, got)
		}
	})
}

func TestRetryAfterParsing(t *testing.T) {
	now := time.Date(2026, 11, 23, 18, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		v    string
		want time.Duration
		ok   bool
	}{
		{"3", 3 * time.Second, true},
		{"0", 0, true},
		{now.Add(5 * time.Second).Format(http.TimeFormat), 5 * time.Second, true},
		{"soon", 0, false},
		{"-1", 0, false},
		{"", 0, false},
	} {
		h := http.Header{}
		if tc.v != "" {
			h.Set("Retry-After", tc.v)
		}
		got, ok := retryAfter(h, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("retryAfter(%q) = %v %v, want %v %v", tc.v, got, ok, tc.want, tc.ok)
		}
	}
}

func TestAPIErrorTextAndIs(t *testing.T) {
	e := &APIError{StatusCode: 409, Method: "POST", Path: "/devices", Message: "MAC address is already in use",
		Descriptions: []string{"MAC address is already in use", "[Error 5675] in use"}, ErrorCodes: []int{5675}, TrackingID: "ROUTER_X"}
	if got, want := e.Error(), "POST /devices: 409 Conflict: MAC address is already in use; [Error 5675] in use (tracking ROUTER_X)"; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	wrapped := fmt.Errorf("creating device 0004F2A1B2C3: %w", e)
	for _, s := range []error{ErrConflict, ErrMACInUse} {
		if !errors.Is(wrapped, s) {
			t.Errorf("not %v", s)
		}
	}
	for _, s := range []error{ErrNotFound, ErrUnauthorized, ErrForbidden, ErrRateLimited, ErrUnavailable, ErrInvalid} {
		if errors.Is(wrapped, s) {
			t.Errorf("matches %v", s)
		}
	}
	bad := &APIError{StatusCode: 400, Method: "POST", Path: "/devices", Message: "Error 5675: MAC in use"}
	if !errors.Is(bad, ErrMACInUse) || !errors.Is(bad, ErrConflict) || !errors.Is(bad, ErrInvalid) {
		t.Error("400 with 5675 in the text must match ErrMACInUse, ErrConflict and ErrInvalid")
	}
	for code, s := range map[int]error{404: ErrNotFound, 401: ErrUnauthorized, 403: ErrForbidden, 429: ErrRateLimited, 423: ErrRateLimited, 500: ErrUnavailable, 504: ErrUnavailable} {
		if !errors.Is(&APIError{StatusCode: code}, s) {
			t.Errorf("%d does not match %v", code, s)
		}
	}
}

func TestAdaptiveRate(t *testing.T) {
	var n atomic.Int32
	c, _ := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			w.Header().Set("Retry-After", "0")
			fail(w, 429, "slow down", 0)
			return
		}
		writeJSON(w, 200, Device{ID: "D1"})
	}), nil, WithRate(100, 10))
	if _, err := c.GetDevice(context.Background(), "D1"); err != nil {
		t.Fatal(err)
	}
	// Cut by 10% by the 429; the success right after does not climb yet.
	if got := c.Stats().Rate; got != 90 {
		t.Errorf("rate %v, want 90", got)
	}
}

func TestAdaptiveLimiterSteps(t *testing.T) {
	a := newAdaptiveLimiter(100, 10)
	before := time.Now()
	a.slowDown(before)
	if got := a.limit(); got != 90 {
		t.Fatalf("after a 429: %v, want 90", got)
	}
	// Another 429 to a request paced by the old limit: the same signal.
	a.slowDown(before)
	if got := a.limit(); got != 90 {
		t.Fatalf("after a second 429 of the same burst: %v, want 90", got)
	}
	// A 429 to a request paced by the new limit: too fast still.
	a.slowDown(a.lastSlow.Add(time.Nanosecond))
	if got := a.limit(); got != 81 {
		t.Fatalf("after a 429 at the new limit: %v, want 81", got)
	}
	// Pretend the 429 and the last climb are long past.
	a.lastSlow = time.Now().Add(-time.Minute)
	for _, want := range []rate.Limit{86, 91, 96, 100} {
		a.lastUp = time.Time{}
		a.speedUp()
		if got := a.limit(); math.Abs(float64(got-want)) > 1e-9 {
			t.Fatalf("climb: %v, want %v", got, want)
		}
	}
	a.lastUp = time.Time{}
	a.speedUp()
	if got := a.limit(); got != 100 {
		t.Errorf("above the configured rate: %v", got)
	}
	// Right after a 429 there is no climb.
	a.slowDown(time.Now())
	a.lastUp = time.Time{}
	a.speedUp()
	if got := a.limit(); got != 90 {
		t.Errorf("climbed right after a 429: %v", got)
	}
	for range 100 {
		a.slowDown(time.Now().Add(time.Hour))
	}
	if got := a.limit(); got != 1 {
		t.Errorf("floor: %v, want 1", got)
	}
	slow := newAdaptiveLimiter(0.5, 1)
	slow.slowDown(time.Now())
	if got := slow.limit(); got != 0.5 {
		t.Errorf("a configured rate below 1/s is its own floor: %v", got)
	}
	inf := newAdaptiveLimiter(rate.Inf, 1)
	inf.slowDown(time.Now())
	if inf.limit() != rate.Inf {
		t.Error("an unlimited client must stay unlimited")
	}
}

func TestNewRejectsBadBaseURL(t *testing.T) {
	for _, u := range []string{"", "webexapis.com/v1", "ftp://x/v1", "https://user:pw@x/v1", "https://x/v1?token=abc"} {
		_, err := New(u, StaticToken("t"))
		if err == nil {
			t.Errorf("New(%q) accepted", u)
			continue
		}
		assertNoSecrets(t, "error", err.Error(), "pw", "abc")
	}
}
