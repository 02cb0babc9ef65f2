package compose

import (
	"context"
	"crypto/x509"
	"net"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/cutover-dev/cutover/certify"
	"github.com/cutover-dev/cutover/render"
	"github.com/cutover-dev/cutover/simulator/pki"
)

// The trust store composed for a certification holds the lab CA beside the
// IdenTrust roots, and a DNS address becomes the resolver.
func TestCertifyBuildsTrustAndResolver(t *testing.T) {
	ca, err := pki.NewCA("compose test CA")
	if err != nil {
		t.Fatal(err)
	}
	o, err := Certify(CertifyOptions{SBC: "sbc.example", DNS: "127.0.0.1:5353", ExtraRoots: []*x509.Certificate{ca.Certificate()}})
	if err != nil {
		t.Fatal(err)
	}
	if o.Resolver == nil || o.Roots == nil || o.SBC != "sbc.example" {
		t.Fatalf("options %+v", o)
	}
	// A CA a config downloads is compared with these, byte for byte.
	if !slices.ContainsFunc(o.TrustCerts, ca.Certificate().Equal) || len(o.TrustCerts) != len(o.TrustRoots) {
		t.Errorf("trust certs %d, names %v: want the lab CA among them", len(o.TrustCerts), o.TrustRoots)
	}
	if slices.ContainsFunc(without(t).TrustCerts, ca.Certificate().Equal) {
		t.Error("the lab CA is a trust cert without being added")
	}
	cert, err := ca.Issue([]string{"sbc.example"})
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: o.Roots, DNSName: "sbc.example"}); err != nil {
		t.Errorf("a certificate of the lab CA does not verify against the composed roots: %v", err)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: without(t).Roots, DNSName: "sbc.example"}); err == nil {
		t.Error("the lab CA is trusted without being added")
	}
	if without(t).Resolver != nil {
		t.Error("a resolver without a DNS address")
	}
	if _, err := Certify(CertifyOptions{PrimaryDown: func(context.Context) error { return nil }}); err == nil {
		t.Error("primary down without up accepted")
	}
	ips := []net.IP{net.IPv4(127, 0, 0, 2), net.IPv4(127, 0, 0, 3)}
	if o, err := Certify(CertifyOptions{SourceIPs: ips}); err != nil || !slices.EqualFunc(o.SourceIPs, ips, net.IP.Equal) {
		t.Errorf("source addresses %v (%v), want %v", o.SourceIPs, err, ips)
	}
	if without(t).SourceIPs != nil {
		t.Error("source addresses without any given")
	}
}

func TestPublisherAndRenderer(t *testing.T) {
	if _, err := Renderer(""); err != nil {
		t.Fatal(err)
	}
	if _, err := Publisher(PublisherOptions{Spec: "ftp://nowhere"}); err == nil {
		t.Error("an ftp target accepted")
	}
	tgt, err := Publisher(PublisherOptions{Spec: "dir://" + t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	step, stop := PublishStep(tgt)
	defer stop()
	if step.Step != "publish" {
		t.Errorf("publish step named %q", step.Step)
	}
}

// A directory target on the run's configs (Source) keeps what the renderer
// wrote there: publishing the same bytes creates no new file.
func TestPublisherOnTheSourceDirectoryKeepsRenderedFiles(t *testing.T) {
	dir := t.TempDir()
	f := render.File{Name: "001122334455.cfg", Data: []byte("#!version:1.0.0.1\n")}
	path := filepath.Join(dir, f.Name)
	if err := os.WriteFile(path, f.Data, 0o600); err != nil {
		t.Fatal(err)
	}
	before, _ := os.Stat(path)
	tgt, err := Publisher(PublisherOptions{Spec: "dir://" + dir, Source: dir})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tgt.Publish(context.Background(), []render.File{f}); err != nil {
		t.Fatal(err)
	}
	if after, err := os.Stat(path); err != nil || !os.SameFile(before, after) {
		t.Errorf("the rendered file was created again (%v)", err)
	}
}

type certifyOpts = certify.Options

func without(t *testing.T) certifyOpts {
	o, err := Certify(CertifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return o
}
