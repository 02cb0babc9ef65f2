package main

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/urfave/cli/v2"

	"github.com/cutover-dev/cutover/render/publish"
)

func init() { register(newServeConfigsCommand) }

// Flag names of cutover serve-configs.
const (
	serveFlagDir    = "dir"
	serveFlagListen = "listen"
	serveFlagCert   = "cert"
	serveFlagKey    = "key"
	serveFlagUsers  = "users"
)

type serveConfigsOptions struct {
	dir, listen, cert, key, users string
}

func newServeConfigsCommand() *cli.Command {
	return &cli.Command{
		Name:      "serve-configs",
		Usage:     "serve published configs over HTTPS to lab devices, each with its own login",
		UsageText: "cutover serve-configs --dir DIR --listen ADDR --cert FILE --key FILE [--users FILE]",
		Description: "Serves the files listed in DIR/manifest.json (a dir:// publish target) over HTTPS (TLS 1.2\n" +
			"or newer); anything else is 404, and there is no directory listing. --users lists one login\n" +
			"per device, \"KEY USER:PASSWORD\" a line, KEY being a MAC or a file name; devices log in with\n" +
			"HTTP Digest (SHA-256 or MD5) or Basic, and a device only gets its own files. Without --users\n" +
			"every listed file is served to anyone who can reach ADDR. Runs until Ctrl-C.\n\n" +
			"Example:\n   cutover serve-configs --dir /srv/prov --listen 127.0.0.1:8443 --cert lab.crt --key lab.key --users users.txt",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: serveFlagDir, Required: true, Usage: "published `DIR` (with manifest.json)"},
			&cli.StringFlag{Name: serveFlagListen, Value: "127.0.0.1:8443", Usage: "`ADDR` to listen on"},
			&cli.StringFlag{Name: serveFlagCert, Required: true, Usage: "TLS certificate chain (PEM `FILE`)"},
			&cli.StringFlag{Name: serveFlagKey, Required: true, Usage: "TLS private key (PEM `FILE`)"},
			&cli.StringFlag{Name: serveFlagUsers, Usage: "per-device logins `FILE`"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 0 {
				return usageErrorf("serve-configs takes no arguments, got %q", c.Args().Slice())
			}
			return runServeConfigs(c, serveConfigsOptions{dir: c.String(serveFlagDir), listen: c.String(serveFlagListen),
				cert: c.String(serveFlagCert), key: c.String(serveFlagKey), users: c.String(serveFlagUsers)})
		},
	}
}

func runServeConfigs(c *cli.Context, o serveConfigsOptions) error {
	var users publish.Users
	if o.users != "" {
		var err error
		if users, err = publish.ReadUsers(o.users); err != nil {
			return withCode(exitUsage, err)
		}
	}
	log := logger(c)
	h, err := publish.NewConfigServer(o.dir, users, publish.WithServerLogger(log))
	if err != nil {
		return withCode(exitUsage, err)
	}
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return withCode(exitUsage, fmt.Errorf("listening: %w", err))
	}
	if users == nil {
		log.Warn("no --users: every listed config, SIP passwords included, is served without a login")
	}
	err = publish.ServeTLS(c.Context, ln, h, o.cert, o.key, func(addr net.Addr) {
		fmt.Fprintf(c.App.Writer, "serving %s on https://%s\n", o.dir, addr)
	})
	if errors.Is(err, context.Canceled) {
		return nil // Ctrl-C is how this command ends
	}
	if err != nil {
		return withCode(exitUsage, err)
	}
	return nil
}
