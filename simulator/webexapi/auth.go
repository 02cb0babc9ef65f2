package webexapi

import (
	"crypto/rand"
	"crypto/subtle"
	"net/http"
	"strings"
	"time"

	"github.com/cutover-dev/cutover/webex"
)

type accessToken struct {
	scopes  map[string]bool
	org     string // "" for a partner token valid for the emulated org
	issued  time.Time
	expires time.Time
}

type refreshToken struct {
	clientID string
	scopes   map[string]bool
	org      string
	expires  time.Time
}

type oauthClient struct {
	secret string
	scopes []string
}

type serviceApp struct {
	clientID, clientSecret string
	orgs                   map[string]bool
}

type authCode struct {
	clientID, redirectURI string
	expires               time.Time
}

func scopeSet(scopes []string) map[string]bool {
	m := make(map[string]bool, len(scopes))
	for _, sc := range scopes {
		m[sc] = true
	}
	return m
}

// newSecret returns an unguessable token string.
func newSecret() string { return rand.Text() + rand.Text() }

// issueLocked stores a new access token; callers hold s.authMu.
func (s *Server) issueLocked(scopes map[string]bool, org string) string {
	tok := newSecret()
	now := s.now()
	s.tokens[tok] = &accessToken{scopes: scopes, org: org, issued: now, expires: now.Add(s.accessTTL)}
	return tok
}

// RegisterIntegration registers an OAuth integration and returns a refresh
// token for it carrying scopes (as if an admin had granted them).
func (s *Server) RegisterIntegration(clientID, clientSecret string, scopes ...string) (refreshToken string) {
	s.authMu.Lock()
	defer s.authMu.Unlock()
	s.clients[clientID] = &oauthClient{secret: clientSecret, scopes: append([]string{}, scopes...)}
	return s.newRefreshLocked(clientID, scopeSet(scopes), "")
}

// AuthorizationCode returns a one-use code for the authorization_code grant,
// as if the user had consented in a browser and been sent to redirectURI.
func (s *Server) AuthorizationCode(clientID, redirectURI string) string {
	s.authMu.Lock()
	defer s.authMu.Unlock()
	code := newSecret()
	s.codes[code] = &authCode{clientID: clientID, redirectURI: redirectURI, expires: s.now().Add(10 * time.Minute)}
	return code
}

// RegisterServiceApp registers a Service App whose tokens may be minted for
// the orgs whose admins authorised it (authorizedOrgIDs).
func (s *Server) RegisterServiceApp(appID, clientID, clientSecret string, authorizedOrgIDs ...string) {
	s.authMu.Lock()
	defer s.authMu.Unlock()
	s.apps[appID] = &serviceApp{clientID: clientID, clientSecret: clientSecret, orgs: scopeSet(authorizedOrgIDs)}
	s.clients[clientID] = &oauthClient{secret: clientSecret, scopes: AdminScopes()}
}

func (s *Server) newRefreshLocked(clientID string, scopes map[string]bool, org string) string {
	rt := newSecret()
	s.refreshes[rt] = &refreshToken{clientID: clientID, scopes: scopes, org: org, expires: s.now().Add(s.refreshTTL)}
	return rt
}

// authorize checks the bearer token of r for scope and the org the call
// targets; it answers 401 or 403 itself and reports whether to go on.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request, scope string) bool {
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || tok == "" {
		s.fail(w, http.StatusUnauthorized, 0, "The request requires a valid access token set in the Authorization request header.")
		return false
	}
	now := s.now()
	ttl := s.Faults().TokenTTL
	s.authMu.Lock()
	t := s.tokens[tok]
	s.authMu.Unlock()
	if t == nil {
		s.fail(w, http.StatusUnauthorized, 0, "The request requires a valid access token set in the Authorization request header.")
		return false
	}
	if !now.Before(t.expires) || (ttl > 0 && !now.Before(t.issued.Add(ttl))) {
		s.fail(w, http.StatusUnauthorized, 0, "The access token has expired.")
		return false
	}
	if scope != "" && !t.scopes[scope] {
		s.fail(w, http.StatusForbidden, 0, "The access token lacks the scope %s required for this call.", scope)
		return false
	}
	org := r.URL.Query().Get("orgId")
	if (org != "" && org != s.orgID) || (t.org != "" && t.org != s.orgID) {
		s.fail(w, http.StatusForbidden, 0, "The caller is not authorized to act on organization %s.", orgOr(org, t.org))
		return false
	}
	return true
}

func orgOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// oauthError is the body of a refused token request: Webex's error fields
// plus RFC 6749's, so that OAuth libraries can read the error code.
type oauthError struct {
	webex.ErrorBody
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
}

