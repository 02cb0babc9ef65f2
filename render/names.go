package render

import (
	"errors"
	"fmt"

	"github.com/cutover-dev/cutover/macaddr"
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
var ErrBadMAC = errors.New("not a valid MAC")

// NormalizeMAC returns mac as 12 upper-case hex digits, by the module's one
// MAC rule (macaddr.Parse); the error wraps ErrBadMAC.
func NormalizeMAC(mac string) (string, error) {
	m, err := macaddr.Parse(mac)
	if err != nil {
		return "", fmt.Errorf("%q: %w: %w", mac, ErrBadMAC, err)
	}
	return string(m), nil
}
