package webex

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
)

// TokenOption configures RefreshTokenSource and ServiceAppTokenSource.
type TokenOption func(*tokenConfig)

type tokenConfig struct {
	httpClient *http.Client
	onRotated  func(newRefresh string)
}

// WithRotated registers a callback that receives a rotated refresh token so
// the caller can persist it (0600). It is called with the token endpoint's
// new refresh token only when it differs from the one in use.
func WithRotated(f func(newRefresh string)) TokenOption {
	return func(c *tokenConfig) { c.onRotated = f }
}

// WithTokenHTTPClient sets the HTTP client used to reach the token
// endpoints (default: a client with a 30 s timeout).
func WithTokenHTTPClient(hc *http.Client) TokenOption {
	return func(c *tokenConfig) { c.httpClient = hc }
}

func newTokenConfig(opts []TokenOption) tokenConfig {
	c := tokenConfig{httpClient: &http.Client{Timeout: 30 * time.Second}}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// Renewal hints: what the user must do when a credential is refused.
const (
	hintStatic       = "the access token was refused: renew --token/WEBEX_TOKEN"
	hintRefresh      = "the refreshed access token was refused: renew --refresh-token/WEBEX_REFRESH_TOKEN and check its scopes"
	hintRefreshGrant = "the refresh token was refused: renew --refresh-token/WEBEX_REFRESH_TOKEN"
	hintClient       = "the client credentials were refused: check --client-id/WEBEX_CLIENT_ID and --client-secret/WEBEX_CLIENT_SECRET"
	hintServiceApp   = "the Service App token was refused: check the Service App's scopes and --target-org-id, or renew --token/WEBEX_TOKEN"
	hintParent       = "the parent token was refused while minting a Service App token: renew --token/WEBEX_TOKEN (it needs spark:applications_token)"
	hintAuthorise    = "the customer org has not authorised the Service App: ask its admin to authorise --service-app-id for --target-org-id"
	hintGeneric      = "the Webex access token was refused: renew the credentials"
)

var (
	_ oauth2.TokenSource = (*staticSource)(nil)
	_ oauth2.TokenSource = (*cachedSource)(nil)
	_ hinter             = (*staticSource)(nil)
	_ hinter             = (*cachedSource)(nil)
)

// StaticToken is a TokenSource for a fixed access token (--token). It cannot
// be refreshed: a 401 ends in ErrUnauthorized telling to renew --token.
func StaticToken(token string) oauth2.TokenSource { return &staticSource{tok: token} }

type staticSource struct{ tok string }

func (s *staticSource) Token() (*oauth2.Token, error) {
	if s.tok == "" {
		return nil, &CredentialError{Op: "getting access token", Hint: "set --token/WEBEX_TOKEN",
			Err: errors.New("empty token"), Status: http.StatusUnauthorized}
	}
	return &oauth2.Token{AccessToken: s.tok, TokenType: "Bearer"}, nil
}

// String keeps the token out of %v.
func (s *staticSource) String() string    { return "webex.StaticToken([redacted])" }
func (s *staticSource) GoString() string  { return s.String() }
func (s *staticSource) renewHint() string { return hintStatic }

// hinter is implemented by the token sources of this package: it tells which
// credential to renew when the API refuses a fresh token.
type hinter interface{ renewHint() string }

// cachedSource caches the token of fetch until it expires or the API refuses
// it (invalidate). One fetch runs at a time, so a burst of 401s triggers one
// refresh. A definite refusal is remembered: a revoked refresh token does not
// heal, and hammering the token endpoint would not help.
type cachedSource struct {
	mu      sync.Mutex
	fetch   func() (*oauth2.Token, error)
	tok     *oauth2.Token
	renewAt time.Time // zero: until refused
	refused error
	hint    string
}

func (s *cachedSource) Token() (*oauth2.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refused != nil {
		return nil, s.refused
	}
	now := time.Now()
	if s.tok != nil && (s.renewAt.IsZero() || now.Before(s.renewAt)) {
		return s.tok, nil
	}
	t, err := s.fetch()
	if err != nil {
		var ce *CredentialError
		if errors.As(err, &ce) && ce.rejected() {
			s.refused = err
		}
		return nil, err
	}
	if t == nil || t.AccessToken == "" {
		return nil, &CredentialError{Op: "getting access token", Err: errors.New("empty access token"), Code: "invalid_response", Hint: s.hint}
	}
	s.tok, s.renewAt = t, renewTime(now, t.Expiry)
	return t, nil
}

// renewTime is when to fetch a token expiring at exp again: 10 s early, or
// a tenth of its life early for short-lived tokens (oauth2's fixed 10 s would
// refresh a 5 s token on every call).
func renewTime(now, exp time.Time) time.Time {
	if exp.IsZero() {
		return time.Time{}
	}
	early := min(10*time.Second, exp.Sub(now)/10)
	return exp.Add(-early)
}

// invalidate drops the cached token if it is still the refused one; a token
// another request already replaced is kept.
func (s *cachedSource) invalidate(access string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tok != nil && s.tok.AccessToken == access {
		s.tok = nil
	}
}

func (s *cachedSource) renewHint() string { return s.hint }

func (s *cachedSource) String() string { return "webex.TokenSource([redacted])" }

// RefreshTokenSource returns a TokenSource that gets access tokens from an
// integration's refresh token: POST {baseURL}/access_token, form-encoded,
// grant_type=refresh_token with the client id and secret. Tokens are cached
// until they expire or the API refuses one (the Client then forces one
// refresh). An answer without refresh_token keeps the old one; a rotated one
// is handed to WithRotated's callback. A refused refresh token ends in a
// *CredentialError matching ErrUnauthorized.
func RefreshTokenSource(ctx context.Context, baseURL, clientID, clientSecret, refreshToken string, opts ...TokenOption) oauth2.TokenSource {
	tc := newTokenConfig(opts)
	r := &refresher{
		ctx:     context.WithValue(ctx, oauth2.HTTPClient, tc.httpClient),
		cfg:     oauthConfig(baseURL, clientID, clientSecret),
		refresh: refreshToken,
		rotated: tc.onRotated,
		secrets: []string{clientSecret, refreshToken},
	}
	return &cachedSource{fetch: r.fetch, hint: hintRefresh}
}

func oauthConfig(baseURL, clientID, clientSecret string) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     clientID,
		ClientSecret: clientSecret,
		Endpoint: oauth2.Endpoint{
			TokenURL:  strings.TrimRight(baseURL, "/") + "/access_token",
			AuthStyle: oauth2.AuthStyleInParams,
		},
	}
}

