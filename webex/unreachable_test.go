package webex

import (
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestUnreachableFailsAtOnce(t *testing.T) {
	// A port nothing listens on: the dial is refused.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	c, err := New("http://"+addr+"/v1", StaticToken("t0ken"), WithBackoff(time.Millisecond, time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.SupportedDevices(t.Context())
	var ue *UnreachableError
	if !errors.As(err, &ue) || !IsFatal(err) {
		t.Fatalf("got %v, want a fatal *UnreachableError", err)
	}
	if !strings.Contains(err.Error(), "http://"+addr+"/v1") {
		t.Errorf("error does not name the URL: %v", err)
	}
	if s := c.Stats(); s.Retries != 0 {
		t.Errorf("%d retries before saying the host is unreachable", s.Retries)
	}
}

func TestRefusedAfterAnAnswerIsRetried(t *testing.T) {
	// Once the server answered, a refused dial is a restart, not a wrong
	// URL: the transport retries it.
	var srv *httptest.Server
	calls := 0
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"devices":[]}`))
	}))
	c, err := New(srv.URL+"/v1", StaticToken("t0ken"), WithBackoff(time.Millisecond, time.Millisecond), WithMaxElapsed(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.SupportedDevices(t.Context()); err != nil {
		t.Fatal(err)
	}
	srv.Close()
	_, err = c.SupportedDevices(t.Context())
	var ue *UnreachableError
	if err == nil || errors.As(err, &ue) {
		t.Fatalf("got %v, want a plain network error after retries", err)
	}
	if c.Stats().Retries == 0 {
		t.Error("a refused dial after an answer was not retried")
	}
}

func TestUnreachableTokenEndpointFailsAtOnce(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + l.Addr().String() + "/v1"
	_ = l.Close()
	c, err := New(base, RefreshTokenSource(t.Context(), base, "id", "s3cret-value", "r3fresh-value"),
		WithBackoff(time.Millisecond, time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.SupportedDevices(t.Context())
	var ue *UnreachableError
	if !errors.As(err, &ue) {
		t.Fatalf("got %v, want an *UnreachableError", err)
	}
	if c.Stats().Retries != 0 {
		t.Error("retried a token endpoint that was never reachable")
	}
}
