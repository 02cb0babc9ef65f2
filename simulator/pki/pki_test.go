package pki

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// newTestCA returns a fresh CA or fails the test.
func newTestCA(t *testing.T) *CA {
	t.Helper()
	ca, err := NewCA("cutover test CA")
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

// mustIssue issues a certificate from ca or fails the test.
func mustIssue(t *testing.T, ca *CA, hosts []string, opts ...IssueOption) tls.Certificate {
	t.Helper()
	cert, err := ca.Issue(hosts, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

func TestIssueVerifiesAgainstPool(t *testing.T) {
	ca := newTestCA(t)
	cert := mustIssue(t, ca, []string{"sbc1.example.test", "127.0.0.11"})
	opts := x509.VerifyOptions{Roots: ca.Pool(), DNSName: "sbc1.example.test"}
	if _, err := cert.Leaf.Verify(opts); err != nil {
		t.Fatalf("verifying by name: %v", err)
	}
	opts.DNSName = "127.0.0.11"
	if _, err := cert.Leaf.Verify(opts); err != nil {
		t.Fatalf("verifying by IP SAN: %v", err)
	}
	opts.DNSName = "sbc2.example.test"
	if _, err := cert.Leaf.Verify(opts); err == nil {
		t.Fatal("certificate verified for a host it was not issued for")
	}
	other, err := NewCA("other CA")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cert.Leaf.Verify(x509.VerifyOptions{Roots: other.Pool(), DNSName: "sbc1.example.test"}); err == nil {
		t.Fatal("certificate verified against an unrelated CA")
	}
}

func TestIssueExpired(t *testing.T) {
	ca := newTestCA(t)
	past := time.Now().Add(-48 * time.Hour)
	cert := mustIssue(t, ca, []string{"sbc1.example.test"}, WithValidity(past, past.Add(time.Hour)))
	_, err := cert.Leaf.Verify(x509.VerifyOptions{Roots: ca.Pool(), DNSName: "sbc1.example.test"})
	var inv x509.CertificateInvalidError
	if !asInvalid(err, &inv) || inv.Reason != x509.Expired {
		t.Fatalf("verifying expired certificate: got %v, want an Expired error", err)
	}
	if _, err := ca.Issue([]string{"x"}, WithValidity(past, past.Add(-time.Hour))); err == nil {
		t.Fatal("issued a certificate whose validity ends before it starts")
	}
}

func asInvalid(err error, target *x509.CertificateInvalidError) bool {
	e, ok := err.(x509.CertificateInvalidError)
	if ok {
		*target = e
	}
	return ok
}

func TestIssueRejectsNoHosts(t *testing.T) {
	ca := newTestCA(t)
	if _, err := ca.Issue(nil); err == nil {
		t.Fatal("issued a certificate with no names")
	}
	cert := mustIssue(t, ca, nil, WithIPs(net.IPv4(127, 0, 0, 12)))
	if len(cert.Leaf.IPAddresses) != 1 || cert.Leaf.Subject.CommonName != "127.0.0.12" {
		t.Fatalf("got IPs %v CN %q", cert.Leaf.IPAddresses, cert.Leaf.Subject.CommonName)
	}
}

func TestTLSHandshake(t *testing.T) {
	ca := newTestCA(t)
	cert := mustIssue(t, ca, []string{"sbc1.example.test"})
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		_ = c.(*tls.Conn).Handshake()
		c.Close()
	}()
	c, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{RootCAs: ca.Pool(), ServerName: "sbc1.example.test"})
	if err != nil {
		t.Fatalf("handshake: %v", err)
	}
	c.Close()
}

func TestWriteFiles(t *testing.T) {
	ca := newTestCA(t)
	cert := mustIssue(t, ca, []string{"sbc1.example.test"})
	dir := filepath.Join(t.TempDir(), "pki")
	files, err := ca.WriteFiles(dir, "sbc1", cert)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(files.Key)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, want 0600", st.Mode().Perm())
	}
	loaded, err := tls.LoadX509KeyPair(files.Cert, files.Key)
	if err != nil {
		t.Fatalf("loading written pair: %v", err)
	}
	if len(loaded.Certificate) != 2 {
		t.Fatalf("chain length %d, want 2 (leaf and CA)", len(loaded.Certificate))
	}
	caPEM, err := os.ReadFile(files.CA)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		t.Fatal("CA file holds no certificate")
	}
	leaf, err := x509.ParseCertificate(loaded.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: "sbc1.example.test"}); err != nil {
		t.Fatalf("verifying loaded leaf: %v", err)
	}
	block, _ := pem.Decode(caPEM)
	if block == nil || !strings.Contains(string(caPEM), "BEGIN CERTIFICATE") {
		t.Fatal("CA file is not PEM")
	}
}
