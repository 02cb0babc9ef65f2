// Package pki issues lab certificates in memory: a self-signed ECDSA P-256
// certificate authority and leaf certificates it signs, for the SBC
// emulator, the Kamailio lab and the device simulator's trust store.
//
// Nothing here is fit for production trust: keys live in memory, serial
// numbers are random and there is no revocation. It exists so that tests and
// demos exercise real TLS verification (chain, host name, validity window)
// instead of InsecureSkipVerify.
package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/cutover-dev/cutover/internal/atomicfile"
)

// clockSkew back-dates NotBefore so that a certificate issued this instant
// verifies on a peer whose clock runs slightly behind.
const clockSkew = 5 * time.Minute

// CA is an in-memory certificate authority. It is safe for concurrent use.
type CA struct {
	cert    *x509.Certificate
	certDER []byte
	key     *ecdsa.PrivateKey
}

// NewCA creates a self-signed CA whose subject common name is name, valid
// from a few minutes ago for ten years.
func NewCA(name string) (*CA, error) {
	if name == "" {
		return nil, errors.New("creating CA: empty name")
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("creating CA %s: generating key: %w", name, err)
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, fmt.Errorf("creating CA %s: %w", name, err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: name, Organization: []string{"cutover lab"}},
		NotBefore:             now.Add(-clockSkew),
		NotAfter:              now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
		SubjectKeyId:          keyID(&key.PublicKey),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("creating CA %s: signing: %w", name, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("creating CA %s: parsing: %w", name, err)
	}
	return &CA{cert: cert, certDER: der, key: key}, nil
}

// Certificate returns the CA's own certificate.
func (ca *CA) Certificate() *x509.Certificate { return ca.cert }

// CertPEM returns the CA certificate PEM-encoded, for a trust store file.
func (ca *CA) CertPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.certDER})
}

// Pool returns a new pool holding only this CA, for tls.Config.RootCAs.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.cert)
	return p
}

// issueConfig collects IssueOption settings.
type issueConfig struct {
	notBefore, notAfter time.Time
	ips                 []net.IP
	client              bool
	commonName          string
}

// IssueOption adjusts a certificate issued by (*CA).Issue.
type IssueOption func(*issueConfig)

// WithValidity sets the validity window. A window in the past yields an
// expired certificate, which is how the SBC's ExpiredCert fault is built.
func WithValidity(notBefore, notAfter time.Time) IssueOption {
	return func(c *issueConfig) { c.notBefore, c.notAfter = notBefore, notAfter }
}

// WithIPs adds IP address SANs (for peers dialled by address rather than
// name). Hosts given to Issue that parse as IPs become IP SANs already.
func WithIPs(ips ...net.IP) IssueOption {
	return func(c *issueConfig) { c.ips = append(c.ips, ips...) }
}

// WithClientAuth marks the certificate for TLS client authentication as
// well as server authentication (mutual TLS devices).
func WithClientAuth() IssueOption {
	return func(c *issueConfig) { c.client = true }
}

// WithCommonName sets the subject common name; by default it is the first host.
func WithCommonName(cn string) IssueOption {
	return func(c *issueConfig) { c.commonName = cn }
}

