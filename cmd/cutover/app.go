package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/cutover-dev/cutover/webex"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// commandFactories holds one constructor per command; each cmd_<name>.go
// registers its own in init, so that commands are added without touching this file.
var commandFactories []func() *cli.Command

func register(f func() *cli.Command) { commandFactories = append(commandFactories, f) }

// Global flag names.
const (
	flagWebexURL      = "webex-url"
	flagToken         = "token"
	flagClientID      = "client-id"
	flagClientSecret  = "client-secret"
	flagRefreshToken  = "refresh-token"
	flagRefreshFile   = "refresh-token-file"
	flagServiceAppID  = "service-app-id"
	flagTargetOrgID   = "target-org-id"
	flagOrgID         = "org-id"
	flagLogFormat     = "log-format"
	flagQuiet         = "quiet"
	defaultWebexURL   = "https://webexapis.com/v1"
	logFormatText     = "text"
	logFormatJSON     = "json"
	metadataLoggerKey = "logger"
)

func globalFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: flagWebexURL, Value: defaultWebexURL, EnvVars: []string{"CUTOVER_WEBEX_URL"}, Usage: "Webex API base `URL`"},
		&cli.StringFlag{Name: flagToken, EnvVars: []string{"WEBEX_TOKEN"}, Usage: "static Webex access `TOKEN`"},
		&cli.StringFlag{Name: flagClientID, EnvVars: []string{"WEBEX_CLIENT_ID"}, Usage: "OAuth integration or Service App client `ID`"},
		&cli.StringFlag{Name: flagClientSecret, EnvVars: []string{"WEBEX_CLIENT_SECRET"}, Usage: "OAuth client `SECRET`"},
		&cli.StringFlag{Name: flagRefreshToken, EnvVars: []string{"WEBEX_REFRESH_TOKEN"}, Usage: "OAuth refresh `TOKEN`"},
		&cli.PathFlag{Name: flagRefreshFile, EnvVars: []string{"WEBEX_REFRESH_TOKEN_FILE"},
			Usage: "`FILE` holding the OAuth refresh token instead of --refresh-token; a token Webex rotates is written back to it (mode 0600)"},
		&cli.StringFlag{Name: flagServiceAppID, EnvVars: []string{"WEBEX_SERVICE_APP_ID"}, Usage: "Service App application `ID` (mint tokens with --token)"},
		&cli.StringFlag{Name: flagTargetOrgID, EnvVars: []string{"WEBEX_TARGET_ORG_ID"}, Usage: "customer org `ID` the Service App token is minted for"},
		&cli.StringFlag{Name: flagOrgID, EnvVars: []string{"WEBEX_ORG_ID"}, Usage: "customer org `ID` a partner acts on (orgId on every call)"},
		&cli.StringFlag{Name: flagLogFormat, Value: logFormatText, EnvVars: []string{"CUTOVER_LOG_FORMAT"}, Usage: "log format: text or json"},
		&cli.BoolFlag{Name: flagQuiet, Aliases: []string{"q"}, EnvVars: []string{"CUTOVER_QUIET"}, Usage: "print only errors and the final summary; no progress bars"},
	}
}

// newApp builds the CLI. Output goes to stdout and stderr as given, so that
// tests can run commands in-process.
func newApp(stdout, stderr io.Writer) *cli.App {
	cmds := make([]*cli.Command, 0, len(commandFactories))
	for _, f := range commandFactories {
		cmds = append(cmds, f())
	}
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].Name < cmds[j].Name })
	app := &cli.App{
		Name:      "cutover",
		Usage:     "migrate SIP phones and gateways onto Webex Calling as partner-managed devices, and certify they register",
		Version:   version,
		Writer:    stdout,
		ErrWriter: stderr,
		Flags:     globalFlags(),
		Commands:  cmds,
		Suggest:   true,
		// Errors are returned to run, which maps them to exit codes; urfave's
		// own os.Exit would skip deferred cleanup (GO-NOTES.md).
		ExitErrHandler:         func(*cli.Context, error) {},
		OnUsageError:           onUsageError,
		UseShortOptionHandling: false,
		Metadata:               map[string]any{metadataLogSink: &logSink{w: stderr}},
		Before: func(c *cli.Context) error {
			// run reads the URL back to say what to check when Webex
			// cannot be reached or answers 404 from outside the API.
			c.App.Metadata[flagWebexURL] = c.String(flagWebexURL)
			f := c.String(flagLogFormat)
			if f != logFormatText && f != logFormatJSON {
				return usageErrorf("--log-format %q: expected text or json", f)
			}
			return nil
		},
	}
	for _, c := range cmds {
		setUsageHandler(c)
	}
	return app
}

