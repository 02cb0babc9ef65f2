package sbc

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/cutover-dev/cutover/simulator/pki"
)

// StandaloneOptions configure RunStandalone, the `cutover emulate sbc` job.
type StandaloneOptions struct {
	Listen    string // host:port for SIP over TLS
	CertFile  string // server certificate chain (PEM); with KeyFile
	KeyFile   string
	Hosts     []string // names on a generated certificate (besides the listen IP)
	CAOut     string   // where to write the generated lab CA (when no CertFile)
	UsersFile string   // CSV or JSON users file (see LoadUsers)
	Realm     string
	Faults    string // initial faults, ParseFaults syntax
	Control   string // optional loopback host:port for the HTTP control endpoint
	// WrongPassword401 answers wrong credentials with a fresh 401 (as
	// Kamailio does) instead of 403.
	WrongPassword401 bool
	// OnBinding, when set, hears every binding change (WithBindingHook):
	// `cutover emulate sbc --webex-status` reports them to a Webex emulator
	// in another process.
	OnBinding func(BindingChange)
	Logger    *slog.Logger
	// Ready is called once serving, with the SIP address, the control
	// address (empty without Control) and the CA file written (empty with
	// CertFile).
	Ready func(sipAddr, controlAddr, caFile string)
}

// RunStandalone runs one SBC until ctx ends: it loads the users and the
// certificate (or makes a lab CA, issues a certificate and writes the CA
// to CAOut for devices to trust), applies the initial faults and, with
// Control, serves the HTTP control endpoint (see ControlHandler).
func RunStandalone(ctx context.Context, o StandaloneOptions) error {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	fault, err := ParseFaults(o.Faults)
	if err != nil {
		return err
	}
	opts := []Option{WithLogger(log), WithFault(fault)}
	if o.Realm != "" {
		opts = append(opts, WithRealm(o.Realm))
	}
	if o.WrongPassword401 {
		opts = append(opts, WithWrongPasswordStatus(401))
	}
	if o.OnBinding != nil {
		opts = append(opts, WithBindingHook(o.OnBinding))
	}
	if o.UsersFile != "" {
		users, err := LoadUsers(o.UsersFile)
		if err != nil {
			return err
		}
		opts = append(opts, WithUsers(users))
	}
	var labCA *pki.CA
	switch {
	case o.CertFile != "" || o.KeyFile != "":
		if o.CertFile == "" || o.KeyFile == "" {
			return errors.New("loading certificate: both a certificate and a key file are needed")
		}
		cert, err := tls.LoadX509KeyPair(o.CertFile, o.KeyFile)
		if err != nil {
			return fmt.Errorf("loading certificate %s: %w", o.CertFile, err)
		}
		if fault.WrongHostCert || fault.ExpiredCert {
			return fmt.Errorf("fault %s needs the lab CA: leave out the certificate and key files", fault)
		}
		opts = append(opts, WithCertificate(cert))
	default:
		if o.CAOut == "" {
			return errors.New("no certificate given and nowhere to write the lab CA: set a CA output file")
		}
		ca, err := pki.NewCA("cutover lab SBC CA")
		if err != nil {
			return err
		}
		host, _, err := net.SplitHostPort(o.Listen)
		if err != nil {
			return fmt.Errorf("listen address %q: %w", o.Listen, err)
		}
		hosts := append([]string{host}, o.Hosts...)
		labCA = ca
		opts = append(opts, WithCA(ca), WithHosts(hosts...))
	}
	s, err := New(opts...)
	if err != nil {
		return err
	}
	// The control address is bound first: an emulator that said it was
	// listening and then stopped on a busy control port misleads.
	var control net.Listener
	if o.Control != "" {
		if control, err = listenLoopback(o.Control); err != nil {
			return fmt.Errorf("starting control endpoint: %w", err)
		}
		defer control.Close()
	}
	if err := s.Start(ctx, o.Listen); err != nil {
		return err
	}
	defer s.Close()
	caFile := ""
	if labCA != nil {
		// Written once serving, so that a failed start leaves no stray CA.
		if err := labCA.WriteCAFile(o.CAOut); err != nil {
			return err
		}
		caFile = o.CAOut
	}
	controlAddr := ""
	if control != nil {
		hs := &http.Server{Handler: s.ControlHandler(), ReadHeaderTimeout: 5 * time.Second}
		go hs.Serve(control)
		defer hs.Close()
		controlAddr = control.Addr().String()
	}
	if o.Ready != nil {
		o.Ready(s.Addr(), controlAddr, caFile)
	}
	<-ctx.Done()
	return nil
}

func listenLoopback(addr string) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("control address %s: expected a loopback address", addr)
	}
	return net.Listen("tcp", addr)
}

// ControlHandler serves a small HTTP API for flipping faults from scripts
// (certify's --primary-down / --primary-up commands, for example):
//
//	GET  /fault           current faults, as text
//	POST /fault           body: a fault list (ParseFaults syntax); "none" heals
//	GET  /stats           Stats as JSON
//	GET  /bindings        Bindings as JSON
//
// It has no authentication: serve it on loopback only.
func (s *SBC) ControlHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /fault", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, s.Fault().String())
	})
	mux.HandleFunc("POST /fault", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 4096))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		f, err := ParseFaults(strings.TrimSpace(string(body)))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if err := s.SetFault(f); err != nil {
			http.Error(w, err.Error(), http.StatusConflict)
			return
		}
		fmt.Fprintln(w, f.String())
	})
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, s.Stats())
	})
	mux.HandleFunc("GET /bindings", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, s.Bindings())
	})
	return mux
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
