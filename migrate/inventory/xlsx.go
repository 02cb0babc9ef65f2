package inventory

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"strings"

	"github.com/xuri/excelize/v2"
)

// Sheet names the reader looks for (case-insensitively).
const (
	DevicesSheet = "Devices"
	LinesSheet   = "Lines"
)

// readXLSX streams the devices sheet (and the Lines sheet, if any) of the
// workbook in r.
func readXLSX(ctx context.Context, name string, r io.ReaderAt, size int64, opts Options) (*Inventory, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, unreadable(name, "not a valid .xlsx file (damaged or truncated zip: %v)", err)
	}
	if kind := zipKind(zr); kind != "" {
		return nil, unreadable(name, "%s, not an .xlsx workbook; save it as Excel Workbook (.xlsx) or CSV UTF-8", kind)
	}
	paths, err := sheetPaths(zr)
	if err != nil {
		return nil, unreadable(name, "not a valid .xlsx workbook (%v)", err)
	}
	// The cells excelize will read are bounded first: it holds the whole
	// shared-strings table, and a row, in memory.
	if err := prescanXLSX(ctx, name, zr, paths); err != nil {
		switch {
		case ctx.Err() != nil:
			return nil, fmt.Errorf("reading %s: %w", name, ctx.Err())
		case errors.Is(err, ErrUnreadable):
			return nil, err
		}
		return nil, unreadable(name, "not a valid .xlsx file (damaged zip: %v)", err)
	}
	wb, err := excelize.OpenReader(io.NewSectionReader(r, 0, size), excelize.Options{UnzipSizeLimit: maxUnzipBytes})
	if err != nil {
		if errors.Is(err, excelize.ErrWorkbookFileFormat) || errors.Is(err, excelize.ErrWorkbookPassword) {
			return nil, unreadable(name, "the workbook is encrypted (password-protected); save an unprotected copy")
		}
		return nil, unreadable(name, "not a valid .xlsx workbook (%v)", err)
	}
	defer wb.Close()
	sheets := wb.GetSheetList()
	if len(sheets) == 0 {
		return nil, unreadable(name, "the workbook has no sheet")
	}
	devices, lines := sheets[0], ""
	for _, s := range sheets {
		if strings.EqualFold(s, DevicesSheet) {
			devices = s
		}
	}
	for _, s := range sheets {
		if strings.EqualFold(s, LinesSheet) && s != devices {
			lines = s
		}
	}
	p := newParser(ctx, name, devices, opts)
	src, err := openSheet(wb, zr, paths, devices)
	if err != nil {
		return nil, unreadable(name, "sheet %s: %v", devices, err)
	}
	rows := newPrefetchRows(src)
	defer rows.Close()
	if err := p.readDevices(rows); err != nil {
		return nil, err
	}
	if lines != "" {
		src, err := openSheet(wb, zr, paths, lines)
		if err != nil {
			return nil, unreadable(name, "sheet %s: %v", lines, err)
		}
		rows := newPrefetchRows(src)
		defer rows.Close()
		if err := p.readLines(rows); err != nil {
			return nil, err
		}
	}
	return p.finish(), nil
}

// xlsxRows is a rowSource over one worksheet, streamed by excelize with raw
// cell values (number formatting is slow and loses what the cell holds).
type xlsxRows struct {
	sheet  string
	rows   *excelize.Rows
	row    int
	cells  []string
	err    error
	merges []mergeRange
}

func openSheet(wb *excelize.File, zr *zip.Reader, paths map[string]string, sheet string) (*xlsxRows, error) {
	var merges []mergeRange
	if p, ok := paths[sheet]; ok {
		var err error
		if merges, err = scanMerges(zr, p); err != nil {
			return nil, err
		}
	}
	rows, err := wb.Rows(sheet)
	if err != nil {
		return nil, err
	}
	return &xlsxRows{sheet: sheet, rows: rows, merges: merges}, nil
}

func (x *xlsxRows) Next() bool {
	if x.err != nil || !x.rows.Next() {
		if x.err == nil {
			x.err = x.rows.Error()
		}
		_ = x.rows.Close()
		return false
	}
	// Rows.Next visits every row number, including those missing from the
	// XML, so counting calls gives the spreadsheet row.
	x.row++
	x.cells, x.err = x.rows.Columns(excelize.Options{RawCellValue: true})
	if x.err != nil {
		x.err = fmt.Errorf("row %d: %w", x.row, x.err)
		_ = x.rows.Close()
		return false
	}
	return true
}

func (x *xlsxRows) Row() int             { return x.row }
func (x *xlsxRows) Cells() []string      { return x.cells }
func (x *xlsxRows) Err() error           { return x.err }
func (x *xlsxRows) Sheet() string        { return x.sheet }
func (x *xlsxRows) Merges() []mergeRange { return x.merges }