func setUsageHandler(c *cli.Command) {
	c.OnUsageError = onUsageError
	for _, s := range c.Subcommands {
		setUsageHandler(s)
	}
}

// onUsageError makes a parse error exit 2 and, for an unknown flag,
// suggests the closest one the command (or the app) has.
func onUsageError(c *cli.Context, err error, _ bool) error {
	const undefined = "flag provided but not defined: "
	if msg := err.Error(); strings.HasPrefix(msg, undefined) {
		name := strings.TrimLeft(strings.TrimPrefix(msg, undefined), "-")
		var names []string
		for _, fs := range [][]cli.Flag{c.Command.Flags, c.App.Flags} {
			for _, f := range fs {
				names = append(names, f.Names()...)
			}
		}
		help := "cutover --help"
		if c.Command.Name != "" {
			help = "cutover " + c.Command.FullName() + " --help"
		}
		if s := didYouMean(name, names); s != "" {
			err = fmt.Errorf("unknown flag --%s; did you mean --%s? (%s lists the flags)", name, s, help)
		} else {
			err = fmt.Errorf("unknown flag --%s (%s lists the flags)", name, help)
		}
	}
	return &exitError{code: exitUsage, err: err}
}

// run executes the CLI with args (args[0] is the program name) and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	app := newApp(stdout, stderr)
	norm := normalizeArgs(app, args)
	err := app.RunContext(ctx, norm)
	if name, names, ok := unknownCommand(app, norm, err); ok {
		err = unknownCommandError(name, names)
	}
	code := exitCode(ctx, err)
	switch {
	case code == exitInterrupted:
		// The journal makes every migrate, rollback and certify resumable;
		// "context canceled" would say nothing of that.
		fmt.Fprintln(stderr, "interrupted: re-run the same command to resume")
	case err != nil && code != exitOK:
		base, _ := app.Metadata[flagWebexURL].(string)
		fmt.Fprintf(stderr, "cutover: %s%s\n", redact(err.Error()), webexHint(err, base))
	}
	return code
}

// webexHint says what to check when err shows that --webex-url (base)
// points nowhere useful: a host that refuses or does not resolve, or a
// 404 from a server path that is not the API.
func webexHint(err error, base string) string {
	var ue *webex.UnreachableError
	if errors.As(err, &ue) {
		return "\n  check --webex-url (" + ue.URL + "): is the host name right, is the server up, does a proxy or firewall stand in the way?"
	}
	var ae *webex.APIError
	if errors.As(err, &ae) && ae.StatusCode == http.StatusNotFound && base != "" &&
		!strings.HasSuffix(strings.TrimRight(base, "/"), "/v1") {
		return "\n  does --webex-url end in /v1? (" + base + " gave 404; Webex's is " + defaultWebexURL + ")"
	}
	return ""
}

// logger builds the command's logger on stderr from the global flags; secrets
// in attributes are redacted.
func logger(c *cli.Context) *slog.Logger {
	opts := &slog.HandlerOptions{Level: slog.LevelInfo, ReplaceAttr: redactAttr}
	if c.Bool(flagQuiet) {
		opts.Level = slog.LevelWarn
	}
	// Through the sink, so that log lines print above progress bars.
	w := logSinkOf(c)
	if c.String(flagLogFormat) == logFormatJSON {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// secretKeys are attribute keys whose values never reach a log.
var secretKeys = []string{"token", "secret", "password", "authorization", "key"}

func redactAttr(_ []string, a slog.Attr) slog.Attr {
	k := strings.ToLower(a.Key)
	for _, s := range secretKeys {
		if strings.Contains(k, s) {
			return slog.String(a.Key, "[redacted]")
		}
	}
	return a
}
