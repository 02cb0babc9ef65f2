package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
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
		"WEBEX_REFRESH_TOKEN", "WEBEX_REFRESH_TOKEN_FILE", "WEBEX_SERVICE_APP_ID", "WEBEX_TARGET_ORG_ID", "WEBEX_ORG_ID"} {
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

// TestRefreshTokenFileKeepsRotatedToken: Webex (here the emulator) rotates
// the refresh token on every refresh and revokes the old one, so a second
// command works only if the first saved the new token in the file.
func TestRefreshTokenFileKeepsRotatedToken(t *testing.T) {
	emu := webexapi.New(webexapi.WithRefreshPolicy(webexapi.RefreshRotate))
	srv := httptest.NewServer(emu)
	defer srv.Close()
	first := emu.RegisterIntegration("cid", "csecret-file", webexapi.AdminScopes()...)
	file := filepath.Join(t.TempDir(), "refresh-token")
	if err := os.WriteFile(file, []byte(first+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"--webex-url", srv.URL + "/v1", "--client-id", "cid", "--client-secret", "csecret-file", "--refresh-token-file", file}
	var seen []string
	for run := 1; run <= 3; run++ {
		code, out := runWebexClient(t, args...)
		if code != exitOK {
			t.Fatalf("run %d: exit %d: %s", run, code, out)
		}
		if run == 1 && !strings.Contains(out, "readable by others") {
			t.Errorf("run 1: no warning about the file's mode 0644: %q", out)
		}
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		saved := strings.TrimSpace(string(b))
		seen = append(seen, saved)
		if saved == "" || slices.Contains(seen[:len(seen)-1], saved) || saved == first {
			t.Fatalf("run %d: the file holds no new refresh token", run)
		}
		if fi, _ := os.Stat(file); fi.Mode().Perm() != 0o600 {
			t.Errorf("run %d: file mode %04o, want 0600", run, fi.Mode().Perm())
		}
		for _, sec := range append([]string{first, "csecret-file"}, seen...) {
			if strings.Contains(out, sec) {
				t.Errorf("run %d: output holds a secret: %q", run, out)
			}
		}
	}
	// Without the file the revoked first token is refused, and the error
	// says which credential to renew.
	code, out := runWebexClient(t, "--webex-url", srv.URL+"/v1", "--client-id", "cid", "--client-secret", "csecret-file", "--refresh-token", first)
	if code != exitFatal || !strings.Contains(out, "renew") {
		t.Errorf("revoked token: exit %d, %q", code, out)
	}
}

func TestRefreshTokenFileErrors(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := []string{"--webex-url", "http://127.0.0.1:1/v1", "--client-id", "cid", "--client-secret", "csecret"}
	for _, tc := range []struct {
		name string
		args []string
		text string
	}{
		{"missing", []string{"--refresh-token-file", filepath.Join(dir, "nope")}, "--refresh-token-file: stat " + filepath.Join(dir, "nope")},
		{"empty", []string{"--refresh-token-file", empty}, "empty; expected the integration's refresh token"},
		{"directory", []string{"--refresh-token-file", dir}, "not a regular file"},
		{"both", []string{"--refresh-token-file", empty, "--refresh-token", "rt"}, "not both"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out := runWebexClient(t, append(base, tc.args...)...)
			if code != exitUsage || !strings.Contains(out, tc.text) {
				t.Errorf("exit %d, want %d; output %q, want it to hold %q", code, exitUsage, out, tc.text)
			}
		})
	}
}