// refresher exchanges a refresh token for a new access token on every call.
type refresher struct {
	ctx     context.Context
	cfg     *oauth2.Config
	mu      sync.Mutex
	refresh string
	rotated func(string)
	secrets []string
}

func (r *refresher) fetch() (*oauth2.Token, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	// An empty access token makes the reuse source refresh at once.
	t, err := r.cfg.TokenSource(r.ctx, &oauth2.Token{RefreshToken: r.refresh}).Token()
	if err != nil {
		return nil, credentialError("refreshing access token", err, append(r.secrets, r.refresh))
	}
	if t.RefreshToken != "" && t.RefreshToken != r.refresh {
		r.refresh = t.RefreshToken
		r.secrets = append(r.secrets, t.RefreshToken)
		if r.rotated != nil {
			r.rotated(t.RefreshToken)
		}
	}
	return t, nil
}

// credentialError turns an oauth2 error into a *CredentialError whose text
// holds the status and OAuth error code but never the endpoint's body.
func credentialError(op string, err error, secrets []string) error {
	ce := &CredentialError{Op: op}
	var re *oauth2.RetrieveError
	switch {
	case errors.As(err, &re):
		if re.Response != nil {
			ce.Status = re.Response.StatusCode
		}
		ce.Code = re.ErrorCode
		msg := fmt.Sprintf("token endpoint answered %d %s", ce.Status, http.StatusText(ce.Status))
		if ce.Code != "" {
			msg += " (" + ce.Code + ")"
		}
		if re.ErrorDescription != "" {
			msg += ": " + mask(re.ErrorDescription, secrets)
		}
		ce.Err = errors.New(msg)
	default:
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		ce.Err = err
	}
	switch {
	case ce.Code == "invalid_client" || ce.Code == "unauthorized_client":
		ce.Hint = hintClient
	default:
		ce.Hint = hintRefreshGrant
	}
	return ce
}

