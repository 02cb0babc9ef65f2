// Package identrust holds the public IdenTrust root CA certificates that
// Webex Calling's SBC certificates chain to, as Debian's ca-certificates
// ships them (Mozilla's store). They are public certificates, not keys:
// rendered configs name and embed the Commercial root, and the device
// simulator trusts both. simulator/device's trust_test.go pins their
// SHA-256 fingerprints.
package identrust

import _ "embed"

// CommercialRootCA1 is the PEM of IdenTrust Commercial Root CA 1.
//
//go:embed commercial-root-ca-1.crt
var CommercialRootCA1 []byte

// PublicSectorRootCA1 is the PEM of IdenTrust Public Sector Root CA 1.
//
//go:embed public-sector-root-ca-1.crt
var PublicSectorRootCA1 []byte

// PEMs returns both roots' PEM data.
func PEMs() [][]byte { return [][]byte{CommercialRootCA1, PublicSectorRootCA1} }
