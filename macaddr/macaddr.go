// Package macaddr owns the one MAC rule of the module: which notations a
// MAC may be written in, which addresses a device can have, and the
// canonical form (12 upper-case hex digits) every file, journal line, config
// name and API call uses. Inventory, CLI flags, the run directory, the
// renderer, the provisioning server and the emulators all parse through it.
package macaddr

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MAC is a device's address in canonical form: 12 upper-case hex digits.
type MAC string

// String returns the canonical form.
func (m MAC) String() string { return string(m) }

// Colons returns the address as AA:BB:CC:DD:EE:FF.
func (m MAC) Colons() string {
	if len(m) != 12 {
		return string(m)
	}
	s := string(m)
	return s[0:2] + ":" + s[2:4] + ":" + s[4:6] + ":" + s[6:8] + ":" + s[8:10] + ":" + s[10:12]
}

// Lower returns the 12 digits lower-case, as phones name their config files.
func (m MAC) Lower() string { return strings.ToLower(string(m)) }

// ErrInvalid is wrapped by every error Parse returns.
var ErrInvalid = errors.New("invalid MAC")

// Parse returns s as a MAC. It accepts AA:BB:CC:DD:EE:FF, aa-bb-cc-dd-ee-ff,
// aabb.ccdd.eeff and aabbccddeeff in either case, with surrounding spaces
// (non-breaking and zero-width ones included). It refuses a wrong length,
// non-hex characters, mixed or misplaced separators, a multicast address (low
// bit of the first octet set), all zeros and broadcast: no phone has those.
// The error says what is wrong without the errors.Is noise; it wraps
// ErrInvalid.
func Parse(s string) (MAC, error) {
	m, err := parse(s)
	if err != nil {
		return "", &parseError{msg: err.Error()}
	}
	return m, nil
}

// Must is Parse for constants in tests and fixtures; it panics on a bad MAC.
func Must(s string) MAC {
	m, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return m
}

// Valid reports whether s is already a MAC in canonical form.
func Valid(s string) bool {
	m, err := Parse(s)
	return err == nil && string(m) == s
}

type parseError struct{ msg string }

func (e *parseError) Error() string { return e.msg }
func (e *parseError) Unwrap() error { return ErrInvalid }

func parse(mac string) (MAC, error) {
	s := strings.TrimFunc(mac, IsSpace)
	if s == "" {
		return "", fmt.Errorf("empty MAC")
	}
	var hex string
	switch {
	case strings.ContainsAny(s, ":-"):
		sep := ":"
		if !strings.Contains(s, ":") {
			sep = "-"
		} else if strings.Contains(s, "-") {
			return "", fmt.Errorf("mixes ':' and '-' separators")
		}
		groups := strings.Split(s, sep)
		if len(groups) != 6 {
			return "", fmt.Errorf("has %d groups separated by %q, not 6", len(groups), sep)
		}
		for _, g := range groups {
			if len(g) != 2 {
				return "", fmt.Errorf("group %q is not 2 hex digits", clip(g))
			}
		}
		hex = strings.Join(groups, "")
	case strings.Contains(s, "."):
		groups := strings.Split(s, ".")
		if len(groups) != 3 {
			return "", fmt.Errorf("has %d groups separated by '.', not 3", len(groups))
		}
		for _, g := range groups {
			if len(g) != 4 {
				return "", fmt.Errorf("group %q is not 4 hex digits", clip(g))
			}
		}
		hex = strings.Join(groups, "")
	default:
		hex = s
	}
	for i, r := range hex {
		if !isHex(r) {
			if r == utf8.RuneError || !unicode.IsPrint(r) {
				return "", fmt.Errorf("has a non-hex character %U at position %d", r, i+1)
			}
			return "", fmt.Errorf("has a non-hex character %q", r)
		}
	}
	if len(hex) != 12 {
		return "", fmt.Errorf("has %d hex digits, not 12", len(hex))
	}
	hex = strings.ToUpper(hex)
	switch {
	case hex == "000000000000":
		return "", fmt.Errorf("is all zeros")
	case hex == "FFFFFFFFFFFF":
		return "", fmt.Errorf("is the broadcast address")
	case hexVal(hex[1])&1 == 1:
		return "", fmt.Errorf("is a multicast address (first octet %s is odd)", hex[:2])
	}
	return MAC(hex), nil
}

// clip keeps an error about a huge group short.
func clip(s string) string {
	if len(s) <= 16 {
		return s
	}
	return s[:16] + "..."
}

// IsSpace is unicode.IsSpace plus the invisible characters spreadsheets
// and copy-paste leave around values: zero-width space, word joiner, BOM,
// narrow no-break and figure spaces.
func IsSpace(r rune) bool {
	return unicode.IsSpace(r) || r == '\u200b' || r == '\u2060' || r == '\ufeff' || r == '\u202f' || r == '\u2007'
}

func isHex(r rune) bool {
	return (r >= '0' && r <= '9') || (r >= 'a' && r <= 'f') || (r >= 'A' && r <= 'F')
}

func hexVal(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}
