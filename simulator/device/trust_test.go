package device

import (
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"
)

func fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	parts := make([]string, len(sum))
	for i, b := range sum {
		parts[i] = fmt.Sprintf("%02X", b)
	}
	return strings.Join(parts, ":")
}

// TestEmbeddedRootsFingerprints pins the embedded trust store to the
// published fingerprints of the two IdenTrust roots (Mozilla certdata, the
// JDK's cacerts list, `openssl x509 -fingerprint -sha256`).
func TestEmbeddedRootsFingerprints(t *testing.T) {
	want := map[string]string{
		"IdenTrust Commercial Root CA 1":    FingerprintIdenTrustCommercialRootCA1,
		"IdenTrust Public Sector Root CA 1": FingerprintIdenTrustPublicSectorRootCA1,
	}
	roots := EmbeddedRoots()
	if len(roots) != len(want) {
		t.Fatalf("embedded %d roots, want %d", len(roots), len(want))
	}
	for _, c := range roots {
		fp, ok := want[c.Subject.CommonName]
		if !ok {
			t.Errorf("unexpected embedded root %q", c.Subject.CommonName)
			continue
		}
		if got := fingerprint(c.Raw); got != fp {
			t.Errorf("%s: fingerprint %s, want %s", c.Subject.CommonName, got, fp)
		}
		if !c.IsCA || c.Subject.String() != c.Issuer.String() {
			t.Errorf("%s: not a self-signed CA", c.Subject.CommonName)
		}
		delete(want, c.Subject.CommonName)
	}
	for cn := range want {
		t.Errorf("root %q not embedded", cn)
	}
}

func TestParseCertificatesRejectsNoPEM(t *testing.T) {
	if _, err := ParseCertificates([]byte("not a certificate")); err == nil {
		t.Fatal("want an error for data without a certificate")
	}
}