func (s *Server) oauthFail(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, oauthError{
		ErrorBody: webex.ErrorBody{
			Message: desc, Errors: []webex.ErrorItem{{Description: desc}},
			TrackingID: w.Header().Get("Trackingid"),
		},
		Error: code, ErrorDescription: desc,
	})
}

func equalSecret(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// accessTokenGrant serves POST /v1/access_token (refresh_token and
// authorization_code grants; client credentials in the form or Basic auth).
func (s *Server) accessTokenGrant(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.oauthFail(w, http.StatusBadRequest, "invalid_request", "The request body is not a valid form.")
		return
	}
	clientID, secret, basic := r.BasicAuth()
	if !basic {
		clientID, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	s.authMu.Lock()
	defer s.authMu.Unlock()
	c := s.clients[clientID]
	if c == nil || !equalSecret(c.secret, secret) {
		s.oauthFail(w, http.StatusUnauthorized, "invalid_client", "The client_id or client_secret is not valid.")
		return
	}
	now := s.now()
	var (
		scopes map[string]bool
		org    string
		rt     string
		rtExp  time.Time
	)
	switch r.PostForm.Get("grant_type") {
	case "refresh_token":
		old := r.PostForm.Get("refresh_token")
		t := s.refreshes[old]
		if t == nil || t.clientID != clientID || !now.Before(t.expires) {
			s.oauthFail(w, http.StatusBadRequest, "invalid_grant", "The refresh token is not valid or has expired.")
			return
		}
		scopes, org, rtExp = t.scopes, t.org, t.expires
		switch s.refresh {
		case RefreshKeep:
			rt = old
		case RefreshRotate:
			delete(s.refreshes, old)
			rt = s.newRefreshLocked(clientID, scopes, org)
			rtExp = s.refreshes[rt].expires
		case RefreshOmit:
		}
	case "authorization_code":
		code := r.PostForm.Get("code")
		ac := s.codes[code]
		delete(s.codes, code)
		if ac == nil || ac.clientID != clientID || ac.redirectURI != r.PostForm.Get("redirect_uri") || !now.Before(ac.expires) {
			s.oauthFail(w, http.StatusBadRequest, "invalid_grant", "The authorization code is not valid, was used already or has expired.")
			return
		}
		scopes = scopeSet(c.scopes)
		rt = s.newRefreshLocked(clientID, scopes, "")
		rtExp = s.refreshes[rt].expires
	default:
		s.oauthFail(w, http.StatusBadRequest, "unsupported_grant_type", "grant_type must be refresh_token or authorization_code.")
		return
	}
	resp := webex.TokenResponse{
		AccessToken: s.issueLocked(scopes, org),
		ExpiresIn:   s.expiresIn(),
		TokenType:   "Bearer",
	}
	if rt != "" {
		resp.RefreshToken = rt
		resp.RefreshTokenExpiresIn = int64(rtExp.Sub(now) / time.Second)
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, resp)
}

// expiresIn is the lifetime announced for a new access token, in seconds.
func (s *Server) expiresIn() int64 {
	ttl := s.accessTTL
	if f := s.Faults().TokenTTL; f > 0 && f < ttl {
		ttl = f
	}
	return max(1, int64(ttl/time.Second))
}

// serviceAppToken serves POST /v1/applications/{id}/token.
func (s *Server) serviceAppToken(w http.ResponseWriter, r *http.Request) {
	var req webex.ServiceAppTokenRequest
	if !s.decodeBody(w, r, &req) {
		return
	}
	if req.ClientID == "" || req.ClientSecret == "" || req.TargetOrgID == "" {
		s.fail(w, http.StatusBadRequest, 0, "clientId, clientSecret and targetOrgId are required.")
		return
	}
	s.authMu.Lock()
	defer s.authMu.Unlock()
	app := s.apps[r.PathValue("id")]
	if app == nil {
		s.fail(w, http.StatusNotFound, 0, "Application not found.")
		return
	}
	if app.clientID != req.ClientID || !equalSecret(app.clientSecret, req.ClientSecret) {
		s.fail(w, http.StatusBadRequest, 0, "The clientId or clientSecret does not match the application.")
		return
	}
	if !app.orgs[req.TargetOrgID] {
		s.fail(w, http.StatusForbidden, 0, "The application is not authorized by the admin of organization %s.", req.TargetOrgID)
		return
	}
	scopes := scopeSet(AdminScopes())
	rt := s.newRefreshLocked(app.clientID, scopes, req.TargetOrgID)
	writeJSON(w, http.StatusOK, webex.TokenResponse{
		AccessToken:           s.issueLocked(scopes, req.TargetOrgID),
		ExpiresIn:             s.expiresIn(),
		RefreshToken:          rt,
		RefreshTokenExpiresIn: int64(s.refreshTTL / time.Second),
		TokenType:             "Bearer",
	})
}
