package device

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"

	"github.com/cutover-dev/cutover/internal/identrust"
)

// Published SHA-256 fingerprints of the embedded roots.
const (
	FingerprintIdenTrustCommercialRootCA1   = "5D:56:49:9B:E4:D2:E0:8B:CF:CA:D0:8A:3E:38:72:3D:50:50:3B:DE:70:69:48:E4:2F:55:60:30:19:E5:28:AE"
	FingerprintIdenTrustPublicSectorRootCA1 = "30:D0:89:5A:9A:44:8A:26:20:91:63:55:22:D1:F5:20:10:B5:86:7A:CA:E1:2C:78:EF:95:8F:D4:F4:38:9F:2F"
)

// EmbeddedRoots returns the IdenTrust root certificates Webex Calling's SBC
// certificates chain to (internal/identrust, from Debian's ca-certificates).
func EmbeddedRoots() []*x509.Certificate {
	var out []*x509.Certificate
	for _, b := range identrust.PEMs() {
		certs, err := ParseCertificates(b)
		if err != nil {
			panic(fmt.Sprintf("parsing embedded IdenTrust root: %v", err)) // the embed is part of the build
		}
		out = append(out, certs...)
	}
	return out
}

// TrustStore returns a pool holding the embedded IdenTrust roots and extra,
// the lab roots a --ca file adds.
func TrustStore(extra ...*x509.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	for _, c := range EmbeddedRoots() {
		p.AddCert(c)
	}
	for _, c := range extra {
		p.AddCert(c)
	}
	return p
}

// ParseCertificates decodes every CERTIFICATE block of PEM data. Data with no
// certificate is an error.
func ParseCertificates(data []byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for n := 1; ; n++ {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parsing PEM block %d: %w", n, err)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no PEM CERTIFICATE block found")
	}
	return out, nil
}

// ReadCertificates reads a PEM file of CA certificates (the --ca flag).
func ReadCertificates(path string) ([]*x509.Certificate, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading CA file: %w", err)
	}
	certs, err := ParseCertificates(b)
	if err != nil {
		return nil, fmt.Errorf("reading CA file %s: %w", path, err)
	}
	return certs, nil
}
