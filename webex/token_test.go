package webex

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// tokenServer fakes the two token endpoints and one API call.
type tokenServer struct {
	mints, refreshes atomic.Int32
	refreshAnswer    func(form map[string]string) (int, any)
}

func (s *tokenServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/v1/applications/app1/token":
		var req ServiceAppTokenRequest
		_ = json.NewDecoder(r.Body).Decode(&req)
		if r.Header.Get("Authorization") != "Bearer parent-tok" || req.ClientSecret != "sa-secret" || req.TargetOrgID != "ORG" {
			fail(w, 401, "bad mint", 0)
			return
		}
		n := s.mints.Add(1)
		writeJSON(w, 200, TokenResponse{AccessToken: fmt.Sprintf("minted-%d", n), ExpiresIn: 3600, RefreshToken: fmt.Sprintf("mrt-%d", n), TokenType: "Bearer"})
	case "/v1/access_token":
		_ = r.ParseForm()
		s.refreshes.Add(1)
		form := map[string]string{}
		for k := range r.PostForm {
			form[k] = r.PostForm.Get(k)
		}
		code, body := s.refreshAnswer(form)
		writeJSON(w, code, body)
	default:
		if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
			fail(w, 401, "no token", 0)
			return
		}
		writeJSON(w, 200, LocationCalling{ID: "L", DefaultDomain: r.Header.Get("Authorization")[7:]})
	}
}

func TestRefreshTokenSourceForm(t *testing.T) {
	var rotated []string
	ts := &tokenServer{refreshAnswer: func(f map[string]string) (int, any) {
		if f["grant_type"] != "refresh_token" || f["client_id"] != "cid" || f["client_secret"] != "csecret" {
			return 400, map[string]string{"error": "invalid_request"}
		}
		switch f["refresh_token"] {
		case "rt-1": // answers without refresh_token: keep rt-1
			return 200, TokenResponse{AccessToken: "acc-a", ExpiresIn: 3600, TokenType: "Bearer"}
		}
		return 400, map[string]string{"error": "invalid_grant", "error_description": "refresh token " + f["refresh_token"] + " revoked"}
	}}
	srv := httptest.NewServer(ts)
	defer srv.Close()
	src := RefreshTokenSource(context.Background(), srv.URL+"/v1", "cid", "csecret", "rt-1", WithRotated(func(r string) { rotated = append(rotated, r) }))
	for range 2 {
		tok, err := src.Token()
		if err != nil || tok.AccessToken != "acc-a" {
			t.Fatal(tok, err)
		}
	}
	if ts.refreshes.Load() != 1 {
		t.Errorf("%d refreshes, want 1 (cached)", ts.refreshes.Load())
	}
	src.(*cachedSource).invalidate("acc-a")
	if _, err := src.Token(); err != nil {
		t.Fatalf("second refresh with the kept refresh token: %v", err)
	}
	if len(rotated) != 0 {
		t.Errorf("rotated %v", rotated)
	}

	bad := RefreshTokenSource(context.Background(), srv.URL+"/v1", "cid", "csecret", "rt-SECRET-revoked")
	_, err := bad.Token()
	if !errors.Is(err, ErrUnauthorized) || !IsFatal(err) {
		t.Fatalf("err %v", err)
	}
	if !strings.Contains(err.Error(), "invalid_grant") || !strings.Contains(err.Error(), "renew --refresh-token") {
		t.Errorf("error %q", err)
	}
	assertNoSecrets(t, "error", err.Error(), "rt-SECRET-revoked", "csecret")
	n := ts.refreshes.Load()
	if _, err := bad.Token(); err == nil || ts.refreshes.Load() != n {
		t.Error("a refused refresh token is asked again")
	}
	if s := fmt.Sprintf("%v %+v %#v", bad, bad, StaticToken(testToken)); strings.Contains(s, testToken) || strings.Contains(s, "rt-SECRET") {
		t.Errorf("formatting a source shows a secret: %s", s)
	}
}

func TestServiceAppMintsThenRefreshesThenMintsAgain(t *testing.T) {
	ts := &tokenServer{}
	var used atomic.Bool
	ts.refreshAnswer = func(f map[string]string) (int, any) {
		if f["client_id"] != "sa-cid" || f["client_secret"] != "sa-secret" {
			return 401, map[string]string{"error": "invalid_client"}
		}
		if f["refresh_token"] == "mrt-1" && !used.Swap(true) { // the first minted one works once
			return 200, TokenResponse{AccessToken: "refreshed-1", ExpiresIn: 3600, RefreshToken: "mrt-1", TokenType: "Bearer"}
		}
		return 400, map[string]string{"error": "invalid_grant"}
	}
	srv := httptest.NewServer(ts)
	defer srv.Close()
	src := ServiceAppTokenSource(context.Background(), srv.URL+"/v1", StaticToken("parent-tok"), "app1", "sa-cid", "sa-secret", "ORG")
	cs := src.(*cachedSource)
	var got []string
	for range 3 {
		tok, err := src.Token()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, tok.AccessToken)
		cs.invalidate(tok.AccessToken)
	}
	if strings.Join(got, ",") != "minted-1,refreshed-1,minted-2" {
		t.Errorf("tokens %v, want mint, refresh, then mint again after invalid_grant", got)
	}
}

func TestWithHTTPClientTransportWrapped(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, LocationCalling{ID: "L"})
	}))
	defer srv.Close()
	base := http.DefaultTransport.(*http.Transport).Clone()
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		n.Add(1)
		if r.Header.Get("Authorization") == "" || r.Header.Get("TrackingID") == "" {
			return nil, errors.New("unwrapped request")
		}
		return base.RoundTrip(r)
	})}
	c, err := New(srv.URL+"/v1", StaticToken(testToken), WithHTTPClient(hc), WithMaxElapsed(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetLocationCalling(context.Background(), "L"); err != nil {
		t.Fatal(err)
	}
	if n.Load() != 1 {
		t.Errorf("custom transport used %d times", n.Load())
	}
	var _ oauth2.TokenSource = StaticToken("x")
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
