package inventory

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// Options tunes Read.
type Options struct {
	// Catalog maps make/model to Webex models and limits; nil means
	// DefaultCatalog().
	Catalog *Catalog
	// Lab reads a certification lab inventory: it needs only mac, make,
	// model, sip_user, sip_password and domain, and the owner rules are off.
	Lab bool
	// Rules are the render-time rules of each vendor's firmware
	// (render.Rules{}); none when nil.
	Rules DeviceRules
}

// Inventory is what Read found in a file: every valid device, and every
// problem. A row with any problem is left out of Devices, so Devices is safe
// to migrate even when Problems is not empty.
type Inventory struct {
	File      string    `json:"file"`            // the path as given
	Sheet     string    `json:"sheet,omitempty"` // the devices sheet; "" for CSV
	HeaderRow int       `json:"headerRow"`       // the devices sheet's header row
	Rows      int       `json:"rows"`            // data rows read, blank rows not counted
	Devices   []Device  `json:"devices"`
	Problems  []Problem `json:"problems"`
	// Unlisted counts the problems past MaxProblems, which are not in
	// Problems (its last entry then says how many).
	Unlisted int `json:"unlisted,omitempty"`
}

// Valid reports whether the file has no problem at all.
func (inv *Inventory) Valid() bool { return len(inv.Problems) == 0 }

// format is what a file's content says it is.
type format int

const (
	formatXLSX format = iota
	formatCSV
)

var (
	zipMagic = []byte("PK\x03\x04")
	oleMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
)

// Read reads and validates the inventory at path: an .xlsx workbook
// (streamed, so that 100,000 rows stay within a few tens of MB) or a UTF-8
// CSV file (with or without BOM, ',' or ';' separated). The content decides,
// not the extension; a file named .xlsx that holds CSV text is refused with
// a message saying so.
//
// Broken rules come back in Inventory.Problems with a nil error. The error is
// non-nil only when the file cannot be read as an inventory at all; it then
// wraps ErrUnreadable.
func Read(path string, opts Options) (*Inventory, error) {
	return ReadContext(context.Background(), path, opts)
}

// ReadContext is Read that stops when ctx ends (Ctrl-C while validating a
// large or hostile file): it checks ctx between chunks and rows, so it
// returns within a fraction of a second with an error wrapping ctx.Err().
func ReadContext(ctx context.Context, path string, opts Options) (*Inventory, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, unreadable(path, "no such file")
		}
		return nil, fmt.Errorf("reading %s: %w: %w", path, ErrUnreadable, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w: %w", path, ErrUnreadable, err)
	}
	if st.IsDir() {
		return nil, unreadable(path, "is a directory")
	}
	head := make([]byte, 64<<10)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("reading %s: %w: %w", path, ErrUnreadable, err)
	}
	head = head[:n]
	kind, err := sniff(path, head)
	if err != nil {
		return nil, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("reading %s: %w: %w", path, ErrUnreadable, err)
	}
	if kind == formatCSV {
		return readCSV(ctx, path, f, opts)
	}
	return readXLSX(ctx, path, f, st.Size(), opts)
}

// ReadFrom reads an inventory from r, named name in problems (its extension
// plays no part beyond messages; the content decides the format). It holds
// the whole input in memory: use Read for large files.
func ReadFrom(r io.Reader, name string, opts Options) (*Inventory, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w: %w", name, ErrUnreadable, err)
	}
	kind, err := sniff(name, b)
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	if kind == formatCSV {
		return readCSV(ctx, name, bytes.NewReader(b), opts)
	}
	return readXLSX(ctx, name, bytes.NewReader(b), int64(len(b)), opts)
}

// sniff decides the format from the first bytes, and refuses what is no
// inventory with a message that says what the file is instead.
func sniff(name string, head []byte) (format, error) {
	ext := strings.ToLower(filepath.Ext(name))
	switch {
	case len(head) == 0:
		return 0, unreadable(name, "the file is empty (0 bytes)")
	case bytes.HasPrefix(head, zipMagic):
		return formatXLSX, nil
	case bytes.HasPrefix(head, oleMagic):
		return 0, unreadable(name, "the workbook is encrypted (password-protected) or a legacy .xls file; save an unprotected .xlsx copy")
	case bytes.HasPrefix(head, []byte("PK")):
		return 0, unreadable(name, "not a valid .xlsx file (damaged or truncated zip)")
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}) || bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		return 0, unreadable(name, "UTF-16 text; save it as CSV UTF-8 or as an .xlsx workbook")
	}
	if bytes.IndexByte(head, 0) >= 0 {
		return 0, unreadable(name, "not a spreadsheet (neither an .xlsx workbook nor CSV text)")
	}
	if !validUTF8Prefix(head) {
		return 0, unreadable(name, "text that is not UTF-8; save it as CSV UTF-8 or as an .xlsx workbook")
	}
	if ext == ".xlsx" || ext == ".xlsm" || ext == ".xls" {
		return 0, unreadable(name, "named %s but holds CSV text, not a workbook; rename it to .csv or save it from a spreadsheet as Excel Workbook (.xlsx)", ext)
	}
	return formatCSV, nil
}

// validUTF8Prefix reports whether head is valid UTF-8, allowing its last
// rune to be cut by the sniffing window.
func validUTF8Prefix(head []byte) bool {
	for i := 0; i < len(head); {
		r, size := utf8.DecodeRune(head[i:])
		if r == utf8.RuneError && size == 1 {
			return len(head)-i < utf8.UTFMax && !utf8.FullRune(head[i:])
		}
		i += size
	}
	return true
}
