package inventory

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

func TestWriteErrorsMarksCells(t *testing.T) {
	inTemp(t)
	bad := okRow(2)
	bad[0], bad[8] = "805EC00000G2", "weak"
	src := xlsxFile(t, "inv.xlsx", [][]string{stdHeader, okRow(1), bad})
	inv := mustRead(t, src, Options{})
	if len(inv.Problems) != 2 {
		t.Fatalf("problems %v", problems(inv))
	}
	f := writeAndOpenErrors(t, inv, src, "marked.xlsx")
	st, err := os.Stat("marked.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", st.Mode().Perm())
	}
	if got := f.GetSheetList(); !slices.Equal(got, []string{"Devices", "Errors"}) {
		t.Errorf("sheets %v", got)
	}
	// The data is a faithful copy.
	if v, _ := f.GetCellValue("Devices", "A3"); v != "805EC00000G2" {
		t.Errorf("A3 = %q", v)
	}
	assertRed(t, f, "Devices", "A3", true)
	assertRed(t, f, "Devices", "I3", true)
	assertRed(t, f, "Devices", "A2", false)
	comments, err := f.GetComments("Devices")
	if err != nil {
		t.Fatal(err)
	}
	notes := map[string]string{}
	for _, c := range comments {
		var text strings.Builder
		for _, p := range c.Paragraph {
			text.WriteString(p.Text)
		}
		notes[c.Cell] = text.String()
	}
	if !strings.Contains(notes["A3"], `mac "805EC00000G2" has a non-hex character 'G'`) ||
		!strings.Contains(notes["I3"], "sip_password does not meet the password policy") || len(notes) != 2 {
		t.Errorf("comments %q", notes)
	}
	rows, err := f.GetRows("Errors")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[1][0] != "inv.xlsx:Devices:3:A" || rows[2][3] != "I" || rows[2][4] != "sip_password" {
		t.Errorf("Errors sheet %q", rows)
	}
	for _, r := range rows {
		for _, c := range r {
			if strings.Contains(c, "weak") {
				t.Errorf("Errors sheet echoes the password: %q", c)
			}
		}
	}
	if err := WriteErrors(inv, src, src); err == nil {
		t.Error("WriteErrors overwrote its source")
	}
}

func TestWriteErrorsFromCSV(t *testing.T) {
	inTemp(t)
	src := writeFile(t, "inv.csv", []byte("mac;make;model;owner\n\n805EC0000001;Yealink;T54W;a@acme-dental.example\n805EC0000002;Yealink;T99;b@acme-dental.example\n"))
	inv := mustRead(t, src, Options{})
	wantProblems(t, inv, `inv.csv::4:C: make and model "Yealink T99" are not in the model catalog (expected one of Yealink T54W, Yealink T57W, Yealink T46U, Poly VVX 450, Poly Edge E350, Grandstream GRP2614, AudioCodes MP-114, AudioCodes MP-118, AudioCodes MP-1288, Generic SIP Phone)`)
	f := writeAndOpenErrors(t, inv, src, "marked.xlsx")
	// Rows keep the CSV's line numbers, so that C4 is the cell named.
	if v, _ := f.GetCellValue("Devices", "C4"); v != "T99" {
		t.Errorf("C4 = %q", v)
	}
	if v, _ := f.GetCellValue("Devices", "A3"); v != "805EC0000001" {
		t.Errorf("A3 = %q", v)
	}
	assertRed(t, f, "Devices", "C4", true)
}

