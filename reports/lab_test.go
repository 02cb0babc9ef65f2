package reports

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
)

// needTool returns the path of a lab tool, skipping the test when it is
// missing, or failing it when CUTOVER_REQUIRE_LAB=1 (CI installs the tools).
func needTool(t *testing.T, names ...string) string {
	t.Helper()
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	if os.Getenv("CUTOVER_REQUIRE_LAB") == "1" {
		t.Fatalf("%s not installed and CUTOVER_REQUIRE_LAB=1", names[0])
	}
	t.Skipf("%s not installed", names[0])
	return ""
}

// runTool runs a lab tool in its own process group with a deadline, so that
// a hung browser or office process never outlives the test.
func runTool(t *testing.T, timeout time.Duration, name string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	setProcessGroup(cmd)
	err := cmd.Run()
	killGroup(cmd)
	if err != nil {
		t.Fatalf("%s: %v\n%s", filepath.Base(name), err, tail(stderr.String(), 2000))
	}
	return stdout.Bytes()
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// dumpDOM opens url in headless Chromium and returns the DOM after the
// page's script ran.
func dumpDOM(t *testing.T, chromium, url string) *html.Node {
	t.Helper()
	out := runTool(t, 90*time.Second, chromium,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+t.TempDir(), "--virtual-time-budget=5000", "--dump-dom", url)
	doc, err := html.Parse(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func find(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && match(n) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

func byID(t *testing.T, doc *html.Node, id string) *html.Node {
	t.Helper()
	ns := find(doc, func(n *html.Node) bool { return attr(n, "id") == id })
	if len(ns) != 1 {
		t.Fatalf("%d elements with id %q", len(ns), id)
	}
	return ns[0]
}

func text(n *html.Node) string {
	var b strings.Builder
	for _, t := range find(n, func(*html.Node) bool { return true }) {
		for c := t.FirstChild; c != nil; c = c.NextSibling {
			if c.Type == html.TextNode {
				b.WriteString(c.Data)
			}
		}
	}
	return b.String()
}

// bodyRows returns the rendered rows of a table, each as its cells' text.
func bodyRows(t *testing.T, doc *html.Node, id string) [][]string {
	t.Helper()
	var rows [][]string
	for _, tr := range find(byID(t, doc, id), func(n *html.Node) bool { return n.Data == "tr" && n.Parent.Data == "tbody" }) {
		var cells []string
		for _, td := range find(tr, func(n *html.Node) bool { return n.Data == "td" }) {
			cells = append(cells, text(td))
		}
		rows = append(rows, cells)
	}
	return rows
}

// TestChromiumRendersTheReport opens the HTML report of a 5,000-device run
// in headless Chromium and reads back what its script rendered.
func TestChromiumRendersTheReport(t *testing.T) {
	t.Parallel() // the lab tests wait on other processes: overlap them
	chromium := needTool(t, "chromium", "chromium-browser")
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

	doc := dumpDOM(t, chromium, "file://"+path)
	if len(find(doc, func(n *html.Node) bool { return n.Data == "html" && attr(n, "data-rendered") == "true" })) != 1 {
		t.Fatal("the page script did not finish")
	}
	s := d.Summary
	for id, want := range map[string]int{
		"planned": 5000, "provisioned": s.Count(StatusProvisioned), "failed": s.Count(StatusFailed),
		"conflicts": s.Count(StatusConflict), "cert-failed": s.CertFailed,
	} {
		ns := find(doc, func(n *html.Node) bool { return attr(n, "data-count") == id })
		if len(ns) != 1 || text(ns[0]) != strconv.Itoa(want) {
			t.Errorf("data-count=%s: %d elements, text %q, want %d", id, len(ns), text(ns[0]), want)
		}
	}
	if got := text(byID(t, doc, "devices-total")); got != "5000" {
		t.Errorf("#devices-total = %q, want 5000", got)
	}
	rows := bodyRows(t, doc, "devices")
	if len(rows) != 100 {
		t.Fatalf("%d device rows rendered, want one page of 100", len(rows))
	}
	if rows[0][0] != d.Devices[0].MAC || rows[99][0] != d.Devices[99].MAC || len(rows[0]) != len(deviceCols) {
		t.Errorf("first page: %q .. %q, want %s .. %s", rows[0][0], rows[99][0], d.Devices[0].MAC, d.Devices[99].MAC)
	}
	if rows[4][4] != plantedMarkup {
		t.Errorf("owner cell renders as %q: it must show the text, not run it", rows[4][4])
	}
	if len(find(doc, func(n *html.Node) bool {
		return n.Data == "script" && strings.Contains(text(n), "owned") && attr(n, "type") == ""
	})) != 0 {
		t.Error("planted markup became a script element")
	}
	if got := text(byID(t, doc, "devices-page")); !strings.Contains(got, "of 5000") {
		t.Errorf("pager says %q", got)
	}
	mrows := bodyRows(t, doc, "matrix")
	if len(mrows) != 50 || len(mrows[0]) != 3+len(d.Cases) {
		t.Errorf("matrix: %d rows of %d cells, want 50 of %d", len(mrows), len(mrows[0]), 3+len(d.Cases))
	}
	if got := text(byID(t, doc, "matrix-total")); got != strconv.Itoa(s.Certified) {
		t.Errorf("#matrix-total = %q, want %d", got, s.Certified)
	}
	frows := bodyRows(t, doc, "failures")
	if len(frows) != min(50, len(d.Failures)) || text(byID(t, doc, "failures-total")) != strconv.Itoa(len(d.Failures)) {
		t.Errorf("failures: %d rows, total %q, want %d", len(frows), text(byID(t, doc, "failures-total")), len(d.Failures))
	}

	// A link's starting view filters and sorts: failed devices, highest MAC first.
	doc = dumpDOM(t, chromium, "file://"+path+"#status=failed&sort=MAC&dir=desc")
	failed := s.Count(StatusFailed)
	if got := text(byID(t, doc, "devices-total")); got != strconv.Itoa(failed) {
		t.Errorf("filtered #devices-total = %q, want %d", got, failed)
	}
	rows = bodyRows(t, doc, "devices")
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
		if r[8] != string(StatusFailed) {
			t.Fatalf("row %v is not failed", r)
		}
	}
}

// TestLibreOfficeReadsTheWorkbook converts every sheet of the workbook to CSV
// with LibreOffice and checks the cells: the file is a real .xlsx another
// program reads, and planted formulas stay text.
func TestLibreOfficeReadsTheWorkbook(t *testing.T) {
	t.Parallel()
	lo := needTool(t, "libreoffice", "soffice")
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
	runTool(t, 120*time.Second, lo, "-env:UserInstallation=file://"+filepath.Join(dir, "profile"),
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
	if len(cert) != d.Summary.Certified+1 || len(cert[0]) != 4+len(d.Cases) {
		t.Errorf("Certification: %d rows of %d, want %d of %d", len(cert), len(cert[0]), d.Summary.Certified+1, 4+len(d.Cases))
	}
	sum := read(SheetSummary)
	if len(sum) < 5 || sum[1][0] != "Run" || sum[1][1] != "wave1" {
		t.Errorf("Summary starts %v", sum[:min(3, len(sum))])
	}
}