// mergeRange is one merged cell range, 1-based and inclusive.
type mergeRange struct {
	ref            string
	c1, r1, c2, r2 int
}

// sheetPaths maps sheet names to their worksheet part inside the zip.
func sheetPaths(zr *zip.Reader) (map[string]string, error) {
	var wb struct {
		Sheets []struct {
			Name string `xml:"name,attr"`
			RID  string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
		} `xml:"sheets>sheet"`
	}
	var rels struct {
		Rels []struct {
			ID     string `xml:"Id,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	if err := decodePart(zr, "xl/workbook.xml", &wb); err != nil {
		return nil, err
	}
	if err := decodePart(zr, "xl/_rels/workbook.xml.rels", &rels); err != nil {
		return nil, err
	}
	targets := make(map[string]string, len(rels.Rels))
	for _, r := range rels.Rels {
		t := r.Target
		if strings.HasPrefix(t, "/") {
			t = strings.TrimPrefix(t, "/")
		} else {
			t = path.Join("xl", t)
		}
		targets[r.ID] = t
	}
	out := make(map[string]string, len(wb.Sheets))
	for _, s := range wb.Sheets {
		if t, ok := targets[s.RID]; ok {
			out[s.Name] = t
		}
	}
	return out, nil
}

func decodePart(zr *zip.Reader, name string, v any) error {
	f, err := zr.Open(name)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	defer f.Close()
	if err := xml.NewDecoder(f).Decode(v); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// mergeRef finds <mergeCell ref="..."/> elements, namespace prefix or not.
// Text content cannot hold a literal '<', so a match is always an element.
var mergeRef = regexp.MustCompile(`<(?:[A-Za-z_][\w.-]*:)?mergeCell\b[^>]*?\bref="([^"]*)"`)

// scanMerges lists the merged ranges of the worksheet part at name. It scans
// the decompressed XML in chunks instead of loading the worksheet, so that a
// 100,000-row sheet costs one fast pass and no memory.
func scanMerges(zr *zip.Reader, name string) ([]mergeRange, error) {
	f, err := zr.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	const chunk, overlap = 256 << 10, 1 << 10
	buf := make([]byte, 0, chunk+overlap)
	seen := map[string]bool{}
	var out []mergeRange
	for {
		n, rerr := io.ReadFull(f, buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if bytes.Contains(buf, []byte("mergeCell")) {
			for _, m := range mergeRef.FindAllSubmatch(buf, -1) {
				ref := string(m[1])
				if seen[ref] {
					continue
				}
				seen[ref] = true
				if r, ok := parseRange(ref); ok {
					out = append(out, r)
				}
			}
		}
		if rerr != nil {
			if errors.Is(rerr, io.EOF) || errors.Is(rerr, io.ErrUnexpectedEOF) {
				return out, nil
			}
			return nil, rerr
		}
		// Keep the tail: a tag cut at the chunk edge is found next time.
		if len(buf) > overlap {
			buf = append(buf[:0], buf[len(buf)-overlap:]...)
		}
	}
}

func parseRange(ref string) (mergeRange, bool) {
	a, b, ok := strings.Cut(strings.ReplaceAll(ref, "$", ""), ":")
	if !ok {
		return mergeRange{}, false
	}
	c1, r1, err1 := excelize.CellNameToCoordinates(a)
	c2, r2, err2 := excelize.CellNameToCoordinates(b)
	if err1 != nil || err2 != nil {
		return mergeRange{}, false
	}
	return mergeRange{ref: strings.ReplaceAll(ref, "$", ""), c1: min(c1, c2), r1: min(r1, r2), c2: max(c1, c2), r2: max(r1, r2)}, true
}

// zipKind names what a zip that is no .xlsx workbook holds, or returns ""
// when it has a workbook part.
func zipKind(zr *zip.Reader) string {
	var mimetype *zip.File
	for _, f := range zr.File {
		switch {
		case strings.HasSuffix(f.Name, "/workbook.xml"):
			return ""
		case f.Name == "mimetype":
			mimetype = f
		}
	}
	if mimetype != nil {
		if rc, err := mimetype.Open(); err == nil {
			b, _ := io.ReadAll(io.LimitReader(rc, 200))
			rc.Close()
			if bytes.Contains(b, []byte("opendocument.spreadsheet")) {
				return "an OpenDocument spreadsheet (.ods)"
			}
			if bytes.Contains(b, []byte("opendocument")) {
				return "an OpenDocument file"
			}
		}
	}
	for _, f := range zr.File {
		if strings.HasPrefix(f.Name, "word/") {
			return "a Word document"
		}
	}
	return "a zip archive"
}