// writeAndOpenErrors writes inv's problems marked on a copy of src to dst
// with WriteErrors and opens the copy for the test, closing it at cleanup.
func writeAndOpenErrors(t *testing.T, inv *Inventory, src, dst string) *excelize.File {
	t.Helper()
	if err := WriteErrors(inv, src, dst); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenFile(dst)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func assertRed(t *testing.T, f *excelize.File, sheet, cell string, want bool) {
	t.Helper()
	id, err := f.GetCellStyle(sheet, cell)
	if err != nil {
		t.Fatal(err)
	}
	st, err := f.GetStyle(id)
	if err != nil {
		t.Fatal(err)
	}
	red := len(st.Fill.Color) > 0 && strings.EqualFold(st.Fill.Color[0], "FFC7CE")
	if red != want {
		t.Errorf("%s!%s red = %v, want %v (fill %+v)", sheet, cell, red, want, st.Fill)
	}
}

func TestWriteErrorsStreamsLargeInventories(t *testing.T) {
	inTemp(t)
	defer func(n int) { streamErrorsAbove = n }(streamErrorsAbove)
	streamErrorsAbove = 0
	bad := okRow(2)
	bad[0], bad[8] = "805EC00000G2", "weak"
	src := xlsxFile(t, "inv.xlsx", [][]string{stdHeader, okRow(1), bad}, func(f *excelize.File) {
		if _, err := f.NewSheet("Lines"); err != nil {
			t.Fatal(err)
		}
		setRows(t, f, "Lines", [][]string{{"mac", "port", "owner"}, {"805EC0000077", "2", "x@acme-dental.example"}})
	})
	inv := mustRead(t, src, Options{})
	if len(inv.Problems) != 3 {
		t.Fatalf("problems %v", problems(inv))
	}
	f := writeAndOpenErrors(t, inv, src, "marked.xlsx")
	if got := f.GetSheetList(); !slices.Equal(got, []string{"Devices", "Lines", "Errors"}) {
		t.Errorf("sheets %v", got)
	}
	rows, err := f.GetRows("Devices")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || len(rows[0]) < 10 || len(rows[2]) < 10 || rows[0][9] != ProblemsHeader || rows[2][0] != "805EC00000G2" || len(rows[1]) != 9 ||
		!strings.Contains(rows[2][9], `A: mac "805EC00000G2" has a non-hex character 'G'`) ||
		!strings.Contains(rows[2][9], "I: sip_password does not meet the password policy") {
		t.Errorf("Devices %q", rows)
	}
	assertRed(t, f, "Devices", "A3", true)
	assertRed(t, f, "Devices", "I3", true)
	assertRed(t, f, "Devices", "B3", false)
	assertRed(t, f, "Lines", "A2", true)
	if lines, _ := f.GetRows("Lines"); len(lines) != 2 || len(lines[1]) < 4 || !strings.Contains(lines[1][3], "is not on the devices sheet") {
		t.Errorf("Lines %q", lines)
	}
	if errs, _ := f.GetRows("Errors"); len(errs) != 4 {
		t.Errorf("Errors %q", errs)
	}

	csvSrc := writeFile(t, "inv.csv", []byte("mac,make,model,owner\n805EC0000001,Yealink,T99,a@acme-dental.example\n"))
	inv = mustRead(t, csvSrc, Options{})
	g := writeAndOpenErrors(t, inv, csvSrc, "marked-csv.xlsx")
	if rows, _ := g.GetRows("Devices"); len(rows) != 2 || len(rows[0]) < 5 || len(rows[1]) < 5 || rows[0][4] != ProblemsHeader || !strings.Contains(rows[1][4], "C: make and model") {
		t.Errorf("CSV copy %q", rows)
	}
	assertRed(t, g, "Devices", "C2", true)
}

// A workbook without xl/styles.xml (written by other tools; Excel opens
// it) is marked like any other: excelize has no style sheet to add to, and
// once panicked on it.
func TestWriteErrorsWithoutStylesPart(t *testing.T) {
	inTemp(t)
	bad := okRow(2)
	bad[0] = "not-a-mac"
	src := rawXLSX(t, "nostyles.xlsx", rawRow(1, stdHeader...)+rawRow(2, bad...), "")
	inv := mustRead(t, src, Options{})
	if inv.Valid() {
		t.Fatal("the bad MAC passed")
	}
	if err := WriteErrors(inv, src, "marked.xlsx"); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenFile("marked.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(ErrorsSheet)
	if err != nil || len(rows) != 2 {
		t.Fatalf("errors sheet: %d rows, %v", len(rows), err)
	}
}
