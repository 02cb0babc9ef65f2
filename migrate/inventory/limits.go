package inventory

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits on what an inventory may hold. They bound the memory and time a
// hostile or broken file can cost (a 263 KB workbook whose one shared string
// inflates to 256 MiB once took 9.7 GB and 74 s to refuse), and they are
// documented in the README's inventory section.
const (
	// MaxCellChars is the most characters a cell may hold: Excel's own
	// limit ("Total number of characters that a cell can contain: 32,767",
	// Excel specifications and limits). No inventory value comes near it; a
	// cell over it is a located problem and its value is never echoed whole.
	MaxCellChars = 32767

	// MaxEmailLen is the longest e-mail address there is: 254 characters
	// (RFC 5321's 256-octet path less its angle brackets; RFC 3696 errata).
	MaxEmailLen = 254

	// MaxProblems is how many problems Read lists; the rest are counted
	// (Inventory.Unlisted). Every row with a problem is still left out.
	MaxProblems = 10_000

	// maxCellXMLBytes bounds the XML of one cell or one shared string,
	// markup included (rich-text runs, entities), before excelize decodes
	// it: 32,767 characters of 4 bytes each, escaped, with room for runs.
	maxCellXMLBytes = 1 << 20

	// maxCSVLineBytes bounds one line of a CSV file, so that encoding/csv
	// never buffers more than this for a record of ordinary lines.
	maxCSVLineBytes = 1 << 20

	// maxUnzipBytes bounds a workbook's parts once decompressed, as the
	// zip headers declare them (excelize refuses more). 100,000 devices
	// take about 40 MB.
	maxUnzipBytes = 1 << 30

	// maxPartBytes bounds the parts excelize holds whole once
	// decompressed: the shared strings table (100,000 devices of distinct
	// owners and names take about 15 MB), styles, themes, drawings.
	maxPartBytes = 64 << 20

	// shownChars is how much of an oversized value a message quotes.
	shownChars = 40
)

// clipValue returns the start of an oversized value for a message.
func clipValue(s string) string {
	n := 0
	for i := range s {
		if n == shownChars {
			return strings.ToValidUTF8(s[:i], "?") + "..."
		}
		n++
	}
	return strings.ToValidUTF8(s, "?")
}

// checkCells reports each cell of row over MaxCellChars as a located problem;
// it returns false when there was one (the row is then left out: it cannot
// be valid).
func (p *parser) checkCells(sheet string, h *header, row int, cells []string) bool {
	ok := true
	for i, c := range cells {
		if len(c) <= MaxCellChars {
			continue // a rune is at least one byte
		}
		n := utf8.RuneCountInString(c)
		if n <= MaxCellChars {
			continue
		}
		ok = false
		p.add(nil, p.pos(sheet, h, row, i), fmt.Sprintf("at most %d characters", MaxCellChars),
			"the cell holds %d characters, starting %q", n, clipValue(c))
	}
	return ok
}

// oversize is one cell (or shared string) the prescan refused.
type oversize struct {
	where string // "sheet Devices, cell B2" or "shared string #3"
	bytes int64  // XML bytes seen (at least maxCellXMLBytes+1)
	start string // the first bytes of its text
}

