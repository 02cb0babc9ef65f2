package inventory

import (
	"errors"
	"fmt"
)

// ErrUnreadable is wrapped by every error Read returns for input that is not
// an inventory at all: a missing or empty file, not a spreadsheet, an
// encrypted workbook, a damaged zip, no header row or no mac column. The CLI
// maps it to exit code 2.
var ErrUnreadable = errors.New("unreadable inventory")

// Problem is one broken rule, located at a cell.
type Problem struct {
	Pos      Pos    `json:"pos"`
	Message  string `json:"message"`            // names the header, never a password
	Expected string `json:"expected,omitempty"` // the form the cell should take
}

// String renders FILE:SHEET:ROW:COLUMN: message (expected ...). FILE is the
// path as given to Read; SHEET is empty for a CSV file (inv.csv::4:B: ...);
// COLUMN is empty for a problem about a whole row.
func (p Problem) String() string {
	if p.Expected == "" {
		return fmt.Sprintf("%s: %s", p.Pos, p.Message)
	}
	return fmt.Sprintf("%s: %s (expected %s)", p.Pos, p.Message, p.Expected)
}

// unreadable wraps ErrUnreadable with the file name and a reason.
func unreadable(file, format string, a ...any) error {
	return fmt.Errorf("reading %s: %s: %w", file, fmt.Sprintf(format, a...), ErrUnreadable)
}
