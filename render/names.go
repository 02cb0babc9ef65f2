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

// Vendors lists every vendor family with an embedded default template.
var Vendors = []string{VendorAudioCodes, VendorGeneric, VendorGrandstream, VendorPoly, VendorYealink}

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

// FileNames returns the names of the files a device of the vendor family
// fetches, in the order it fetches them. The first is the file the device asks
// for by MAC; for Poly it is the master config that references the second.
//
//	yealink      001565a1b2c3.cfg                   (lower-case MAC)
//	poly         0004f2a1b2c3.cfg, 0004f2a1b2c3-phone.cfg
//	grandstream  cfg000b82a1b2c3.xml                (lower-case MAC)
//	audiocodes   00908FA1B2C3.ini                   (upper-case MAC)
//	generic      001122a1b2c3.sip.conf
//
// Poly phones request their master config with the MAC in lower case, which
// matters on case-sensitive provisioning servers, so both Poly names are lower case.
func FileNames(vendor, mac string) ([]string, error) {
	m, err := NormalizeMAC(mac)
	if err != nil {
		return nil, err
	}
	lower := strings.ToLower(m)
	switch vendor {
	case VendorYealink:
		return []string{lower + ".cfg"}, nil
	case VendorPoly:
		return []string{lower + ".cfg", lower + "-phone.cfg"}, nil
	case VendorGrandstream:
		return []string{"cfg" + lower + ".xml"}, nil
	case VendorAudioCodes:
		return []string{m + ".ini"}, nil
	case VendorGeneric:
		return []string{lower + ".sip.conf"}, nil
	}
	return nil, fmt.Errorf("vendor %q: %w", vendor, ErrUnknownVendor)
}

// vendorOf guesses the vendor family and MAC from a config file name, and
// whether the name is a Poly master config (which holds no registration).
func vendorOf(name string) (vendor, mac string, ok bool) {
	base := name
	if i := strings.LastIndexAny(base, `/\`); i >= 0 {
		base = base[i+1:]
	}
	lower := strings.ToLower(base)
	isHex := func(s string) bool {
		if len(s) != 12 {
			return false
		}
		for _, r := range s {
			if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
				return false
			}
		}
		return true
	}
	switch {
	case strings.HasPrefix(lower, "cfg") && strings.HasSuffix(lower, ".xml") && isHex(lower[3:len(lower)-4]):
		return VendorGrandstream, strings.ToUpper(lower[3 : len(lower)-4]), true
	case strings.HasSuffix(lower, ".ini") && isHex(lower[:len(lower)-4]):
		return VendorAudioCodes, strings.ToUpper(lower[:len(lower)-4]), true
	case strings.HasSuffix(lower, ".sip.conf") && isHex(lower[:len(lower)-9]):
		return VendorGeneric, strings.ToUpper(lower[:len(lower)-9]), true
	case strings.HasSuffix(lower, "-phone.cfg") && isHex(lower[:len(lower)-10]):
		return VendorPoly, strings.ToUpper(lower[:len(lower)-10]), true
	case strings.HasSuffix(lower, ".cfg") && isHex(lower[:len(lower)-4]):
		// Yealink and Poly master configs share the name; the content decides.
		return "", strings.ToUpper(lower[:len(lower)-4]), true
	}
	return "", "", false
}
