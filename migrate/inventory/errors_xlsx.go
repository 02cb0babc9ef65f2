package inventory

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/cutover-dev/cutover/internal/atomicfile"
	"github.com/xuri/excelize/v2"
)

// ErrorsSheet is the sheet WriteErrors adds to list every problem.
const ErrorsSheet = "Errors"

// StreamErrorsAbove is the inventory size (data rows) above which
// WriteErrors streams its copy: a faithful copy of a 100,000-row workbook
// with comments takes gigabytes of memory.
const StreamErrorsAbove = 20_000

var streamErrorsAbove = StreamErrorsAbove // tests lower it

// ProblemsHeader heads the column a streamed errors copy adds to each sheet.
const ProblemsHeader = "cutover problems"

// WriteErrors writes to out a copy of the inventory src (for a CSV file: a
// new workbook holding its rows at the same row numbers) with every cell a
// problem names filled red and carrying a comment that says what is wrong,
// plus an Errors sheet listing all problems. Above StreamErrorsAbove rows
// the copy is streamed instead: cell values as text without the original
// formatting, bad cells red, and the messages in a last column headed
// ProblemsHeader rather than in comments. out is written 0600 (the
// inventory may hold SIP passwords) by a rename, so a failed write leaves no
// half file; out may not be src.
func WriteErrors(in *Inventory, src, out string) error {
	if same(src, out) {
		return fmt.Errorf("writing errors workbook %s: it would overwrite the inventory", out)
	}
	var f *excelize.File
	var err error
	if in.Rows > streamErrorsAbove {
		f, err = streamedCopy(in, src)
	} else {
		f, err = openAsWorkbook(src)
		if err == nil {
			err = markProblems(f, in.Problems)
		}
	}
	if f != nil {
		defer f.Close()
	}
	if err != nil {
		return fmt.Errorf("writing errors workbook %s: %w", out, err)
	}
	if err := writeFile0600(out, func(w io.Writer) (int64, error) { return f.WriteTo(w) }); err != nil {
		return fmt.Errorf("writing errors workbook %s: %w", out, err)
	}
	return nil
}

func same(a, b string) bool {
	sa, err1 := os.Stat(a)
	sb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(sa, sb)
}

// csvSheet names the sheet a CSV inventory becomes in the errors workbook.
const csvSheet = DevicesSheet

func openAsWorkbook(src string) (*excelize.File, error) {
	b, err := os.ReadFile(src)
	if err != nil {
		return nil, err
	}
	kind, err := sniff(src, b[:min(len(b), 64<<10)])
	if err != nil {
		return nil, err
	}
	if kind == formatXLSX {
		if b, err = withStylesPart(b); err != nil {
			return nil, unreadable(src, "%v", err)
		}
		f, err := excelize.OpenReader(bytes.NewReader(b))
		if err != nil {
			return nil, unreadable(src, "%v", err)
		}
		return f, nil
	}
	b = bytes.TrimPrefix(b, []byte{0xEF, 0xBB, 0xBF})
	cr := csv.NewReader(bufio.NewReader(bytes.NewReader(b)))
	cr.Comma = sniffComma(b[:min(len(b), 64<<10)])
	cr.FieldsPerRecord = -1
	f := excelize.NewFile()
	if err := f.SetSheetName("Sheet1", csvSheet); err != nil {
		f.Close()
		return nil, err
	}
	text, err := f.NewStyle(&excelize.Style{NumFmt: 49}) // "@": keep MACs and passwords as typed
	if err != nil {
		f.Close()
		return nil, err
	}
	last := 0
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				continue // the row is reported as a problem; nothing to copy
			}
			f.Close()
			return nil, err
		}
		row, _ := cr.FieldPos(0)
		cell, _ := excelize.CoordinatesToCellName(1, row)
		vals := make([]any, len(rec))
		for i, v := range rec {
			vals[i] = v
		}
		if err := f.SetSheetRow(csvSheet, cell, &vals); err != nil {
			f.Close()
			return nil, err
		}
		last = max(last, len(rec))
	}
	if last > 0 {
		col, _ := excelize.ColumnNumberToName(last)
		_ = f.SetColStyle(csvSheet, "A:"+col, text)
	}
	return f, nil
}