// Issue signs a leaf certificate for hosts (DNS names; entries that parse as
// IP addresses become IP SANs) and returns it with its private key, chain
// included, ready for tls.Config.Certificates. By default it is valid from a
// few minutes ago for one year.
func (ca *CA) Issue(hosts []string, opts ...IssueOption) (tls.Certificate, error) {
	now := time.Now()
	cfg := issueConfig{notBefore: now.Add(-clockSkew), notAfter: now.AddDate(1, 0, 0)}
	for _, o := range opts {
		o(&cfg)
	}
	if len(hosts) == 0 && len(cfg.ips) == 0 {
		return tls.Certificate{}, errors.New("issuing certificate: no host names or IP addresses")
	}
	if !cfg.notAfter.After(cfg.notBefore) {
		return tls.Certificate{}, fmt.Errorf("issuing certificate for %v: validity ends (%s) before it starts (%s)",
			hosts, cfg.notAfter.Format(time.RFC3339), cfg.notBefore.Format(time.RFC3339))
	}
	var dnsNames []string
	ips := append([]net.IP(nil), cfg.ips...)
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			ips = append(ips, ip)
			continue
		}
		if h == "" {
			return tls.Certificate{}, errors.New("issuing certificate: empty host name")
		}
		dnsNames = append(dnsNames, h)
	}
	cn := cfg.commonName
	if cn == "" {
		if len(hosts) > 0 {
			cn = hosts[0]
		} else {
			cn = ips[0].String()
		}
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("issuing certificate for %s: generating key: %w", cn, err)
	}
	serial, err := randomSerial()
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("issuing certificate for %s: %w", cn, err)
	}
	usage := []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	if cfg.client {
		usage = append(usage, x509.ExtKeyUsageClientAuth)
	}
	tmpl := &x509.Certificate{
		SerialNumber:   serial,
		Subject:        pkix.Name{CommonName: cn, Organization: []string{"cutover lab"}},
		NotBefore:      cfg.notBefore,
		NotAfter:       cfg.notAfter,
		KeyUsage:       x509.KeyUsageDigitalSignature,
		ExtKeyUsage:    usage,
		DNSNames:       dnsNames,
		IPAddresses:    ips,
		AuthorityKeyId: ca.cert.SubjectKeyId,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("issuing certificate for %s: signing: %w", cn, err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("issuing certificate for %s: parsing: %w", cn, err)
	}
	return tls.Certificate{
		Certificate: [][]byte{der, ca.certDER},
		PrivateKey:  key,
		Leaf:        leaf,
	}, nil
}

// CertPEM encodes a certificate's chain (leaf first) as PEM.
func CertPEM(cert tls.Certificate) []byte {
	var out []byte
	for _, der := range cert.Certificate {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	}
	return out
}

// KeyPEM encodes a certificate's private key as PKCS#8 PEM.
func KeyPEM(cert tls.Certificate) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		return nil, fmt.Errorf("encoding private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// Files names the PEM files WriteFiles wrote.
type Files struct {
	Cert string // leaf then CA, PEM (0644)
	Key  string // PKCS#8 private key, PEM (0600)
	CA   string // the CA certificate alone, PEM (0644)
}

// WriteFiles writes cert's chain to dir/name.crt, its key to dir/name.key
// (mode 0600) and the CA certificate to dir/ca.crt, creating dir (0700) if
// needed.
func (ca *CA) WriteFiles(dir, name string, cert tls.Certificate) (Files, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return Files{}, fmt.Errorf("writing certificate files: %w", err)
	}
	keyPEM, err := KeyPEM(cert)
	if err != nil {
		return Files{}, fmt.Errorf("writing certificate files for %s: %w", name, err)
	}
	f := Files{
		Cert: filepath.Join(dir, name+".crt"),
		Key:  filepath.Join(dir, name+".key"),
		CA:   filepath.Join(dir, "ca.crt"),
	}
	if err := writeFile(f.Key, keyPEM, 0o600); err != nil {
		return Files{}, err
	}
	if err := writeFile(f.Cert, CertPEM(cert), 0o644); err != nil {
		return Files{}, err
	}
	if err := writeFile(f.CA, ca.CertPEM(), 0o644); err != nil {
		return Files{}, err
	}
	return f, nil
}

// WriteCAFile writes the CA certificate alone to path (0644).
func (ca *CA) WriteCAFile(path string) error {
	return writeFile(path, ca.CertPEM(), 0o644)
}

// writeFile replaces path through the module's atomic-write helper: a
// reader never sees half a key, and a pre-existing file's looser mode never
// survives.
func writeFile(path string, data []byte, mode os.FileMode) error {
	return atomicfile.Write(path, data, mode, false)
}

func randomSerial() (*big.Int, error) {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("generating serial number: %w", err)
	}
	return n.Add(n, big.NewInt(1)), nil
}

// keyID derives a subject key identifier from the public key (RFC 5280
// method 1 uses SHA-1 of the key bits; any stable unique value will do).
func keyID(pub crypto.PublicKey) []byte {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil
	}
	sum := sha256.Sum256(der)
	return sum[:20]
}
