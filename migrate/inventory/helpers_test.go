package inventory

import (
	"archive/zip"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// stdHeader is the header most test workbooks use.
var stdHeader = []string{"mac", "type", "make", "model", "owner", "owner_type", "location", "lines", "sip_password"}

// okRow returns a valid Yealink T54W row, unique by i.
func okRow(i int) []string {
	return []string{
		fmt.Sprintf("80:5E:C0:00:00:%02X", i), "phone", "Yealink", "T54W",
		fmt.Sprintf("user%02d@acme-dental.example", i), "person", "Lyon HQ", "",
		fmt.Sprintf("Str0ng!Pw%02d", i),
	}
}

// inTemp runs the test in a fresh directory, so that problems read
// "inv.xlsx:Devices:2:A: ..." whatever the temporary path.
func inTemp(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Chdir(dir)
	return dir
}

// xlsxFile writes rows (row 1 first) to sheet Devices of name, as text
// cells, then lets edit change the workbook (merges, a Lines sheet).
func xlsxFile(t *testing.T, name string, rows [][]string, edit ...func(f *excelize.File)) string {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", "Devices"); err != nil {
		t.Fatal(err)
	}
	setRows(t, f, "Devices", rows)
	for _, e := range edit {
		e(f)
	}
	if err := f.SaveAs(name); err != nil {
		t.Fatal(err)
	}
	return name
}

func setRows(t *testing.T, f *excelize.File, sheet string, rows [][]string) {
	t.Helper()
	for i, r := range rows {
		if r == nil {
			continue // leaves the row out of the XML entirely
		}
		for j, v := range r {
			cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
			if err := f.SetCellStr(sheet, cell, v); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// rawXLSX writes a minimal workbook whose Devices sheet is the given
// <sheetData> content (and any elements after it), for what excelize cannot
// write: cached formula values, numbers Excel made of MACs.
func rawXLSX(t *testing.T, name, sheetData, after string) string {
	t.Helper()
	parts := map[string]string{
		"[Content_Types].xml": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`,
		"_rels/.rels": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
		"xl/workbook.xml": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Devices" sheetId="1" r:id="rId1"/></sheets></workbook>`,
		"xl/_rels/workbook.xml.rels": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`,
		"xl/worksheets/sheet1.xml": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>` + sheetData + `</sheetData>` + after + `</worksheet>`,
	}
	writeZip(t, name, parts)
	return name
}

// rawRow renders one <row> of inline-string cells; a value starting with
// "<c" is taken as the cell's raw XML.
func rawRow(r int, vals ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<row r="%d">`, r)
	for i, v := range vals {
		cell, _ := excelize.CoordinatesToCellName(i+1, r)
		if strings.HasPrefix(v, "<c") {
			b.WriteString(strings.ReplaceAll(v, "REF", cell))
			continue
		}
		if v == "" {
			continue
		}
		fmt.Fprintf(&b, `<c r="%s" t="inlineStr"><is><t xml:space="preserve">%s</t></is></c>`, cell, v)
	}
	b.WriteString(`</row>`)
	return b.String()
}

// problems renders inv's problems as strings.
func problems(inv *Inventory) []string {
	out := make([]string, len(inv.Problems))
	for i, p := range inv.Problems {
		out[i] = p.String()
	}
	return out
}

// wantProblems fails unless the problems are exactly want, in order.
func wantProblems(t *testing.T, inv *Inventory, want ...string) {
	t.Helper()
	got := problems(inv)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n got: %s\nwant: %s", strings.Join(got, "\n      "), strings.Join(want, "\n      "))
	}
}

func mustRead(t *testing.T, path string, opts Options) *Inventory {
	t.Helper()
	inv, err := Read(path, opts)
	if err != nil {
		t.Fatalf("Read(%s): %v", path, err)
	}
	return inv
}

func macs(inv *Inventory) []string {
	var out []string
	for _, d := range inv.Devices {
		out = append(out, d.MAC)
	}
	return out
}

func writeFile(t *testing.T, name string, b []byte) string {
	t.Helper()
	if err := os.WriteFile(name, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return filepath.Clean(name)
}

// writeZip writes a zip archive of parts (name to content) in name order,
// which puts [Content_Types].xml before the lower-case part names.
func writeZip(t *testing.T, name string, parts map[string]string) {
	t.Helper()
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for _, n := range slices.Sorted(maps.Keys(parts)) {
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(parts[n])); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}
