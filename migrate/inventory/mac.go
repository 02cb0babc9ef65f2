package inventory

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// NormalizeMAC returns mac as 12 upper-case hex digits. It accepts
// AA:BB:CC:DD:EE:FF, aa-bb-cc-dd-ee-ff, aabb.ccdd.eeff and aabbccddeeff in
// either case, with surrounding spaces (non-breaking ones included). It
// refuses a wrong length, non-hex characters, mixed separators, a multicast
// address (low bit of the first octet set), all zeros and broadcast.
func NormalizeMAC(mac string) (string, error) {
	s := trimCell(mac)
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
				return "", fmt.Errorf("group %q is not 2 hex digits", g)
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
				return "", fmt.Errorf("group %q is not 4 hex digits", g)
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
	return hex, nil
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

// excelNumber matches what a MAC becomes once Excel has stored it as a
// number: 1.34E+15, 1565123456 (leading zeros gone), 3.4E-05.
var excelNumber = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?([eE][+-][0-9]+)?$|^[0-9]*\.[0-9]+([eE][+-][0-9]+)?$`)

// looksLikeExcelNumber reports whether a cell that is not a valid MAC holds
// a number Excel made out of one ("1E3400000001" typed into a General cell
// becomes 1E+3400000001, "001565123456" becomes 1565123456). The digits
// cannot be recovered reliably, so the cell must be retyped as text.
func looksLikeExcelNumber(s string) bool {
	if !excelNumber.MatchString(s) {
		return false
	}
	// Twelve plain digits are a valid MAC (a text cell) and never get here;
	// fewer digits, a decimal point or an exponent are a number's marks.
	return strings.ContainsAny(s, ".eE") || len(s) < 12
}

// isSpace is unicode.IsSpace plus the invisible characters spreadsheets
// and copy-paste leave around values: zero-width space, word joiner, BOM.
func isSpace(r rune) bool {
	return unicode.IsSpace(r) || r == '\u200b' || r == '\u2060' || r == '\ufeff' || r == '\u202f' || r == '\u2007'
}

// trimCell drops leading and trailing spaces, non-breaking ones included.
func trimCell(s string) string { return strings.TrimFunc(s, isSpace) }
