package webexapi

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cutover-dev/cutover/webex"
)

func TestAuthMissingAndUnknownToken(t *testing.T) {
	h := newHarness(t)
	for _, tok := range []string{"", "not-a-token"} {
		r, err := h.try(tok, "GET", "/v1/devices", nil)
		if err != nil {
			t.Fatal(err)
		}
		h.expect(r, 401)
		if e := r.errorBody(t); e.TrackingID == "" || e.Message == "" {
			t.Errorf("401 body = %s", r.body)
		}
	}
}

// TestAuthScopes checks that each call needs its scope: a token carrying
// every scope but that one gets 403, and one carrying it does not.
func TestAuthScopes(t *testing.T) {
	h := newHarness(t)
	d := h.create("0004F2000001", "Yealink T57W Partner Managed", ada)
	loc := h.person(ada).LocationID
	calls := []struct {
		method, path, scope string
	}{
		{"GET", "/v1/people?email=" + ada, ScopePeopleRead},
		{"GET", "/v1/workspaces", ScopeWorkspacesRead},
		{"GET", "/v1/locations", ScopeLocationsRead},
		{"GET", "/v1/telephony/config/locations/" + loc, ScopeTelephonyConfigRead},
		{"GET", "/v1/telephony/config/supportedDevices", ScopeTelephonyConfigRead},
		{"POST", "/v1/telephony/config/devices/actions/validateMacs/invoke", ScopeTelephonyConfigWrite},
		{"POST", "/v1/devices", ScopeDevicesWrite},
		{"GET", "/v1/devices", ScopeDevicesRead},
		{"GET", "/v1/devices/" + d.ID, ScopeDevicesRead},
		{"DELETE", "/v1/devices/" + d.ID, ScopeDevicesWrite},
		{"GET", "/v1/telephony/config/devices/" + d.ID, ScopeTelephonyConfigRead},
		{"PUT", "/v1/telephony/config/devices/" + d.ID, ScopeTelephonyConfigWrite},
		{"GET", "/v1/telephony/config/devices/" + d.ID + "/members", ScopeTelephonyConfigRead},
		{"PUT", "/v1/telephony/config/devices/" + d.ID + "/members", ScopeTelephonyConfigWrite},
		{"POST", "/v1/telephony/config/devices/" + d.ID + "/actions/applyChanges/invoke", ScopeTelephonyConfigWrite},
		{"POST", "/v1/telephony/config/locations/" + loc + "/actions/generatePassword/invoke", ScopeTelephonyConfigWrite},
		{"POST", "/v1/applications/app/token", ScopeApplicationsToken},
	}
	all := append(AdminScopes(), ScopeApplicationsToken)
	for _, c := range calls {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			var others []string
			for _, sc := range all {
				if sc != c.scope {
					others = append(others, sc)
				}
			}
			r, err := h.try(h.s.IssueToken(others...), c.method, c.path, "{}")
			if err != nil {
				t.Fatal(err)
			}
			h.expect(r, 403)
			if e := r.errorBody(t); !strings.Contains(e.Message, c.scope) {
				t.Errorf("403 message %q does not name %s", e.Message, c.scope)
			}
			// With only the scope the call gets past auth (whatever the body makes of it).
			r, err = h.try(h.s.IssueToken(c.scope), c.method, c.path, "{}")
			if err != nil {
				t.Fatal(err)
			}
			if r.status == 401 || r.status == 403 {
				t.Errorf("with scope %s: status %d: %s", c.scope, r.status, r.body)
			}
		})
	}
}

func TestAuthOrgID(t *testing.T) {
	h := newHarness(t, WithOrgID("ORG-1"))
	h.expect(h.call("GET", "/v1/devices?orgId=ORG-1", nil), 200)
	h.expect(h.call("GET", "/v1/devices?orgId=ORG-2", nil), 403)
}

func TestSetAdminToken(t *testing.T) {
	h := newHarness(t)
	old := h.s.AdminToken()
	h.s.SetAdminToken("lab-admin")
	if h.s.AdminToken() != "lab-admin" {
		t.Fatal("AdminToken not replaced")
	}
	r, _ := h.try("lab-admin", "GET", "/v1/devices", nil)
	h.expect(r, 200)
	r, _ = h.try(old, "GET", "/v1/devices", nil)
	h.expect(r, 401)
}

