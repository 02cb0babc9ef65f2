package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/cutover-dev/cutover/simulator/webexapi"
)

// runWebexClient runs an app with the real global flags whose one command
// builds a client with newWebexClient and lists the supported devices.
func runWebexClient(t *testing.T, args ...string) (int, string) {
	t.Helper()
	for _, env := range []string{"CUTOVER_WEBEX_URL", "WEBEX_TOKEN", "WEBEX_CLIENT_ID", "WEBEX_CLIENT_SECRET",
		"WEBEX_REFRESH_TOKEN", "WEBEX_SERVICE_APP_ID", "WEBEX_TARGET_ORG_ID", "WEBEX_ORG_ID"} {
		t.Setenv(env, "")
	}
	var stderr bytes.Buffer
	app := &cli.App{
		Name: "cutover", Flags: globalFlags(), ErrWriter: &stderr, Writer: &stderr,
		ExitErrHandler: func(*cli.Context, error) {},
		Commands: []*cli.Command{{Name: "probe", Action: func(c *cli.Context) error {
			client, err := newWebexClient(c)
			if err != nil {
				return err
			}
			_, err = client.SupportedDevices(c.Context)
			return err
		}}},
	}
	ctx := context.Background()
	err := app.RunContext(ctx, append([]string{"cutover"}, append(args, "probe")...))
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	return exitCode(ctx, err), msg + stderr.String()
}

func TestNewWebexClientFromFlags(t *testing.T) {
	emu := webexapi.New()
	srv := httptest.NewServer(emu)
	defer srv.Close()
	base := srv.URL + "/v1"
	refresh := emu.RegisterIntegration("cid", "csecret-flags", webexapi.AdminScopes()...)
	emu.RegisterServiceApp("app1", "sa-cid", "sa-secret-flags", emu.OrgID())
	admin := emu.AdminToken()

	for _, tc := range []struct {
		name string
		args []string
		code int
		text string
	}{
		{"static token", []string{"--webex-url", base, "--token", admin}, exitOK, ""},
		{"static token with org", []string{"--webex-url", base, "--token", admin, "--org-id", emu.OrgID()}, exitOK, ""},
		{"refresh token", []string{"--webex-url", base, "--client-id", "cid", "--client-secret", "csecret-flags", "--refresh-token", refresh}, exitOK, ""},
		{"service app", []string{"--webex-url", base, "--token", admin, "--service-app-id", "app1", "--target-org-id", emu.OrgID(),
			"--client-id", "sa-cid", "--client-secret", "sa-secret-flags", "--org-id", emu.OrgID()}, exitOK, ""},
		{"no credentials", []string{"--webex-url", base}, exitUsage, "no Webex credentials: set --token/WEBEX_TOKEN"},
		{"refresh incomplete", []string{"--webex-url", base, "--client-id", "cid", "--refresh-token", refresh}, exitUsage, "missing --client-secret/WEBEX_CLIENT_SECRET"},
		{"token and refresh", []string{"--webex-url", base, "--token", admin, "--client-id", "cid", "--client-secret", "csecret-flags", "--refresh-token", refresh}, exitUsage, "not both"},
		{"service app incomplete", []string{"--webex-url", base, "--service-app-id", "app1", "--client-id", "sa-cid"}, exitUsage,
			"missing --target-org-id/WEBEX_TARGET_ORG_ID, --client-secret/WEBEX_CLIENT_SECRET, --token/WEBEX_TOKEN"},
		{"plain http off loopback", []string{"--webex-url", "http://webexapis.example/v1", "--token", admin}, exitUsage, "loopback only"},
		{"not a URL", []string{"--webex-url", "ftp://x/v1", "--token", admin}, exitUsage, "expected an https URL"},
		{"revoked refresh token", []string{"--webex-url", base, "--client-id", "cid", "--client-secret", "csecret-flags", "--refresh-token", "revoked"}, exitFatal,
			"renew --refresh-token/WEBEX_REFRESH_TOKEN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out := runWebexClient(t, tc.args...)
			if code != tc.code || !strings.Contains(out, tc.text) {
				t.Errorf("exit %d, want %d; output %q, want it to hold %q", code, tc.code, out, tc.text)
			}
			for _, s := range []string{admin, refresh, "csecret-flags", "sa-secret-flags"} {
				if strings.Contains(out, s) {
					t.Errorf("output holds a secret: %q", out)
				}
			}
		})
	}
}
