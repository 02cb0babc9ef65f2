package inventory

import (
	"regexp"
	"strings"

	"github.com/cutover-dev/cutover/macaddr"
)

// NormalizeMAC returns mac as 12 upper-case hex digits: the module's one
// MAC rule, macaddr.Parse (notations, multicast, zeros and broadcast refused).
func NormalizeMAC(mac string) (string, error) {
	m, err := macaddr.Parse(mac)
	return string(m), err
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

// isSpace is the spaces a cell is trimmed of (macaddr's notion, so that a
// MAC and the other cells are trimmed alike).
func isSpace(r rune) bool { return macaddr.IsSpace(r) }

// trimCell drops leading and trailing spaces, non-breaking ones included.
func trimCell(s string) string { return strings.TrimFunc(s, isSpace) }