func TestTokenTTLFault(t *testing.T) {
	clock := newTestClock()
	h := newHarness(t, WithClock(clock.Now))
	h.expect(h.call("GET", "/v1/devices", nil), 200)
	h.s.SetFaults(Faults{TokenTTL: 30 * time.Second})
	clock.Advance(29 * time.Second)
	h.expect(h.call("GET", "/v1/devices", nil), 200)
	clock.Advance(2 * time.Second)
	r := h.call("GET", "/v1/devices", nil)
	h.expect(r, 401)
	if e := r.errorBody(t); !strings.Contains(e.Message, "expired") {
		t.Errorf("message %q", e.Message)
	}
	// Without the fault, tokens last the default 14 days.
	h.s.SetFaults(Faults{})
	h.expect(h.call("GET", "/v1/devices", nil), 200)
	clock.Advance(DefaultAccessTTL)
	h.expect(h.call("GET", "/v1/devices", nil), 401)
}

func postForm(t *testing.T, h *harness, form url.Values) (int, map[string]any) {
	t.Helper()
	resp, err := h.ts.Client().PostForm(h.ts.URL+"/v1/access_token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, m
}

func TestRefreshTokenGrant(t *testing.T) {
	for _, tc := range []struct {
		name   string
		policy RefreshPolicy
	}{{"keep", RefreshKeep}, {"rotate", RefreshRotate}, {"omit", RefreshOmit}} {
		t.Run(tc.name, func(t *testing.T) {
			clock := newTestClock()
			h := newHarness(t, WithClock(clock.Now), WithRefreshPolicy(tc.policy))
			rt := h.s.RegisterIntegration("cid", "csecret", ScopeDevicesRead)
			form := url.Values{"grant_type": {"refresh_token"}, "client_id": {"cid"}, "client_secret": {"csecret"}, "refresh_token": {rt}}
			status, m := postForm(t, h, form)
			if status != 200 {
				t.Fatalf("status %d: %v", status, m)
			}
			if m["token_type"] != "Bearer" || m["expires_in"].(float64) != DefaultAccessTTL.Seconds() {
				t.Errorf("answer = %v", m)
			}
			access := m["access_token"].(string)
			r, _ := h.try(access, "GET", "/v1/devices", nil)
			h.expect(r, 200)
			r, _ = h.try(access, "GET", "/v1/people", nil)
			h.expect(r, 403) // only the integration's scopes
			newRT, has := m["refresh_token"].(string)
			switch tc.policy {
			case RefreshKeep:
				if newRT != rt {
					t.Errorf("keep: refresh_token changed")
				}
			case RefreshRotate:
				if !has || newRT == rt {
					t.Errorf("rotate: refresh_token %v", has)
				}
				if status, _ := postForm(t, h, form); status != 400 {
					t.Errorf("rotated-out refresh token accepted: %d", status)
				}
			case RefreshOmit:
				if has {
					t.Errorf("omit: refresh_token present")
				}
				if status, _ := postForm(t, h, form); status != 200 {
					t.Errorf("old refresh token refused after omit: %d", status)
				}
			}
		})
	}
	h := newHarness(t)
	rt := h.s.RegisterIntegration("cid", "csecret", ScopeDevicesRead)
	status, m := postForm(t, h, url.Values{"grant_type": {"refresh_token"}, "client_id": {"cid"}, "client_secret": {"wrong"}, "refresh_token": {rt}})
	if status != 401 || m["error"] != "invalid_client" {
		t.Errorf("wrong secret: %d %v", status, m)
	}
	status, m = postForm(t, h, url.Values{"grant_type": {"refresh_token"}, "client_id": {"cid"}, "client_secret": {"csecret"}, "refresh_token": {"bogus"}})
	if status != 400 || m["error"] != "invalid_grant" || m["trackingId"] == "" {
		t.Errorf("bad refresh token: %d %v", status, m)
	}
	status, _ = postForm(t, h, url.Values{"grant_type": {"password"}, "client_id": {"cid"}, "client_secret": {"csecret"}})
	if status != 400 {
		t.Errorf("unsupported grant: %d", status)
	}
	// Client credentials may come as HTTP Basic auth too.
	req, _ := http.NewRequest("POST", h.ts.URL+"/v1/access_token", strings.NewReader(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("cid", "csecret")
	resp, err := h.ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("basic auth: %d", resp.StatusCode)
	}
}

func TestRefreshTokenExpires(t *testing.T) {
	clock := newTestClock()
	h := newHarness(t, WithClock(clock.Now), WithTokenLifetimes(time.Hour, 24*time.Hour))
	rt := h.s.RegisterIntegration("cid", "csecret", ScopeDevicesRead)
	form := url.Values{"grant_type": {"refresh_token"}, "client_id": {"cid"}, "client_secret": {"csecret"}, "refresh_token": {rt}}
	status, m := postForm(t, h, form)
	if status != 200 || m["expires_in"].(float64) != 3600 {
		t.Fatalf("%d %v", status, m)
	}
	clock.Advance(25 * time.Hour)
	if status, _ := postForm(t, h, form); status != 400 {
		t.Errorf("expired refresh token: %d", status)
	}
}

func TestAuthorizationCodeGrant(t *testing.T) {
	h := newHarness(t)
	h.s.RegisterIntegration("cid", "csecret", ScopeDevicesRead, ScopeDevicesWrite)
	code := h.s.AuthorizationCode("cid", "http://127.0.0.1/cb")
	form := url.Values{"grant_type": {"authorization_code"}, "client_id": {"cid"}, "client_secret": {"csecret"}, "code": {code}, "redirect_uri": {"http://127.0.0.1/cb"}}
	status, m := postForm(t, h, form)
	if status != 200 || m["refresh_token"] == nil || m["refresh_token_expires_in"].(float64) != DefaultRefreshTTL.Seconds() {
		t.Fatalf("%d %v", status, m)
	}
	r, _ := h.try(m["access_token"].(string), "GET", "/v1/devices", nil)
	h.expect(r, 200)
	if status, _ := postForm(t, h, form); status != 400 {
		t.Errorf("code used twice: %d", status)
	}
	code = h.s.AuthorizationCode("cid", "http://127.0.0.1/cb")
	form.Set("code", code)
	form.Set("redirect_uri", "http://elsewhere/cb")
	if status, _ := postForm(t, h, form); status != 400 {
		t.Errorf("wrong redirect_uri: %d", status)
	}
}

func TestServiceAppToken(t *testing.T) {
	h := newHarness(t)
	org := h.s.OrgID()
	h.s.RegisterServiceApp("app-1", "sa-client", "sa-secret", org)
	h.s.RegisterServiceApp("app-2", "sa2-client", "sa2-secret") // authorised nowhere
	mint := func(app string, req webex.ServiceAppTokenRequest) reply {
		return h.call("POST", "/v1/applications/"+app+"/token", req)
	}
	h.expect(mint("app-2", webex.ServiceAppTokenRequest{ClientID: "sa2-client", ClientSecret: "sa2-secret", TargetOrgID: org}), 403)
	h.expect(mint("app-1", webex.ServiceAppTokenRequest{ClientID: "sa-client", ClientSecret: "nope", TargetOrgID: org}), 400)
	h.expect(mint("app-9", webex.ServiceAppTokenRequest{ClientID: "sa-client", ClientSecret: "sa-secret", TargetOrgID: org}), 404)
	h.expect(mint("app-1", webex.ServiceAppTokenRequest{ClientID: "sa-client", ClientSecret: "sa-secret"}), 400)
	r := mint("app-1", webex.ServiceAppTokenRequest{ClientID: "sa-client", ClientSecret: "sa-secret", TargetOrgID: org})
	h.expect(r, 200)
	var tok webex.TokenResponse
	r.decode(t, &tok)
	if tok.AccessToken == "" || tok.RefreshToken == "" || tok.ExpiresIn <= 0 || tok.TokenType != "Bearer" {
		t.Fatalf("token = %+v", tok)
	}
	// The Service App token does the migration's calls but cannot mint.
	got, _ := h.try(tok.AccessToken, "GET", "/v1/telephony/config/supportedDevices", nil)
	h.expect(got, 200)
	got, _ = h.try(tok.AccessToken, "POST", "/v1/applications/app-1/token", "{}")
	h.expect(got, 403)
	// It refreshes through /access_token with the app's client credentials.
	status, m := postForm(t, h, url.Values{"grant_type": {"refresh_token"}, "client_id": {"sa-client"}, "client_secret": {"sa-secret"}, "refresh_token": {tok.RefreshToken}})
	if status != 200 {
		t.Fatalf("refresh: %d %v", status, m)
	}
	got, _ = h.try(m["access_token"].(string), "GET", "/v1/devices", nil)
	h.expect(got, 200)
	// A token minted for another org the app is authorised in cannot act on this one.
	h.s.RegisterServiceApp("app-3", "sa3-client", "sa3-secret", "OTHER-ORG")
	r = mint("app-3", webex.ServiceAppTokenRequest{ClientID: "sa3-client", ClientSecret: "sa3-secret", TargetOrgID: "OTHER-ORG"})
	h.expect(r, 200)
	r.decode(t, &tok)
	got, _ = h.try(tok.AccessToken, "GET", "/v1/devices", nil)
	h.expect(got, 403)
}
