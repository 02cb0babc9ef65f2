package main

import (
	"net"
	"net/url"
	"strings"

	"github.com/urfave/cli/v2"
	"golang.org/x/oauth2"

	"github.com/cutover-dev/cutover/webex"
)

// newWebexClient builds a Webex client from the global flags:
//
//   - --token alone: a static access token;
//   - --client-id, --client-secret and --refresh-token: an integration's
//     refresh token;
//   - --service-app-id, --target-org-id, --client-id and --client-secret with
//     --token as the parent token: a Service App acting on a customer org.
//
// --org-id adds orgId to every call; --webex-url must be https (plain http is
// accepted on loopback only, for the emulator). Missing or conflicting
// credentials are usage errors (exit 2). opts come after the defaults.
func newWebexClient(c *cli.Context, opts ...webex.Option) (*webex.Client, error) {
	base := c.String(flagWebexURL)
	if err := checkWebexURL(base); err != nil {
		return nil, err
	}
	ts, err := webexTokenSource(c, base)
	if err != nil {
		return nil, err
	}
	log := logger(c)
	copts := []webex.Option{webex.WithLogger(log), webex.WithUserAgent("cutover/" + version)}
	if org := c.String(flagOrgID); org != "" {
		copts = append(copts, webex.WithOrgID(org))
	}
	client, err := webex.New(base, ts, append(copts, opts...)...)
	if err != nil {
		return nil, usageErrorf("--%s: %w", flagWebexURL, err)
	}
	return client, nil
}

// webexTokenSource picks the credential from the global flags.
func webexTokenSource(c *cli.Context, base string) (oauth2.TokenSource, error) {
	var (
		token   = c.String(flagToken)
		id      = c.String(flagClientID)
		secret  = c.String(flagClientSecret)
		refresh = c.String(flagRefreshToken)
		appID   = c.String(flagServiceAppID)
		target  = c.String(flagTargetOrgID)
	)
	missing := func(pairs ...string) string {
		var m []string
		for i := 0; i < len(pairs); i += 2 {
			if pairs[i+1] == "" {
				m = append(m, pairs[i])
			}
		}
		return strings.Join(m, ", ")
	}
	switch {
	case appID != "" || target != "":
		if m := missing("--service-app-id/WEBEX_SERVICE_APP_ID", appID, "--target-org-id/WEBEX_TARGET_ORG_ID", target,
			"--client-id/WEBEX_CLIENT_ID", id, "--client-secret/WEBEX_CLIENT_SECRET", secret,
			"--token/WEBEX_TOKEN (parent token with spark:applications_token)", token); m != "" {
			return nil, usageErrorf("Service App credentials incomplete: missing %s", m)
		}
		if refresh != "" {
			return nil, usageErrorf("--refresh-token does not go with --service-app-id: the Service App's tokens are minted with --token")
		}
		return webex.ServiceAppTokenSource(c.Context, base, webex.StaticToken(token), appID, id, secret, target), nil
	case id != "" || secret != "" || refresh != "":
		if m := missing("--client-id/WEBEX_CLIENT_ID", id, "--client-secret/WEBEX_CLIENT_SECRET", secret,
			"--refresh-token/WEBEX_REFRESH_TOKEN", refresh); m != "" {
			return nil, usageErrorf("OAuth refresh credentials incomplete: missing %s", m)
		}
		if token != "" {
			return nil, usageErrorf("give either --token/WEBEX_TOKEN or --client-id, --client-secret and --refresh-token, not both")
		}
		log := logger(c)
		return webex.RefreshTokenSource(c.Context, base, id, secret, refresh, webex.WithRotated(func(string) {
			// The flag cannot be rewritten; the old token keeps working
			// until Webex retires it.
			log.Warn("Webex rotated the refresh token; store the new one from the integration and update --refresh-token/WEBEX_REFRESH_TOKEN")
		})), nil
	case token != "":
		return webex.StaticToken(token), nil
	}
	return nil, usageErrorf("no Webex credentials: set --token/WEBEX_TOKEN, or --client-id/WEBEX_CLIENT_ID, " +
		"--client-secret/WEBEX_CLIENT_SECRET and --refresh-token/WEBEX_REFRESH_TOKEN, or for a Service App " +
		"--service-app-id/WEBEX_SERVICE_APP_ID, --target-org-id/WEBEX_TARGET_ORG_ID, --client-id, --client-secret and --token")
}

// checkWebexURL insists on https except towards loopback (the emulator).
func checkWebexURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return usageErrorf("--%s %q: expected https://host[/path]", flagWebexURL, raw)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		h := u.Hostname()
		if ip := net.ParseIP(h); h == "localhost" || (ip != nil && ip.IsLoopback()) {
			return nil
		}
		return usageErrorf("--%s %s: plain http is allowed on loopback only; use https", flagWebexURL, u.Redacted())
	}
	return usageErrorf("--%s %s: expected an https URL", flagWebexURL, u.Redacted())
}
