package reports

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/cutover-dev/cutover/internal/labtool"
)

// TestChromiumRendersTheReport opens the HTML report of a 5,000-device run
// in headless Chromium and reads back what its script rendered.
func TestChromiumRendersTheReport(t *testing.T) {
	t.Parallel() // the lab tests wait on other processes: overlap them
	d := synth(5000, 11).data()
	path := filepath.Join(t.TempDir(), "report.html")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteHTML(f, d); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	doc := labtool.ChromiumDOM(t, "file://"+path)
	if len(labtool.Find(doc, func(n *html.Node) bool { return n.Data == "html" && labtool.Attr(n, "data-rendered") == "true" })) != 1 {
		t.Fatal("the page script did not finish")
	}
	s := d.Summary
	for id, want := range map[string]int{
		"planned": 5000, "provisioned": s.Count(StatusProvisioned),
		"migration-problems": s.Count(StatusFailed) + s.Count(StatusConflict) + s.Count(StatusInvalid), "certified": s.CertPassed,
	} {
		ns := labtool.Find(doc, func(n *html.Node) bool { return labtool.Attr(n, "data-count") == id })
		if len(ns) != 1 || labtool.Text(ns[0]) != strconv.Itoa(want) {
			t.Errorf("data-count=%s: %d elements, text %q, want %d", id, len(ns), labtool.Text(ns[0]), want)
		}
	}
	if got := labtool.Text(labtool.ByID(t, doc, "devices-total")); got != "5000" {
		t.Errorf("#devices-total = %q, want 5000", got)
	}
	rows := labtool.BodyRows(t, doc, "devices")
	if len(rows) != 100 {
		t.Fatalf("%d device rows rendered, want one page of 100", len(rows))
	}
	if rows[0][0] != d.Devices[0].MAC || rows[99][0] != d.Devices[99].MAC || len(rows[0]) != len(deviceCols) {
		t.Errorf("first page: %q .. %q, want %s .. %s", rows[0][0], rows[99][0], d.Devices[0].MAC, d.Devices[99].MAC)
	}
	if rows[4][3] != plantedMarkup {
		t.Errorf("owner cell renders as %q: it must show the text, not run it", rows[4][4])
	}
	if len(labtool.Find(doc, func(n *html.Node) bool {
		return n.Data == "script" && strings.Contains(labtool.Text(n), "owned") && labtool.Attr(n, "type") == ""
	})) != 0 {
		t.Error("planted markup became a script element")
	}
	if got := labtool.Text(labtool.ByID(t, doc, "devices-page")); !strings.Contains(got, "of 5000") {
		t.Errorf("pager says %q", got)
	}
	mrows := labtool.BodyRows(t, doc, "matrix")
	if len(mrows) != 50 || len(mrows[0]) != 3+len(d.Cases) {
		t.Errorf("matrix: %d rows of %d cells, want 50 of %d", len(mrows), len(mrows[0]), 3+len(d.Cases))
	}
	if got := labtool.Text(labtool.ByID(t, doc, "matrix-total")); got != strconv.Itoa(s.Certified) {
		t.Errorf("#matrix-total = %q, want %d", got, s.Certified)
	}
	frows := labtool.BodyRows(t, doc, "failures")
	if len(frows) != min(50, len(d.Failures)) || labtool.Text(labtool.ByID(t, doc, "failures-total")) != strconv.Itoa(len(d.Failures)) {
		t.Errorf("failures: %d rows, total %q, want %d", len(frows), labtool.Text(labtool.ByID(t, doc, "failures-total")), len(d.Failures))
	}

	// A link's starting view filters and sorts: failed devices, highest MAC first.
	doc = labtool.ChromiumDOM(t, "file://"+path+"#status=failed&sort=MAC&dir=desc")
	failed := s.Count(StatusFailed)
	if got := labtool.Text(labtool.ByID(t, doc, "devices-total")); got != strconv.Itoa(failed) {
		t.Errorf("filtered #devices-total = %q, want %d", got, failed)
	}
	rows = labtool.BodyRows(t, doc, "devices")
	var lastFailed string
	for _, dev := range d.Devices {
		if dev.Status == StatusFailed {
			lastFailed = dev.MAC
		}
	}
	if len(rows) != min(100, failed) || rows[0][0] != lastFailed {
		t.Errorf("filtered: %d rows, first %q, want %d rows starting %s", len(rows), rows[0][0], min(100, failed), lastFailed)
	}
	for _, r := range rows {
		if r[7] != string(StatusFailed) {
			t.Fatalf("row %v is not failed", r)
		}
	}
}

// TestLibreOfficeReadsTheWorkbook converts every sheet of the workbook to CSV
// with LibreOffice and checks the cells: the file is a real .xlsx another
// program reads, and planted formulas stay text.
func TestLibreOfficeReadsTheWorkbook(t *testing.T) {
	t.Parallel()
	lo := labtool.Need(t, "libreoffice", "soffice")
	d := synth(200, 13).data()
	dir := t.TempDir()
	path := filepath.Join(dir, "report.xlsx")
	var b bytes.Buffer
	if err := WriteXLSX(&b, d); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "csv")
	// Filter options: comma, double quote, UTF-8, from row 1, default
	// column formats, ..., and the last token -1 exports every sheet to its
	// own file (LibreOffice 7.2 and later), named report-<Sheet>.csv.
	labtool.Run(t, 120*time.Second, lo, "-env:UserInstallation=file://"+filepath.Join(dir, "profile"),
		"--headless", "--norestore", "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1",
		"--outdir", out, path)
	read := func(sheet string) [][]string {
		f, err := os.Open(filepath.Join(out, "report-"+sheet+".csv"))
		if err != nil {
			entries, _ := os.ReadDir(out)
			t.Fatalf("%v (converted: %v)", err, entries)
		}
		defer f.Close()
		r := csv.NewReader(f)
		r.FieldsPerRecord = -1
		rows, err := r.ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}
	devs := read(SheetDevices)
	if len(devs) != 201 || devs[0][0] != "MAC" || devs[0][9] != "Status" {
		t.Fatalf("Devices: %d rows, header %v", len(devs), devs[0])
	}
	for i, dev := range d.Devices {
		row := devs[i+1]
		if row[0] != dev.MAC || row[9] != string(dev.Status) || row[7] != strconv.Itoa(dev.Lines) {
			t.Fatalf("Devices row %d = %v, want %s %s %d", i+2, row[:10], dev.MAC, dev.Status, dev.Lines)
		}
	}
	if devs[4][5] != plantedFormula {
		t.Errorf("planted formula reads back as %q: LibreOffice evaluated it", devs[4][5])
	}
	if errs := read(SheetErrors); len(errs) != len(d.Failures)+1 {
		t.Errorf("Errors: %d rows, want %d", len(errs), len(d.Failures)+1)
	}
	cert := read(SheetCertification)
	if len(cert) != d.Summary.Certified+1 || len(cert[0]) != 5+len(d.Cases) {
		t.Errorf("Certification: %d rows of %d, want %d of %d", len(cert), len(cert[0]), d.Summary.Certified+1, 5+len(d.Cases))
	}
	sum := read(SheetSummary)
	if len(sum) < 5 || sum[1][0] != "Verdict" || sum[2][0] != "Run" || sum[2][1] != "wave1" {
		t.Errorf("Summary starts %v", sum[:min(3, len(sum))])
	}
}
