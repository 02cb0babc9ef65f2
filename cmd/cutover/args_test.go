package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// testApp is an app with the real global flags and two commands shaped like
// the real ones: one with a positional argument, one with a subcommand that
// shadows the global --token.
func testApp(got *[]string) *cli.App {
	record := func(c *cli.Context) error {
		*got = append(*got,
			"token="+c.String(flagToken), "org="+c.String(flagOrgID),
			"run="+c.String("run"), "jobs="+fmt.Sprint(c.Int("jobs")),
			"dry="+fmt.Sprint(c.Bool("dry-run")), "args="+strings.Join(c.Args().Slice(), ","))
		return nil
	}
	return &cli.App{
		Name: "cutover", Flags: globalFlags(), ExitErrHandler: func(*cli.Context, error) {},
		Commands: []*cli.Command{
			{Name: "migrate", Action: record, Flags: []cli.Flag{
				&cli.StringFlag{Name: "run"}, &cli.IntFlag{Name: "jobs"}, &cli.BoolFlag{Name: "dry-run"},
			}},
			{Name: "emulate", Subcommands: []*cli.Command{{
				Name: "webex", Flags: []cli.Flag{&cli.StringFlag{Name: "token"}, &cli.StringFlag{Name: "listen"}},
				Action: func(c *cli.Context) error {
					*got = append(*got, "emutoken="+c.String("token"), "listen="+c.String("listen"))
					return nil
				},
			}}},
		},
	}
}

func TestNormalizeArgsFlagsAnywhere(t *testing.T) {
	want := []string{"token=T", "org=O", "run=wave1", "jobs=4", "dry=true", "args=inv.xlsx"}
	for _, args := range [][]string{
		{"cutover", "--token", "T", "--org-id", "O", "migrate", "--run", "wave1", "--jobs", "4", "--dry-run", "inv.xlsx"},
		{"cutover", "migrate", "inv.xlsx", "--run", "wave1", "--token", "T", "--jobs=4", "--dry-run", "--org-id=O"},
		{"cutover", "--token", "T", "migrate", "--run", "wave1", "inv.xlsx", "--org-id", "O", "--jobs", "4", "--dry-run"},
		{"cutover", "migrate", "--dry-run", "inv.xlsx", "--jobs", "4", "--run=wave1", "--token=T", "--org-id", "O"},
	} {
		var got []string
		app := testApp(&got)
		if err := app.Run(normalizeArgs(app, args)); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%v:\n got %v\nwant %v", args, got, want)
		}
	}
}