// ServiceAppTokenSource returns a TokenSource for a Service App acting on a
// customer org: it mints a token through POST
// {baseURL}/applications/{appID}/token (JSON: the Service App's clientId,
// clientSecret and targetOrgId) authorised by the parent token, which needs
// spark:applications_token; later tokens come from /access_token with the
// Service App's client id and secret and the minted refresh token, and a
// refused refresh token mints again. A 403 (the org's admin has not
// authorised the app) is a *CredentialError matching ErrForbidden.
func ServiceAppTokenSource(ctx context.Context, baseURL string, parent oauth2.TokenSource, appID, clientID, clientSecret, targetOrgID string, opts ...TokenOption) oauth2.TokenSource {
	tc := newTokenConfig(opts)
	s := &serviceApp{
		ctx:      ctx,
		hc:       tc.httpClient,
		mintURL:  strings.TrimRight(baseURL, "/") + "/applications/" + url.PathEscape(appID) + "/token",
		parent:   parent,
		body:     ServiceAppTokenRequest{ClientID: clientID, ClientSecret: clientSecret, TargetOrgID: targetOrgID},
		rotated:  tc.onRotated,
		secrets:  []string{clientSecret},
		refresh:  &refresher{ctx: context.WithValue(ctx, oauth2.HTTPClient, tc.httpClient), cfg: oauthConfig(baseURL, clientID, clientSecret), secrets: []string{clientSecret}},
		pathName: "POST /applications/" + url.PathEscape(appID) + "/token",
	}
	return &cachedSource{fetch: s.fetch, hint: hintServiceApp}
}

type serviceApp struct {
	ctx      context.Context
	hc       *http.Client
	mintURL  string
	pathName string
	parent   oauth2.TokenSource
	body     ServiceAppTokenRequest
	rotated  func(string)
	secrets  []string
	refresh  *refresher // holds the minted refresh token
}

func (s *serviceApp) fetch() (*oauth2.Token, error) {
	s.refresh.mu.Lock()
	have := s.refresh.refresh != ""
	s.refresh.mu.Unlock()
	if have {
		t, err := s.refresh.fetch()
		if err == nil {
			return t, nil
		}
		var ce *CredentialError
		if !errors.As(err, &ce) || !ce.rejected() {
			return nil, err // transient: the caller backs off
		}
		// The minted refresh token is gone: mint again with the parent.
	}
	t, err := s.mint()
	if err != nil {
		return nil, err
	}
	s.refresh.mu.Lock()
	s.refresh.refresh = t.RefreshToken
	s.refresh.mu.Unlock()
	return t, nil
}

// mint asks for a Service App token with the parent token; a parent that
// can be refreshed gets one forced refresh on a 401.
func (s *serviceApp) mint() (*oauth2.Token, error) {
	for try := 0; ; try++ {
		pt, err := s.parent.Token()
		if err != nil {
			var ce *CredentialError
			if errors.As(err, &ce) {
				return nil, err
			}
			return nil, &CredentialError{Op: "getting parent token", Err: err, Hint: hintParent}
		}
		tok, status, err := s.post(pt.AccessToken)
		if err == nil {
			return tok, nil
		}
		if status == http.StatusUnauthorized && try == 0 {
			if inv, ok := s.parent.(interface{ invalidate(string) }); ok {
				inv.invalidate(pt.AccessToken)
				continue
			}
		}
		return nil, err
	}
}

func (s *serviceApp) post(parentToken string) (*oauth2.Token, int, error) {
	body, err := json.Marshal(s.body)
	if err != nil {
		return nil, 0, err
	}
	req, err := http.NewRequestWithContext(s.ctx, http.MethodPost, s.mintURL, bytes.NewReader(body))
	if err != nil {
		return nil, 0, &CredentialError{Op: "minting Service App token", Err: err}
	}
	req.Header.Set("Authorization", "Bearer "+parentToken)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := s.hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, 0, &CredentialError{Op: "minting Service App token", Err: err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, resp.StatusCode, &CredentialError{Op: "minting Service App token", Err: err}
	}
	if resp.StatusCode != http.StatusOK {
		ae := newAPIError(http.MethodPost, s.pathName, resp, data, append(s.secrets, parentToken))
		ce := &CredentialError{Op: "minting Service App token", Err: ae, Status: resp.StatusCode}
		switch resp.StatusCode {
		case http.StatusUnauthorized:
			ce.Hint = hintParent
		case http.StatusForbidden:
			ce.Hint = hintAuthorise
		default:
			ce.Hint = hintServiceApp
		}
		return nil, resp.StatusCode, ce
	}
	var tr TokenResponse
	if err := json.Unmarshal(data, &tr); err != nil || tr.AccessToken == "" {
		return nil, resp.StatusCode, &CredentialError{Op: "minting Service App token",
			Err: errors.New("answer holds no access_token"), Status: resp.StatusCode, Code: "invalid_response"}
	}
	t := &oauth2.Token{AccessToken: tr.AccessToken, TokenType: "Bearer", RefreshToken: tr.RefreshToken}
	if tr.ExpiresIn > 0 {
		t.Expiry = time.Now().Add(time.Duration(tr.ExpiresIn) * time.Second)
	}
	if tr.RefreshToken != "" && s.rotated != nil {
		s.rotated(tr.RefreshToken)
	}
	return t, resp.StatusCode, nil
}