// markProblems paints the cells problems name and lists them on a new
// Errors sheet.
func markProblems(f *excelize.File, problems []Problem) error {
	red, err := f.NewStyle(&excelize.Style{
		Fill:   excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFC7CE"}},
		Font:   &excelize.Font{Color: "9C0006"},
		NumFmt: 49,
	})
	if err != nil {
		return err
	}
	type cellKey struct{ sheet, cell string }
	notes := map[cellKey][]string{}
	var keys []cellKey
	for _, p := range problems {
		sheet := p.Pos.Sheet
		if sheet == "" {
			sheet = csvSheet
		}
		if idx, _ := f.GetSheetIndex(sheet); idx < 0 || p.Pos.Row < 1 {
			continue
		}
		col := p.Pos.Column
		if col == "" {
			col = "A" // a problem about a whole row (or the header)
		}
		k := cellKey{sheet, col + fmt.Sprint(p.Pos.Row)}
		if _, ok := notes[k]; !ok {
			keys = append(keys, k)
		}
		note := p.Message
		if p.Expected != "" {
			note += " (expected " + p.Expected + ")"
		}
		notes[k] = append(notes[k], note)
	}
	for _, k := range keys {
		if err := f.SetCellStyle(k.sheet, k.cell, k.cell, red); err != nil {
			return err
		}
		_ = f.DeleteComment(k.sheet, k.cell)
		text := strings.Join(notes[k], "\n")
		if err := f.AddComment(k.sheet, excelize.Comment{
			Cell: k.cell, Author: "cutover",
			Paragraph: []excelize.RichTextRun{{Text: "cutover:\n", Font: &excelize.Font{Bold: true}}, {Text: text}},
		}); err != nil {
			return err
		}
	}
	return writeErrorsSheet(f, problems)
}

func writeErrorsSheet(f *excelize.File, problems []Problem) error {
	if idx, _ := f.GetSheetIndex(ErrorsSheet); idx >= 0 {
		if err := f.DeleteSheet(ErrorsSheet); err != nil {
			return err
		}
	}
	if _, err := f.NewSheet(ErrorsSheet); err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"D9D9D9"}}})
	if err != nil {
		return err
	}
	head := []any{"Location", "Sheet", "Row", "Column", "Header", "Problem", "Expected"}
	if err := f.SetSheetRow(ErrorsSheet, "A1", &head); err != nil {
		return err
	}
	_ = f.SetCellStyle(ErrorsSheet, "A1", "G1", bold)
	for i, p := range problems {
		sheet := p.Pos.Sheet
		if sheet == "" {
			sheet = csvSheet
		}
		row := []any{p.Pos.String(), sheet, p.Pos.Row, p.Pos.Column, p.Pos.Header, p.Message, p.Expected}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := f.SetSheetRow(ErrorsSheet, cell, &row); err != nil {
			return err
		}
	}
	for col, w := range map[string]float64{"A": 34, "B": 10, "C": 6, "D": 7, "E": 14, "F": 70, "G": 60} {
		_ = f.SetColWidth(ErrorsSheet, col, col, w)
	}
	_ = f.SetPanes(ErrorsSheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"})
	if len(problems) > 0 {
		last := fmt.Sprintf("G%d", len(problems)+1)
		_ = f.AutoFilter(ErrorsSheet, "A1:"+last, nil)
	}
	if idx, err := f.GetSheetIndex(ErrorsSheet); err == nil {
		f.SetActiveSheet(idx)
	}
	return nil
}

// writeFile0600 replaces path through the module's atomic-write helper,
// mode 0600: the copy holds the inventory's SIP passwords.
func writeFile0600(path string, write func(io.Writer) (int64, error)) error {
	return atomicfile.WriteFunc(path, 0o600, false, func(w io.Writer) error {
		_, err := write(w)
		return err
	})
}

