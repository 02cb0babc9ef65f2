package inventory

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/cutover-dev/cutover/internal/racecheck"
)

// writeBomb writes a workbook whose one shared string (used by the owner
// cell E2) is n bytes of 'A': deflate makes 256 MiB about 260 KB. It is
// streamed, so building it costs no memory.
func writeBomb(t testing.TB, path string, n int64) {
	t.Helper()
	writeWithSST(t, path, func(bw *bufio.Writer) {
		bw.WriteString(`<si><t>`)
		chunk := bytes.Repeat([]byte{'A'}, 1<<20)
		for left := n; left > 0; left -= int64(len(chunk)) {
			bw.Write(chunk[:min(int64(len(chunk)), left)])
		}
		bw.WriteString(`</t></si>`)
	})
}

// writeWithSST writes a workbook whose owner cell E2 is shared string 0,
// with the shared strings table's <si> elements written by sst.
func writeWithSST(t testing.TB, path string, sst func(*bufio.Writer)) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zw := zip.NewWriter(f)
	part := func(name, body string) {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	part("[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>`)
	part("_rels/.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`)
	part("xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Devices" sheetId="1" r:id="rId1"/></sheets></workbook>`)
	part("xl/_rels/workbook.xml.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`)
	row := okRow(1)
	row[4] = `<c r="REF" t="s"><v>0</v></c>`
	part("xl/worksheets/sheet1.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`+rawRow(1, stdHeader...)+rawRow(2, row...)+`</sheetData></worksheet>`)
	w, err := zw.Create("xl/sharedStrings.xml")
	if err != nil {
		t.Fatal(err)
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	bw.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`)
	sst(bw)
	bw.WriteString(`</sst>`)
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
}

// The shared-string bomb of issue 11: refused before excelize reads it,
// with the cell located and the value cut short in the message. Set
// CUTOVER_WRITE_BOMB=path to keep the file for measuring `cutover validate`
// with /usr/bin/time -v.
func TestSharedStringBombIsRefusedAndLocated(t *testing.T) {
	size := int64(256 << 20)
	if testing.Short() {
		size = 4 << 20
	}
	path := filepath.Join(t.TempDir(), "bomb.xlsx")
	if keep := os.Getenv("CUTOVER_WRITE_BOMB"); keep != "" {
		path = keep
	}
	writeBomb(t, path, size)
	fi, _ := os.Stat(path)
	start := time.Now()
	_, err := Read(path, Options{})
	t.Logf("%d KB file, %d MiB shared string: refused in %s", fi.Size()>>10, size>>20, time.Since(start).Round(time.Millisecond))
	if !errors.Is(err, ErrUnreadable) {
		t.Fatalf("error %v, want ErrUnreadable", err)
	}
	msg := err.Error()
	for _, want := range []string{"sheet Devices, cell E2", "MiB of XML", `"AAAAAAAA`, "32767 characters"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error does not say %q:\n%s", want, msg)
		}
	}
	if len(msg) > 500 {
		t.Errorf("error is %d bytes: the value must not be echoed", len(msg))
	}
}

// A cell over Excel's limit but small enough for the reader is a located
// problem, its value cut short; the row is left out.
func TestCellOverLimitIsALocatedProblem(t *testing.T) {
	inTemp(t)
	long := strings.Repeat("x", MaxCellChars+1)
	row := okRow(1)
	row[6] = long // location
	// excelize cuts what it writes at the limit: write the XML directly.
	xlsx := rawXLSX(t, "inv.xlsx", rawRow(1, stdHeader...)+rawRow(2, row...)+rawRow(3, okRow(2)...), "")
	csvRows := strings.Join(stdHeader, ",") + "\n" + strings.Join(row, ",") + "\n" + strings.Join(okRow(2), ",") + "\n"
	csv := writeFile(t, "inv.csv", []byte(csvRows))
	for _, path := range []string{xlsx, csv} {
		inv := mustRead(t, path, Options{})
		if len(inv.Problems) != 1 || len(inv.Devices) != 1 {
			t.Fatalf("%s: %d problems, %d devices; want 1 and 1: %v", path, len(inv.Problems), len(inv.Devices), problems(inv))
		}
		p := inv.Problems[0]
		if p.Pos.Row != 2 || p.Pos.Column != "G" || !strings.Contains(p.Message, "32768 characters") || len(p.String()) > 300 {
			t.Errorf("%s: problem %q", path, p.String())
		}
	}
	// At the limit is fine.
	row[6] = long[:MaxCellChars]
	inv := mustRead(t, xlsxFile(t, "ok.xlsx", [][]string{stdHeader, row}), Options{})
	if !inv.Valid() {
		t.Errorf("a cell of exactly %d characters: %v", MaxCellChars, problems(inv))
	}
}

// Owner e-mails: 1 MB (cell limit), 10 MB (the reader refuses the file)
// and 300 characters (longer than any e-mail address) are all refused.
func TestHugeOwnerEmailsAreRefused(t *testing.T) {
	inTemp(t)
	for _, n := range []int{300, 1_000_000, 10_000_000} {
		row := okRow(1)
		row[4] = strings.Repeat("a", n-len("@example.com")) + "@example.com"
		for _, path := range []string{
			xlsxFile(t, fmt.Sprintf("owner%d.xlsx", n), [][]string{stdHeader, row}),
			writeFile(t, fmt.Sprintf("owner%d.csv", n), []byte(strings.Join(stdHeader, ",")+"\n"+strings.Join(row, ",")+"\n")),
		} {
			inv, err := Read(path, Options{})
			switch {
			case err != nil:
				if !errors.Is(err, ErrUnreadable) || len(err.Error()) > 600 {
					t.Errorf("%s: error %.300q", path, err)
				}
			case inv.Valid() || len(inv.Devices) != 0:
				t.Errorf("%s: an owner of %d characters passed", path, n)
			default:
				if s := inv.Problems[0].String(); len(s) > 400 || !strings.Contains(s, ":2:E:") {
					t.Errorf("%s: problem %.400q", path, s)
				}
			}
		}
	}
}

// NUL bytes and invalid UTF-8 are found anywhere in a CSV file, not only
// in its first 64 KiB; characters split across read boundaries are fine.
func TestCSVWholeFileTextChecks(t *testing.T) {
	inTemp(t)
	var b strings.Builder
	b.WriteString(strings.Join(append(stdHeader, "note"), ",") + "\n")
	for i := 1; b.Len() < 300<<10; i++ {
		r := okRow(i % 250)
		r[0] = fmt.Sprintf("80:5E:C0:00:%02X:%02X", i>>8, i&0xff)
		r[4] = fmt.Sprintf("user%d@acme-dental.example", i)
		r[8] = fmt.Sprintf("Str0ng!Pw%05d", i)
		b.WriteString(strings.Join(append(r, strings.Repeat("é日本🙂", i%7+1)), ",") + "\n")
	}
	good := b.String()
	inv := mustRead(t, writeFile(t, "good.csv", []byte(good)), Options{})
	if !inv.Valid() {
		t.Fatalf("multi-byte text across read boundaries: %v", problems(inv)[:1])
	}
	lines := strings.Count(good, "\n")
	for name, bad := range map[string]string{
		"nul.csv":   good + "80:5E:C0:FF:00:01,phone\x00,Yealink\n",
		"latin.csv": good + "80:5E:C0:FF:00:01,phone,Yealink,T54W,caf\xe9@acme.example\n",
		"cut.csv":   good + "80:5E:C0:FF:00:01,\xe6\x97",
	} {
		_, err := Read(writeFile(t, name, []byte(bad)), Options{})
		if !errors.Is(err, ErrUnreadable) || !strings.Contains(err.Error(), fmt.Sprintf("line %d", lines+1)) {
			t.Errorf("%s: error %v, want unreadable at line %d", name, err, lines+1)
		}
	}
}

// 200,000 rows with one MAC: every row is a duplicate, found in linear
// time (this took 42 s quadratically).
func TestIdenticalMACsAreLinear(t *testing.T) {
	inTemp(t)
	n := 200_000
	if testing.Short() || racecheck.Enabled {
		n = 20_000
	}
	var b bytes.Buffer
	b.WriteString(strings.Join(stdHeader, ",") + "\n")
	row := strings.Join(okRow(1)[:8], ",")
	for range n {
		b.WriteString(row + ",\n")
	}
	start := time.Now()
	inv := mustRead(t, writeFile(t, "same.csv", b.Bytes()), Options{})
	t.Logf("%d identical MACs read in %s", n, time.Since(start).Round(time.Millisecond))
	// Every row is left out; the first MaxProblems are listed, the rest
	// counted.
	if len(inv.Problems) != MaxProblems+1 || inv.Unlisted != n-MaxProblems || len(inv.Devices) != 0 {
		t.Fatalf("%d problems listed, %d unlisted, %d devices; want %d, %d and 0", len(inv.Problems), inv.Unlisted, len(inv.Devices), MaxProblems+1, n-MaxProblems)
	}
	if s := inv.Problems[0].Message; !strings.Contains(s, fmt.Sprintf("rows 3, 4, 5, 6, 7 and %d more", n-6)) {
		t.Errorf("first duplicate says %q", s)
	}
	if s := inv.Problems[MaxProblems].Message; s != fmt.Sprintf("and %d more problems, not listed", n-MaxProblems) {
		t.Errorf("last problem says %q", s)
	}
}

// A cancelled context stops reading: the error wraps context.Canceled,
// which the CLI turns into exit 130.
func TestReadHonoursContext(t *testing.T) {
	inTemp(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	big := filepath.Join(t.TempDir(), "bomb.xlsx")
	writeBomb(t, big, 8<<20)
	for _, path := range []string{
		xlsxFile(t, "inv.xlsx", [][]string{stdHeader, okRow(1)}),
		writeFile(t, "inv.csv", []byte(strings.Join(stdHeader, ",")+"\n"+strings.Join(okRow(1), ",")+"\n")),
		big,
	} {
		if _, err := ReadContext(ctx, path, Options{}); !errors.Is(err, context.Canceled) {
			t.Errorf("%s: error %v, want context.Canceled", path, err)
		}
	}
}

func TestDuplicateVariableColumnsAreAProblem(t *testing.T) {
	inTemp(t)
	hdr := append(append([]string{}, stdHeader...), "timezone", "TimeZone")
	row := append(okRow(1), "-5", "+1")
	inv := mustRead(t, xlsxFile(t, "inv.xlsx", [][]string{hdr, row}), Options{})
	wantProblems(t, inv, `inv.xlsx:Devices:1:K: column "TimeZone" names the same template variable as column J ("timezone"); rename or remove one (expected each column once)`)
}

func TestLabColumnsInAMigrationInventory(t *testing.T) {
	inTemp(t)
	hdr := append(append([]string{}, stdHeader...), "domain")
	inv := mustRead(t, xlsxFile(t, "inv.xlsx", [][]string{hdr, append(okRow(1), "x.example")}), Options{})
	if inv.Valid() || len(inv.Problems) != 1 || inv.Problems[0].Pos.Column != "J" || !strings.Contains(inv.Problems[0].Message, "lab inventories") {
		t.Errorf("a domain column in a migration inventory: %v", problems(inv))
	}
	// A lab inventory reads it.
	lab := mustRead(t, xlsxFile(t, "lab.xlsx", [][]string{
		{"mac", "make", "model", "sip_user", "sip_password", "domain"},
		{"80:5E:C0:00:00:01", "Yealink", "T54W", "u1", "Str0ng!Pw01", "x.example"},
	}), Options{Lab: true})
	if !lab.Valid() || lab.Devices[0].Domain != "x.example" {
		t.Errorf("lab inventory: %v", problems(lab))
	}
}

func TestHeaderOnlyInventoryIsAProblem(t *testing.T) {
	inTemp(t)
	for _, path := range []string{
		xlsxFile(t, "inv.xlsx", [][]string{stdHeader}),
		writeFile(t, "inv.csv", []byte(strings.Join(stdHeader, ",")+"\n")),
	} {
		inv := mustRead(t, path, Options{})
		if inv.Valid() || len(inv.Problems) != 1 || !strings.Contains(inv.Problems[0].Message, "no device") {
			t.Errorf("%s: %v", path, problems(inv))
		}
	}
}

// FuzzReadXLSX feeds the reader workbooks excelize wrote, mutated: it must
// never panic, and every error it returns says the file is unreadable.
func FuzzReadXLSX(f *testing.F) {
	for i, rows := range [][][]string{
		{stdHeader, okRow(1), okRow(2)},
		{{"note"}, stdHeader, okRow(3)},
		{stdHeader},
		{{"mac", "make", "model", "owner", "timezone", "TimeZone"}, {"80:5E:C0:00:00:01", "Yealink", "T54W", "a@b.example", "1", "2"}},
	} {
		xf := excelize.NewFile()
		xf.SetSheetName("Sheet1", "Devices")
		for r, row := range rows {
			for c, v := range row {
				cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
				xf.SetCellStr("Devices", cell, v)
			}
		}
		if i == 1 {
			xf.MergeCell("Devices", "A3", "A4")
		}
		var buf bytes.Buffer
		if err := xf.Write(&buf); err != nil {
			f.Fatal(err)
		}
		xf.Close()
		f.Add(buf.Bytes())
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		inv, err := ReadFrom(bytes.NewReader(b), "fuzz.xlsx", Options{})
		if err != nil {
			if !errors.Is(err, ErrUnreadable) {
				t.Fatalf("error %v does not wrap ErrUnreadable", err)
			}
			return
		}
		for _, d := range inv.Devices {
			if len(d.MAC) != 12 {
				t.Fatalf("device with MAC %q", d.MAC)
			}
		}
	})
}

// An inline string in the sheet itself (no shared string) over the XML
// bound is refused with its cell, and so is a huge number cell.
func TestHugeInlineCellIsRefusedAndLocated(t *testing.T) {
	inTemp(t)
	huge := strings.Repeat("B", 2<<20)
	row := okRow(1)
	row[6] = huge
	p := rawXLSX(t, "inline.xlsx", rawRow(1, stdHeader...)+rawRow(2, okRow(2)...)+rawRow(3, row...), "")
	_, err := Read(p, Options{})
	if !errors.Is(err, ErrUnreadable) || !strings.Contains(err.Error(), "sheet Devices, cell G3 holds 2.0 MiB") || len(err.Error()) > 400 {
		t.Fatalf("error %.500v", err)
	}
	num := rawRow(3, `<c r="REF"><v>`+strings.Repeat("9", 2<<20)+`</v></c>`)
	if _, err := Read(rawXLSX(t, "num.xlsx", rawRow(1, stdHeader...)+num, ""), Options{}); err == nil || !strings.Contains(err.Error(), "cell A3") {
		t.Fatalf("huge number cell: %.300v", err)
	}
}

// What follows the cells (a large extension list after sheetData, after a
// self-closing cell) belongs to no cell: the workbook is read.
func TestPartsAfterTheCellsAreNoCell(t *testing.T) {
	inTemp(t)
	ext := `<extLst><ext uri="x"><x:blob xmlns:x="urn:x">` + strings.Repeat("Z", 2<<20) + `</x:blob></ext></extLst>`
	rows := rawRow(1, stdHeader...) + rawRow(2, append(okRow(1), `<c r="REF"/>`)...)
	inv, err := Read(rawXLSX(t, "ext.xlsx", rows, ext), Options{})
	if err != nil || !inv.Valid() || len(inv.Devices) != 1 {
		t.Fatalf("err %.300v, problems %v", err, inv)
	}
}

// The CSV text checks hold however the reads split the bytes: one byte at a
// time, a rune cut in two is carried over, and a bad byte is found.
func TestCheckedReaderAcrossEveryBoundary(t *testing.T) {
	good := []byte("a,é,日本,🙂\nx,\u00a0,\u202f,z\n")
	bad := map[string][]byte{
		"latin-1":      []byte("caf\xe9,x\n"),
		"cut at end":   []byte("ok\n\xe6\x97"),
		"overlong":     []byte("\xc0\xaf\n"),
		"surrogate":    []byte("\xed\xa0\x80\n"),
		"bad continue": []byte("\xe6\x41\x41\n"),
	}
	read := func(r io.Reader) error {
		_, err := io.Copy(io.Discard, newCheckedReader(context.Background(), r))
		return err
	}
	for name, wrap := range map[string]func(io.Reader) io.Reader{
		"one byte": iotest.OneByteReader, "half": iotest.HalfReader, "whole": func(r io.Reader) io.Reader { return r },
	} {
		if err := read(wrap(bytes.NewReader(good))); err != nil {
			t.Errorf("%s reads of valid UTF-8: %v", name, err)
		}
		for what, b := range bad {
			if err := read(wrap(bytes.NewReader(b))); !errors.Is(err, errBadText) {
				t.Errorf("%s reads of %s: %v, want a text error", name, what, err)
			}
		}
	}
}

// A shared strings table of small strings that is too large as a whole
// (excelize holds it whole) is refused too.
func TestHugeSharedStringsTableIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "many.xlsx")
	writeWithSST(t, path, func(bw *bufio.Writer) {
		bw.WriteString(`<si><t>user01@acme-dental.example</t></si>`)
		for i := 0; i < (maxPartBytes/16)+1; i++ {
			bw.WriteString(`<si><t>x</t></si>`)
		}
	})
	_, err := Read(path, Options{})
	if !errors.Is(err, ErrUnreadable) || !strings.Contains(err.Error(), "shared strings table is 68.0 MiB of XML; at most 64.0 MiB") {
		t.Fatalf("error %v", err)
	}
}

// A strict-OOXML sheet whose elements carry a namespace prefix is scanned
// alike.
func TestPrefixedHugeCellIsRefused(t *testing.T) {
	inTemp(t)
	huge := `<x:c r="A2" t="inlineStr"><x:is><x:t>` + strings.Repeat("C", 2<<20) + `</x:t></x:is></x:c>`
	p := rawXLSX(t, "prefixed.xlsx", rawRow(1, stdHeader...)+rawRow(2, huge), "")
	_, err := Read(p, Options{})
	if !errors.Is(err, ErrUnreadable) || !strings.Contains(err.Error(), "cell A2 holds 2.0 MiB") {
		t.Fatalf("error %.400v", err)
	}
}
