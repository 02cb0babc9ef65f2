package webexapi

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/cutover-dev/cutover/migrate/inventory"
)

// StandaloneOptions configures RunStandalone (`cutover emulate webex`).
type StandaloneOptions struct {
	Listen string // host:port; port 0 picks one
	// Token is the full-admin token clients send; empty means generate one
	// and write it to TokenFile, so that it never reaches a terminal.
	Token string
	// TokenFile receives a generated token (mode 0600); empty means a new
	// file in the OS temporary directory.
	TokenFile string
	// ReadToken, when set, is also accepted, carrying ReadScopes only (a
	// read-only admin: enough for plan, not for migrate).
	ReadToken     string
	SeedFile      string // JSON seed (LoadSeed); empty means DefaultSeed
	InventoryFile string // .xlsx or .csv inventory whose owners and locations are added to the seed
	Faults        string // ParseFaults syntax
	TLSCertFile   string // with TLSKeyFile: serve HTTPS (TLS 1.2 and up)
	TLSKeyFile    string
	Logger        *slog.Logger
	// Ready is called once the emulator listens.
	Ready func(ReadyInfo)
}

// ReadyInfo tells the caller where the emulator listens.
type ReadyInfo struct {
	BaseURL   string // e.g. http://127.0.0.1:8443/v1
	AdminURL  string // e.g. http://127.0.0.1:8443/_emulator/state
	TokenFile string // where the generated token is; "" when the token was given
	Counts    Counts
	Faults    string
	// SkippedRows counts inventory rows left out because they have problems.
	SkippedRows int
}

// RunStandalone builds an emulator from opts and serves it until ctx is
// cancelled. Bad options, an unreadable seed, inventory or certificate come
// back as errors before anything listens; a listen failure is a *net.OpError.
// Cancelling ctx stops it gracefully and returns nil.
func RunStandalone(ctx context.Context, opts StandaloneOptions) error {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	faults, err := ParseFaults(opts.Faults)
	if err != nil {
		return err
	}
	if (opts.TLSCertFile == "") != (opts.TLSKeyFile == "") {
		return errors.New("the TLS certificate and key go together")
	}
	seed := DefaultSeed()
	if opts.SeedFile != "" {
		if seed, err = loadSeedFile(opts.SeedFile); err != nil {
			return err
		}
	}
	skipped := 0
	if opts.InventoryFile != "" {
		inv, err := inventory.Read(opts.InventoryFile, inventory.Options{})
		if err != nil {
			return fmt.Errorf("seeding from inventory: %w", err)
		}
		seed.AddInventory(inv.Devices)
		skipped = len(inv.Problems)
		if skipped > 0 {
			log.Warn("inventory rows with problems were not seeded; run cutover validate to see them",
				"file", opts.InventoryFile, "problems", len(inv.Problems))
		}
	}
	var tlsConfig *tls.Config
	if opts.TLSCertFile != "" {
		cert, err := tls.LoadX509KeyPair(opts.TLSCertFile, opts.TLSKeyFile)
		if err != nil {
			return fmt.Errorf("loading TLS certificate %s: %w", opts.TLSCertFile, err)
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	s := New(WithSeed(seed), WithFaults(faults), WithLogger(log))
	ln, err := net.Listen("tcp", opts.Listen)
	if err != nil {
		return err
	}
	if opts.ReadToken != "" {
		s.SetToken(opts.ReadToken, ReadScopes()...)
	}
	tokenFile := ""
	if opts.Token != "" {
		s.SetAdminToken(opts.Token)
	} else if tokenFile, err = writeToken(opts.TokenFile, s.AdminToken()); err != nil {
		ln.Close()
		return err
	}
	scheme := "http"
	if tlsConfig != nil {
		scheme = "https"
		ln = tls.NewListener(ln, tlsConfig)
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelDebug)}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	base := scheme + "://" + ln.Addr().String()
	if opts.Ready != nil {
		st := s.Snapshot()
		opts.Ready(ReadyInfo{
			BaseURL: base + "/v1", AdminURL: base + "/_emulator/state", TokenFile: tokenFile,
			Counts: st.Counts, Faults: st.Faults, SkippedRows: skipped,
		})
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		srv.Close()
	}
	<-done
	// Being stopped is how a standalone emulator ends: not an error.
	return nil
}

func loadSeedFile(path string) (*Seed, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading seed %s: %w", path, err)
	}
	defer f.Close()
	s, err := LoadSeed(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// writeToken writes a generated token to path (or a new temporary file)
// with mode 0600 and returns the path.
func writeToken(path, token string) (string, error) {
	var f *os.File
	var err error
	if path == "" {
		f, err = os.CreateTemp("", "cutover-webex-token-*")
	} else {
		f, err = os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	}
	if err != nil {
		return "", fmt.Errorf("writing the admin token: %w", err)
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return "", fmt.Errorf("writing the admin token to %s: %w", f.Name(), err)
	}
	if _, err := f.WriteString(token + "\n"); err != nil {
		f.Close()
		return "", fmt.Errorf("writing the admin token to %s: %w", f.Name(), err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("writing the admin token to %s: %w", f.Name(), err)
	}
	return f.Name(), nil
}