// streamedCopy copies src sheet by sheet through StreamWriters, marking the
// cells problems name, and adds the Errors sheet, in bounded memory.
func streamedCopy(in *Inventory, src string) (*excelize.File, error) {
	type cell struct{ row, col int }
	bad := map[string]map[cell]bool{}      // sheet -> cells
	notes := map[string]map[int][]string{} // sheet -> row -> messages
	for _, p := range in.Problems {
		sheet := p.Pos.Sheet
		if sheet == "" {
			sheet = csvSheet
		}
		if bad[sheet] == nil {
			bad[sheet], notes[sheet] = map[cell]bool{}, map[int][]string{}
		}
		col, _ := excelize.ColumnNameToNumber(p.Pos.Column)
		bad[sheet][cell{p.Pos.Row, max(col, 1)}] = true
		note := p.Pos.Column + ": " + p.Message
		if p.Expected != "" {
			note += " (expected " + p.Expected + ")"
		}
		notes[sheet][p.Pos.Row] = append(notes[sheet][p.Pos.Row], note)
	}
	nf := excelize.NewFile()
	red, err := nf.NewStyle(&excelize.Style{
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFC7CE"}},
		Font: &excelize.Font{Color: "9C0006"}, NumFmt: 49,
	})
	if err != nil {
		return nf, err
	}
	first := true
	copySheet := func(name string, next func() (int, []string, bool)) error {
		if first {
			if err := nf.SetSheetName("Sheet1", name); err != nil {
				return err
			}
			first = false
		} else if _, err := nf.NewSheet(name); err != nil {
			return err
		}
		sw, err := nf.NewStreamWriter(name)
		if err != nil {
			return err
		}
		probCol := 0
		for {
			row, cells, ok := next()
			if !ok {
				break
			}
			if probCol == 0 && !blank(cells) {
				probCol = len(cells) + 1 // after the header row's last column
			}
			msgs := notes[name][row]
			if len(cells) == 0 && len(msgs) == 0 {
				continue
			}
			vals := make([]any, len(cells))
			for i, v := range cells {
				c := excelize.Cell{Value: v}
				if bad[name][cell{row, i + 1}] {
					c.StyleID = red
				}
				vals[i] = c
			}
			if pc := max(probCol, len(cells)+1); len(msgs) > 0 {
				for len(vals) < pc-1 {
					vals = append(vals, nil)
				}
				vals = append(vals, excelize.Cell{StyleID: red, Value: strings.Join(msgs, "\n")})
			} else if row == in.HeaderRow && name == sheetOrDevices(in.Sheet) {
				for len(vals) < pc-1 {
					vals = append(vals, nil)
				}
				vals = append(vals, ProblemsHeader)
			}
			ref, _ := excelize.CoordinatesToCellName(1, row)
			if err := sw.SetRow(ref, vals); err != nil {
				return err
			}
		}
		return sw.Flush()
	}
	if in.Sheet == "" { // CSV
		b, err := os.ReadFile(src)
		if err != nil {
			return nf, err
		}
		b = bytes.TrimPrefix(b, []byte{0xEF, 0xBB, 0xBF})
		cr := csv.NewReader(bytes.NewReader(b))
		cr.Comma = sniffComma(b[:min(len(b), 64<<10)])
		cr.FieldsPerRecord = -1
		err = copySheet(csvSheet, func() (int, []string, bool) {
			for {
				rec, err := cr.Read()
				if err != nil {
					var pe *csv.ParseError
					if errors.As(err, &pe) {
						continue
					}
					return 0, nil, false
				}
				row, _ := cr.FieldPos(0)
				return row, rec, true
			}
		})
		if err != nil {
			return nf, err
		}
	} else {
		wb, err := excelize.OpenFile(src)
		if err != nil {
			return nf, err
		}
		defer wb.Close()
		for _, name := range wb.GetSheetList() {
			if strings.EqualFold(name, ErrorsSheet) {
				continue
			}
			rows, err := wb.Rows(name)
			if err != nil {
				return nf, err
			}
			n := 0
			err = copySheet(name, func() (int, []string, bool) {
				if !rows.Next() {
					return 0, nil, false
				}
				n++
				cells, _ := rows.Columns(excelize.Options{RawCellValue: true})
				return n, cells, true
			})
			rows.Close()
			if err != nil {
				return nf, err
			}
		}
	}
	return nf, writeErrorsSheet(nf, in.Problems)
}

func sheetOrDevices(s string) string {
	if s == "" {
		return csvSheet
	}
	return s
}

// minimalStyles is the smallest style sheet Excel accepts: one font, the
// two fills every sheet has, one border, the Normal style.
const minimalStyles = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>`

// withStylesPart returns the workbook b with a style sheet: a workbook
// without xl/styles.xml is valid (other tools write them), but excelize
// cannot add a style to it (NewStyle dereferences the missing sheet), and
// marking cells red needs one. A workbook that has one is returned as is.
func withStylesPart(b []byte) ([]byte, error) {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, err
	}
	for _, f := range zr.File {
		if strings.EqualFold(f.Name, "xl/styles.xml") {
			return b, nil
		}
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			return nil, err
		}
		body, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return nil, err
		}
		switch f.Name {
		case "[Content_Types].xml":
			body = bytes.Replace(body, []byte("</Types>"), []byte(`<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>`), 1)
		case "xl/_rels/workbook.xml.rels":
			body = bytes.Replace(body, []byte("</Relationships>"), []byte(`<Relationship Id="rIdCutoverStyles" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>`), 1)
		}
		w, err := zw.Create(f.Name)
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(body); err != nil {
			return nil, err
		}
	}
	w, err := zw.Create("xl/styles.xml")
	if err != nil {
		return nil, err
	}
	if _, err := io.WriteString(w, minimalStyles); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
