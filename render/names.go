package render

import (
	"errors"
	"fmt"
	"strings"
)

// Vendor families: the template family a catalog model maps to
// (inventory.Model.Vendor).
const (
	VendorYealink     = "yealink"
	VendorPoly        = "poly"
	VendorGrandstream = "grandstream"
	VendorAudioCodes  = "audiocodes"
	VendorGeneric     = "generic"
)

// ErrUnknownVendor is returned for a vendor family without templates.
var ErrUnknownVendor = errors.New("unknown vendor family (expected yealink, poly, grandstream, audiocodes or generic)")

// ErrBadMAC is returned for a MAC that is not 12 hexadecimal digits.
var ErrBadMAC = errors.New("MAC is not 12 hexadecimal digits")

// NormalizeMAC returns mac as 12 upper-case hex digits. It accepts the
// separators people write (':', '-', '.') and either case.
func NormalizeMAC(mac string) (string, error) {
	var b strings.Builder
	b.Grow(12)
	for _, r := range mac {
		switch {
		case r == ':' || r == '-' || r == '.':
			continue
		case r >= '0' && r <= '9', r >= 'A' && r <= 'F':
			b.WriteRune(r)
		case r >= 'a' && r <= 'f':
			b.WriteRune(r - 'a' + 'A')
		default:
			return "", fmt.Errorf("%q: %w", mac, ErrBadMAC)
		}
	}
	if b.Len() != 12 {
		return "", fmt.Errorf("%q: %w", mac, ErrBadMAC)
	}
	return b.String(), nil
}