func TestNormalizeArgsCommandFlagShadowsGlobal(t *testing.T) {
	var got []string
	app := testApp(&got)
	args := []string{"cutover", "emulate", "webex", "--listen", "127.0.0.1:0", "--token", "admin"}
	if err := app.Run(normalizeArgs(app, args)); err != nil {
		t.Fatal(err)
	}
	want := []string{"emutoken=admin", "listen=127.0.0.1:0"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestNormalizeArgsDoubleDashKeepsPositionals(t *testing.T) {
	var got []string
	app := testApp(&got)
	args := []string{"cutover", "migrate", "--run", "r", "--", "--weird-name.xlsx"}
	if err := app.Run(normalizeArgs(app, args)); err != nil {
		t.Fatal(err)
	}
	if got[len(got)-1] != "args=--weird-name.xlsx" {
		t.Errorf("positional after -- lost: %v", got)
	}
}

func TestExitCodes(t *testing.T) {
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	bg := context.Background()
	for _, tc := range []struct {
		ctx  context.Context
		err  error
		want int
	}{
		{bg, nil, exitOK},
		{bg, fmt.Errorf("wave: %w", errSomeFailed), exitFailed},
		{bg, usageErrorf("bad"), exitUsage},
		{bg, withCode(exitUsage, errors.New("reading inventory.xlsx: not a spreadsheet")), exitUsage},
		{bg, errors.New("Required flag \"run\" not set"), exitUsage},
		{bg, errors.New("disk full"), exitFatal},
		{bg, fmt.Errorf("migrating: %w", context.Canceled), exitInterrupted},
		{canceled, errors.New("anything after Ctrl-C"), exitInterrupted},
	} {
		if got := exitCode(tc.ctx, tc.err); got != tc.want {
			t.Errorf("exitCode(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}

func TestRunUsageAndVersion(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"cutover", "--version"}, &out, &errb); code != exitOK {
		t.Fatalf("--version exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "cutover version") {
		t.Errorf("--version printed %q", out.String())
	}
	errb.Reset()
	if code := run(context.Background(), []string{"cutover", "--no-such-flag"}, &out, &errb); code != exitUsage {
		t.Errorf("unknown flag: exit %d, want %d (%s)", code, exitUsage, errb.String())
	}
	if code := run(context.Background(), []string{"cutover", "--log-format", "xml"}, &out, &errb); code != exitUsage {
		t.Errorf("bad --log-format: exit %d, want %d", code, exitUsage)
	}
}

func TestRedact(t *testing.T) {
	for _, s := range []string{
		"Authorization: Bearer abc.def-123",
		`{"sipPassword": "S3cret!pw"}`,
		"grant_type=refresh_token&client_secret=hunter2&refresh_token=rt-1",
	} {
		r := redact(s)
		for _, secret := range []string{"abc.def-123", "S3cret!pw", "hunter2", "rt-1"} {
			if strings.Contains(r, secret) {
				t.Errorf("redact(%q) = %q still holds %q", s, r, secret)
			}
		}
	}
	// Prose is left alone: masking words garbles the error and hides nothing.
	for _, s := range []string{
		`refreshing access token: Post "http://127.0.0.1:1/v1/access_token": dial tcp 127.0.0.1:1: connect: connection refused`,
		"failed 0004F2A1B2C3 at password: setting SIP password: PUT /telephony/config/devices/x: 400 Bad Request",
	} {
		if r := redact(s); r != s {
			t.Errorf("redact changed prose:\n got %q\nwant %q", r, s)
		}
	}
}

func TestMisspelledCommandsAndFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"cutover", "migrat", "inv.xlsx"}, `unknown command "migrat"; did you mean "migrate"?`},
		{[]string{"cutover", "emulate", "webx"}, `unknown command "webx"; did you mean "webex"?`},
		{[]string{"cutover", "frobnicate"}, `unknown command "frobnicate" (cutover --help lists the commands: certify,`},
		{[]string{"cutover", "migrate", "inv.xlsx", "--run", "r", "--dryrun"}, "unknown flag --dryrun; did you mean --dry-run? (cutover migrate --help"},
		{[]string{"cutover", "--webex-ur", "x", "plan", "inv.xlsx"}, "did you mean --webex-url?"},
		{[]string{"cutover", "plan", "inv.xlsx", "--zzzz"}, "unknown flag --zzzz (cutover plan --help lists the flags)"},
	} {
		var out, errb bytes.Buffer
		code := run(context.Background(), tc.args, &out, &errb)
		if code != exitUsage || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, code, errb.String(), tc.want)
		}
	}
}

func TestInterruptedSaysHowToResume(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // Ctrl-C before anything happened
	var out, errb bytes.Buffer
	code := run(ctx, []string{"cutover", "--token", "t0k3n-value", "--webex-url", "http://127.0.0.1:1/v1",
		"migrate", "../../fixtures/inventory.xlsx", "--run", t.TempDir()}, &out, &errb)
	if code != exitInterrupted || strings.TrimSpace(errb.String()) != "interrupted: re-run the same command to resume" {
		t.Errorf("exit %d, stderr %q", code, errb.String())
	}
}

func TestWebexURLHints(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "http://" + l.Addr().String() + "/v1"
	_ = l.Close()
	// A server that answers 404 to everything, as a web server does for a
	// path that is not the API.
	notAPI := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(notAPI.Close)
	for _, tc := range []struct {
		url, want, not string
	}{
		{down, "check --webex-url (" + down + ")", "does --webex-url end in /v1"},
		{notAPI.URL, "does --webex-url end in /v1?", "check --webex-url ("},
		{notAPI.URL + "/v1", "404", "does --webex-url end in /v1"}, // ends in /v1: no hint
	} {
		var out, errb bytes.Buffer
		code := run(context.Background(), []string{"cutover", "--token", "t0k3n-value", "--webex-url", tc.url,
			"plan", "../../fixtures/inventory.xlsx", "--run", t.TempDir()}, &out, &errb)
		if code != exitFatal || !strings.Contains(errb.String(), tc.want) || strings.Contains(errb.String(), tc.not) {
			t.Errorf("%s: exit %d, stderr %q; want 3 and %q", tc.url, code, errb.String(), tc.want)
		}
	}
}