// prescanXLSX refuses a workbook with a cell (or a shared string a cell
// uses) whose XML is over maxCellXMLBytes, before excelize reads a byte of
// it: excelize holds the whole shared-strings table and each row in memory.
// It streams the parts through a small buffer and honours ctx between
// chunks. sheets maps the sheet names to scan to their parts.
func prescanXLSX(ctx context.Context, name string, zr *zip.Reader, sheets map[string]string) error {
	// Parts excelize holds whole (styles, themes, drawings) are bounded by
	// what their headers declare; archive/zip refuses a part longer than
	// its header says.
	for _, f := range zr.File {
		if !strings.HasPrefix(f.Name, "xl/worksheets/") && !strings.EqualFold(f.Name, "xl/sharedStrings.xml") && f.UncompressedSize64 > maxPartBytes {
			return unreadable(name, "part %s is %s once decompressed; at most %s", clipValue(f.Name), sizeText(int64(f.UncompressedSize64)), sizeText(maxPartBytes))
		}
	}
	big := map[int]oversize{}
	var sstBytes int64
	for _, f := range zr.File {
		if strings.EqualFold(f.Name, "xl/sharedStrings.xml") {
			n, err := scanElements(ctx, f, "si", func(i int, ref string, size int64, start string) {
				big[i] = oversize{where: fmt.Sprintf("shared string #%d", i), bytes: size, start: start}
			}, nil)
			if err != nil {
				return err
			}
			sstBytes = n
		}
	}
	var found []oversize
	used := map[int]bool{}
	for sheet, part := range sheets {
		f := zipFile(zr, part)
		if f == nil {
			continue
		}
		_, err := scanElements(ctx, f, "c", func(_ int, ref string, size int64, start string) {
			found = append(found, oversize{where: fmt.Sprintf("sheet %s, cell %s", sheet, ref), bytes: size, start: start})
		}, func(ref string, sst int) {
			if o, ok := big[sst]; ok {
				used[sst] = true
				found = append(found, oversize{where: fmt.Sprintf("sheet %s, cell %s", sheet, ref), bytes: o.bytes, start: o.start})
			}
		})
		if err != nil {
			return err
		}
	}
	for i, o := range big {
		if !used[i] {
			found = append(found, o)
		}
	}
	if len(found) == 0 {
		if sstBytes > maxPartBytes {
			// excelize holds the whole table in memory.
			return unreadable(name, "the shared strings table is %s of XML; at most %s", sizeText(sstBytes), sizeText(maxPartBytes))
		}
		return nil
	}
	var b strings.Builder
	for i, o := range found {
		if i == 5 {
			fmt.Fprintf(&b, "; and %d more", len(found)-i)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s holds %s of XML, starting %q", o.where, sizeText(o.bytes), clipValue(o.start))
	}
	return unreadable(name, "%s: over the limit of %d characters a cell may hold", b.String(), MaxCellChars)
}

func sizeText(n int64) string {
	switch {
	case n >= 1<<20:
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB"
	case n >= 1<<10:
		return strconv.FormatFloat(float64(n)/(1<<10), 'f', 1, 64) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

func zipFile(zr *zip.Reader, name string) *zip.File {
	for _, f := range zr.File {
		if f.Name == name {
			return f
		}
	}
	return nil
}

// scanElements streams the XML part f and calls over for every <elem>
// element whose bytes (markup included) exceed maxCellXMLBytes, with its
// index among elem elements, its r attribute and the start of its text.
// For cells (elem "c") of shared-string type it calls sst with the cell's
// reference and index. It is a byte scanner, not an XML parser: it needs
// only element boundaries, and never holds more than a buffer.
func scanElements(ctx context.Context, f *zip.File, elem string, over func(i int, ref string, size int64, start string), sst func(ref string, idx int)) (int64, error) {
	rc, err := f.Open()
	if err != nil {
		return 0, fmt.Errorf("%s: %w", f.Name, err)
	}
	defer rc.Close()
	br := bufio.NewReaderSize(rc, 64<<10)
	var (
		pos, start int64
		open       bool
		index      = -1
		ref        string
		shared     bool
		text       []byte
		chunks     int
	)
	closeElem := func() {
		// The element is counted to its end for the message; its bytes
		// are never kept beyond the start of its text.
		if open && pos-start > maxCellXMLBytes {
			t := text
			if i := bytes.LastIndexByte(t, '>'); i >= 0 {
				t = t[i+1:]
			}
			over(index, ref, pos-start, string(bytes.TrimSuffix(t, []byte("<"))))
		}
		open = false
	}
	for {
		if chunks++; chunks%64 == 0 {
			if err := ctx.Err(); err != nil {
				return pos, err
			}
		}
		chunk, err := br.ReadSlice('<')
		pos += int64(len(chunk))
		if open && len(text) < 4*shownChars {
			text = append(text, chunk[:min(len(chunk), 4*shownChars-len(text))]...)
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			closeElem()
			return pos, nil
		case err != nil:
			return pos, fmt.Errorf("%s: %w", f.Name, err)
		}
		// After '<': the tag's local name decides (strict OOXML files may
		// prefix it: <x:c>).
		head, _ := br.Peek(32)
		closing := len(head) > 0 && head[0] == '/'
		local := head
		if closing {
			local = local[1:]
		}
		if i := bytes.IndexByte(local, ':'); i >= 0 && bytes.IndexFunc(local[:i], func(r rune) bool { return r < 128 && isNameEnd(byte(r)) }) < 0 {
			local = local[i+1:]
		}
		isElem := bytes.HasPrefix(local, []byte(elem)) && len(local) > len(elem) && isNameEnd(local[len(elem)])
		switch {
		case isElem && !closing:
			closeElem()
			open, start, index, ref, shared, text = true, pos-1, index+1, "", false, text[:0]
			attrs, _ := br.Peek(256)
			if i := bytes.IndexByte(attrs, '>'); i >= 0 {
				if i > 0 && attrs[i-1] == '/' {
					open = false // <c r="A1"/>: empty, and nothing after it is its
				}
				attrs = attrs[:i]
			}
			if elem == "c" {
				ref = attrValue(attrs, "r")
				shared = attrValue(attrs, "t") == "s"
			}
		case isElem && closing:
			closeElem()
		case open && shared && sst != nil && !closing && bytes.HasPrefix(local, []byte("v>")):
			v := local[2:]
			if i := bytes.IndexByte(v, '<'); i >= 0 {
				if n, err := strconv.Atoi(string(bytes.TrimSpace(v[:i]))); err == nil {
					sst(ref, n)
				}
			}
		case closing && (bytes.HasPrefix(local, []byte("row")) || bytes.HasPrefix(local, []byte("sheetData")) || bytes.HasPrefix(local, []byte("sst"))):
			// The end of a row or of the data closes a cell whose own end
			// tag is missing: what follows (merges, extensions) is no cell's.
			closeElem()
		}
	}
}

func isNameEnd(c byte) bool {
	return c == ' ' || c == '>' || c == '/' || c == '\t' || c == '\n' || c == '\r'
}

// attrValue returns the value of attribute name in the start tag attrs.
func attrValue(attrs []byte, name string) string {
	for i := 0; i < len(attrs); {
		j := bytes.Index(attrs[i:], []byte(name+`="`))
		if j < 0 {
			return ""
		}
		j += i
		if j == 0 || isNameEnd(attrs[j-1]) {
			rest := attrs[j+len(name)+2:]
			if k := bytes.IndexByte(rest, '"'); k >= 0 {
				return string(rest[:k])
			}
			return ""
		}
		i = j + 1
	}
	return ""
}

// checkedReader streams a CSV file through the checks its whole content
// must pass: no NUL byte, valid UTF-8, no line over maxCSVLineBytes; the
// first failure is located by line. It honours ctx on every read.
type checkedReader struct {
	ctx     context.Context
	r       io.Reader
	carry   []byte // an incomplete rune at the end of the last read
	line    int    // the current line, 1-based
	lineLen int
}

// errBadText marks an error from the CSV content checks.
var errBadText = errors.New("bad text")

type textError struct{ msg string }

func (e *textError) Error() string { return e.msg }
func (e *textError) Unwrap() error { return errBadText }

func newCheckedReader(ctx context.Context, r io.Reader) *checkedReader {
	return &checkedReader{ctx: ctx, r: r, line: 1}
}

func (c *checkedReader) Read(b []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := c.r.Read(b)
	if cerr := c.check(b[:n]); cerr != nil {
		return 0, cerr
	}
	if errors.Is(err, io.EOF) && len(c.carry) > 0 {
		return 0, &textError{fmt.Sprintf("line %d: the file ends inside a UTF-8 character; save it as CSV UTF-8", c.line)}
	}
	return n, err
}

func (c *checkedReader) check(b []byte) error {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return &textError{fmt.Sprintf("line %d: a NUL byte: not CSV text (a binary file, or UTF-16; save it as CSV UTF-8)", c.line+bytes.Count(b[:i], []byte{'\n'}))}
	}
	// Validate UTF-8 across read boundaries: an incomplete rune at the end
	// is carried over to the next read (and is an error at the end).
	data := b
	if len(c.carry) > 0 {
		data = append(c.carry, b...)
		c.carry = nil
	}
	tail := incompleteTail(data)
	if !utf8.Valid(data[:len(data)-tail]) {
		bad := 0
		for i := 0; i < len(data)-tail; {
			r, size := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && size == 1 {
				bad = i
				break
			}
			i += size
		}
		return c.badUTF8(data, bad)
	}
	if tail > 0 {
		c.carry = append([]byte(nil), data[len(data)-tail:]...)
	}
	// Lines: count them and bound their length.
	for rest := b; ; {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			c.lineLen += len(rest)
			break
		}
		c.lineLen += i
		if c.lineLen > maxCSVLineBytes {
			break
		}
		c.line++
		c.lineLen = 0
		rest = rest[i+1:]
	}
	if c.lineLen > maxCSVLineBytes {
		return &textError{fmt.Sprintf("line %d is longer than %d bytes: no inventory line is (a cell holds at most %d characters)", c.line, maxCSVLineBytes, MaxCellChars)}
	}
	return nil
}

func (c *checkedReader) badUTF8(b []byte, at int) error {
	return &textError{fmt.Sprintf("line %d: bytes that are not UTF-8 text; save it as CSV UTF-8", c.line+bytes.Count(b[:at], []byte{'\n'}))}
}

// incompleteTail returns how many bytes at the end of b start a rune that
// the next read completes (0 when b ends on a whole rune, or on bytes that
// no continuation can make valid, which utf8.Valid then refuses).
func incompleteTail(b []byte) int {
	for k := 1; k < utf8.UTFMax && k <= len(b); k++ {
		if utf8.RuneStart(b[len(b)-k]) {
			if utf8.FullRune(b[len(b)-k:]) {
				return 0
			}
			return k
		}
	}
	return 0
}
