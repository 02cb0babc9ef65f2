package main

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"

	"github.com/urfave/cli/v2"
	"golang.org/x/oauth2"

	"github.com/cutover-dev/cutover/compose"
	"github.com/cutover-dev/cutover/internal/atomicfile"
	"github.com/cutover-dev/cutover/webex"
)

// newWebexClient builds a Webex client from the global flags:
//
//   - --token alone: a static access token;
//   - --client-id, --client-secret and --refresh-token (or
//     --refresh-token-file, which also keeps a rotated token): an
//     integration's refresh token;
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
	client, err := compose.Client(compose.ClientOptions{
		BaseURL: base, Token: ts, OrgID: c.String(flagOrgID), UserAgent: "cutover/" + version,
		Logger: logger(c), Options: opts,
	})
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
	file := c.String(flagRefreshFile)
	if file != "" {
		if refresh != "" {
			return nil, usageErrorf("give --refresh-token/WEBEX_REFRESH_TOKEN or --%s, not both", flagRefreshFile)
		}
		var err error
		if refresh, err = readRefreshFile(c, file); err != nil {
			return nil, err
		}
	}
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
			return nil, usageErrorf("--refresh-token/--%s does not go with --service-app-id: the Service App's tokens are minted with --token", flagRefreshFile)
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
		return webex.RefreshTokenSource(c.Context, base, id, secret, refresh, webex.WithRotated(rotatedRefresh(c, file))), nil
	case token != "":
		return webex.StaticToken(token), nil
	}
	return nil, usageErrorf("no Webex credentials: set --token/WEBEX_TOKEN, or --client-id/WEBEX_CLIENT_ID, " +
		"--client-secret/WEBEX_CLIENT_SECRET and --refresh-token/WEBEX_REFRESH_TOKEN, or for a Service App " +
		"--service-app-id/WEBEX_SERVICE_APP_ID, --target-org-id/WEBEX_TARGET_ORG_ID, --client-id, --client-secret and --token")
}

// readRefreshFile reads the refresh token kept in path: its first line,
// trimmed. A file others may read gets a warning, not a refusal.
func readRefreshFile(c *cli.Context, path string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", usageErrorf("--%s: %w", flagRefreshFile, err)
	}
	if !fi.Mode().IsRegular() {
		return "", usageErrorf("--%s %s: not a regular file", flagRefreshFile, path)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		logger(c).Warn("the refresh token file is readable by others; run chmod 600 on it", "file", path, "mode", fmt.Sprintf("%04o", fi.Mode().Perm()))
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", usageErrorf("--%s: %w", flagRefreshFile, err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	if line = strings.TrimSpace(line); line == "" {
		return "", usageErrorf("--%s %s: empty; expected the integration's refresh token on its first line", flagRefreshFile, path)
	}
	return line, nil
}

// rotatedRefresh keeps a refresh token Webex rotated: written to file (0600,
// atomically) when there is one, else only a warning, since a flag cannot be
// rewritten. Webex may revoke the old token, so a file that cannot be written
// is an error in the log, naming the file and never the token.
func rotatedRefresh(c *cli.Context, file string) func(string) {
	log := logger(c)
	return func(token string) {
		if file == "" {
			log.Warn("Webex rotated the refresh token; store the new one from the integration and update --refresh-token/WEBEX_REFRESH_TOKEN, or keep it in --" + flagRefreshFile)
			return
		}
		if err := atomicfile.Write(file, []byte(token+"\n"), 0o600, true); err != nil {
			log.Error("Webex rotated the refresh token and it could not be saved; the one in the file may no longer work", "file", file, "error", err.Error())
			return
		}
		log.Info("Webex rotated the refresh token; saved the new one", "file", file)
	}
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
