package main

import (
	"context"
	"crypto/x509"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cutover-dev/cutover/internal/labtool"
	"github.com/cutover-dev/cutover/simulator/pki"
)

// startCommand runs the command line args (args[0] is "cutover") in-process
// until its stdout matches ready, the banner of a serving command. It
// returns ready's submatches, the stdout buffer and a stop function that
// cancels the command (as Ctrl-C does) and returns its exit code. The test
// fails if the command exits before its banner, shows none within 20 s, or
// does not stop within 20 s; the command is cancelled at cleanup.
func startCommand(t *testing.T, ready *regexp.Regexp, args ...string) ([]string, *labtool.Output, func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	// Name the command by its words before the first flag: the flags may
	// carry tokens, which stay out of test output.
	words := args
	for i, a := range args {
		if strings.HasPrefix(a, "-") {
			words = args[:i]
			break
		}
	}
	what := strings.Join(words, " ")
	out, errOut := &labtool.Output{}, &labtool.Output{}
	code := make(chan int, 1)
	go func() { code <- run(ctx, args, out, errOut) }()
	stop := func() int {
		t.Helper()
		cancel()
		select {
		case c := <-code:
			return c
		case <-time.After(20 * time.Second):
			t.Fatalf("%s did not stop 20s after Ctrl-C\nstdout: %s\nstderr: %s", what, out.String(), errOut.String())
			return -1
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		if m := ready.FindStringSubmatch(out.String()); m != nil {
			return m, out, stop
		}
		select {
		case c := <-code:
			t.Fatalf("%s exited with %d before serving\nstdout: %s\nstderr: %s", what, c, out.String(), errOut.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not serving after 20s\nstdout: %s\nstderr: %s", what, out.String(), errOut.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// labServerCert issues a server certificate for 127.0.0.1 from a fresh lab
// CA, writes it and its key under dir, and returns the files and a pool that
// trusts the CA.
func labServerCert(t testing.TB, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	ca, err := pki.NewCA("cutover cmd test CA")
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.Issue([]string{"localhost"}, pki.WithIPs(net.ParseIP("127.0.0.1")))
	if err != nil {
		t.Fatal(err)
	}
	files, err := ca.WriteFiles(dir, "server", cert)
	if err != nil {
		t.Fatal(err)
	}
	return files.Cert, files.Key, ca.Pool()
}
