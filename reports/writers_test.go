package reports

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/cutover-dev/cutover/certify"
	"github.com/cutover-dev/cutover/internal/golden"
)

// goldenFile compares got with testdata/golden/name (go test -update rewrites it).
func goldenFile(t *testing.T, name string, got []byte) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", "golden", name), got)
}

func renderHTML(t testing.TB, d *Data) string {
	t.Helper()
	var b bytes.Buffer
	if err := WriteHTML(&b, d); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestHTMLGolden(t *testing.T) {
	d := synth(60, 7).data()
	out := renderHTML(t, d)
	goldenFile(t, "report.html", []byte(out))

	// Counts a reader (or a browser test) finds by data attribute.
	s := d.Summary
	for id, want := range map[string]int{
		"planned": 60, "provisioned": s.Count(StatusProvisioned),
		"migration-problems": s.Count(StatusFailed) + s.Count(StatusConflict) + s.Count(StatusInvalid), "certified": s.CertPassed,
	} {
		needle := `data-count="` + id + `">` + strconv.Itoa(want) + `<`
		if !strings.Contains(out, needle) {
			t.Errorf("no %s", needle)
		}
	}
	if s.Count(StatusFailed) == 0 || s.Count(StatusConflict) == 0 || s.CertFailed == 0 {
		t.Fatalf("the sample should have failures of every kind: %+v", s)
	}
	for _, id := range []string{`id="devices"`, `id="devices-total"`, `id="devices-data"`, `id="matrix"`, `id="matrix-data"`,
		`id="failures"`, `id="chart-cases"`, `id="chart-case-times"`, `id="chart-steps"`, `id="chart-timeline"`, `id="groups"`, `data-count="pass-rate"`,
		`id="verdict"`, `id="progress-location"`, `id="progress-model"`} {
		if !strings.Contains(out, id) {
			t.Errorf("report lacks %s", id)
		}
	}
	// Self-contained: nothing is fetched.
	for _, bad := range []string{"http://", "https://", "<link", "src="} {
		for _, line := range strings.Split(out, "\n") {
			if strings.Contains(line, bad) && !strings.Contains(line, "xmlns=\"http://www.w3.org/2000/svg\"") &&
				!strings.Contains(line, "evil.example") && !strings.Contains(line, "prov.acme.example") {
				t.Errorf("report refers to something outside (%q): %.200s", bad, line)
			}
		}
	}
	// Planted markup comes out escaped, never as an element.
	if strings.Contains(out, plantedMarkup) || strings.Count(out, "<script") != 4 {
		t.Errorf("planted markup escaped badly: %d <script elements", strings.Count(out, "<script"))
	}
	if strings.Contains(out, plantedSecret) {
		t.Error("a planted password reached the HTML report")
	}
	// The remedy for the 409 conflict and for tls-chain are both there.
	for _, r := range []string{"Release the MAC from the other organisation", "IdenTrust root", "secondary SRV target"} {
		if !strings.Contains(out, r) {
			t.Errorf("no remedy %q", r)
		}
	}
}

// TestHTMLDataBlobsRoundTrip reads the JSON the page renders from and checks
// it is complete and parses.
func TestHTMLDataBlobsRoundTrip(t *testing.T) {
	d := synth(500, 3).data()
	out := renderHTML(t, d)
	blob := func(id string) string {
		re := regexp.MustCompile(`<script type="application/json" id="` + id + `">([^<]*)</script>`)
		m := re.FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("no %s blob", id)
		}
		return m[1]
	}
	var devs struct {
		Cols []column `json:"cols"`
		Rows [][]any  `json:"rows"`
	}
	if err := json.Unmarshal([]byte(blob("devices-data")), &devs); err != nil {
		t.Fatal(err)
	}
	if len(devs.Rows) != 500 || len(devs.Cols) != len(deviceCols) || len(devs.Rows[0]) != len(deviceCols) {
		t.Fatalf("devices blob: %d rows, %d cols", len(devs.Rows), len(devs.Cols))
	}
	if devs.Rows[4][3] != plantedMarkup {
		t.Errorf("owner of row 4 = %v: the blob must hold the text as is (the page sets textContent)", devs.Rows[4][4])
	}
	var mx matrixBlob
	if err := json.Unmarshal([]byte(blob("matrix-data")), &mx); err != nil {
		t.Fatal(err)
	}
	if len(mx.Cases) != len(certify.AllCases) || len(mx.Rows) != d.Summary.Certified {
		t.Errorf("matrix: %d cases, %d rows, want %d rows", len(mx.Cases), len(mx.Rows), d.Summary.Certified)
	}
	var fl tableBlob
	if err := json.Unmarshal([]byte(blob("failures-data")), &fl); err != nil {
		t.Fatal(err)
	}
	if len(fl.Rows) != len(d.Failures) {
		t.Errorf("failures blob %d rows, want %d", len(fl.Rows), len(d.Failures))
	}
}

// TestCertificationOnlyRun is a lab dry run (certify --inventory): results
// and no plan or journal.
func TestCertificationOnlyRun(t *testing.T) {
	run := synth(30, 4)
	d := Build(nil, nil, run.Results, fixedNow)
	if d.Summary.Planned != len(d.Devices) || d.Summary.Count(StatusNotPlanned) != len(d.Devices) || d.Summary.Certified != len(d.Devices) {
		t.Fatalf("summary %+v for %d devices", d.Summary, len(d.Devices))
	}
	out := renderHTML(t, d)
	if strings.Contains(out, `id="chart-steps"`) || !strings.Contains(out, `id="matrix"`) {
		t.Error("a certification-only report shows step durations or lacks the matrix")
	}
	grid := workbookGrid(t, renderXLSX(t, d))
	for _, row := range grid[SheetSummary] {
		if len(row) > 0 && strings.HasPrefix(row[0], "Migration steps") {
			t.Error("Summary lists migration steps of a run that migrated nothing")
		}
	}
	if len(grid[SheetLines]) != 1 {
		t.Errorf("Lines has %d rows, want the header only", len(grid[SheetLines]))
	}
	var b bytes.Buffer
	if err := WriteJUnit(&b, d); err != nil {
		t.Fatal(err)
	}
	var doc JUnitSuites
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Suites) != len(d.Cases) || doc.Suites[0].Name == MigrationSuite {
		t.Errorf("%d suites: a certification-only run has no migration suite", len(doc.Suites))
	}
}

func TestHTMLEmptyRun(t *testing.T) {
	out := renderHTML(t, Build(nil, nil, nil, fixedNow))
	if !strings.Contains(out, `id="no-failures"`) || !strings.Contains(out, `data-count="pass-rate">not certified<`) {
		t.Error("an empty run should say nothing failed and show no pass rate")
	}
}

// workbookGrid reads every sheet back as rows of raw cell text.
func workbookGrid(t testing.TB, b []byte) map[string][][]string {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := make(map[string][][]string)
	for _, name := range f.GetSheetList() {
		rows, err := f.GetRows(name, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		out[name] = rows
	}
	return out
}

// gridJSON renders sheets as JSON with one row per line, in sheet order,
// so that a golden diff points at the row that changed.
func gridJSON(t testing.TB, grid map[string][][]string) []byte {
	var b bytes.Buffer
	b.WriteString("{\n")
	names := []string{SheetSummary, SheetCauses, SheetDevices, SheetLines, SheetCertification, SheetErrors}
	for i, name := range names {
		k, _ := json.Marshal(name)
		fmt.Fprintf(&b, "%s: [\n", k)
		for j, row := range grid[name] {
			r, err := json.Marshal(row)
			if err != nil {
				t.Fatal(err)
			}
			b.WriteString("  ")
			b.Write(r)
			if j < len(grid[name])-1 {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
		}
		b.WriteString("]")
		if i < len(names)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("}\n")
	return b.Bytes()
}

func renderXLSX(t testing.TB, d *Data) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := WriteXLSX(&b, d); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestXLSXGolden(t *testing.T) {
	d := synth(60, 7).data()
	b := renderXLSX(t, d)
	grid := workbookGrid(t, b)
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := strings.Join(f.GetSheetList(), ","); got != "Summary,Causes,Devices,Lines,Certification,Errors" {
		t.Fatalf("sheets %s", got)
	}
	goldenFile(t, "workbook.json", gridJSON(t, grid))

	if n := len(grid[SheetDevices]); n != 61 {
		t.Errorf("Devices has %d rows, want header + 60", n)
	}
	if n := len(grid[SheetErrors]); n != len(d.Failures)+1 {
		t.Errorf("Errors has %d rows, want %d", n, len(d.Failures)+1)
	}
	// Header frozen, autofilter over the data, status cells coloured.
	for _, sh := range []string{SheetDevices, SheetLines, SheetCertification, SheetErrors} {
		panes, err := f.GetPanes(sh)
		if err != nil || !panes.Freeze || panes.YSplit != 1 {
			t.Errorf("%s: panes %+v, %v: want the top row frozen", sh, panes, err)
		}
	}
	xmlOf := func(name string) string {
		zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatal(err)
		}
		for _, zf := range zr.File {
			if zf.Name == name {
				r, _ := zf.Open()
				x, _ := io.ReadAll(r)
				return string(x)
			}
		}
		t.Fatalf("no %s in the workbook", name)
		return ""
	}
	dev := xmlOf("xl/worksheets/sheet3.xml")
	if !strings.Contains(dev, `<autoFilter ref="$A$1:$S$61"`) {
		t.Error("Devices has no autofilter over A1:S61")
	}
	st, err := f.GetCellStyle(SheetDevices, "J2")
	if err != nil || st == 0 {
		t.Errorf("status cell J2 unstyled (%d, %v)", st, err)
	}
	// Formula injection: the planted owner stays text. No sheet holds a formula.
	if grid[SheetDevices][4][5] != plantedFormula {
		t.Errorf("owner cell = %q, want the planted text as is", grid[SheetDevices][4][5])
	}
	for i := 1; i <= 6; i++ {
		x := xmlOf("xl/worksheets/sheet" + strconv.Itoa(i) + ".xml")
		if strings.Contains(x, "<f>") || strings.Contains(x, "<f ") {
			t.Errorf("sheet%d holds a formula", i)
		}
	}
	if !regexp.MustCompile(`<c r="F5" s="\d+" t="inlineStr"><is><t>=HYPERLINK`).MatchString(dev) {
		t.Error("F5 is not an inline string cell with the text style")
	}
	checkWorkbookForReaders(t, f, d, grid)
}

// checkWorkbookForReaders checks what the workbook owes a reader: a
// coloured, numeric Summary listing every status and the org, a pass rate
// that is a number formatted as a percentage, Skipped in the steps table,
// the Webex device IDs the journal recorded, a reason for every failing
// device and page setup for printing.
func checkWorkbookForReaders(t *testing.T, f *excelize.File, d *Data, grid map[string][][]string) {
	t.Helper()
	label := map[string][]string{}
	for _, row := range grid[SheetSummary] {
		if len(row) > 1 && row[0] != "" {
			label[row[0]] = row
		}
	}
	for _, st := range AllStatuses {
		row, ok := label["Devices "+string(st)]
		if !ok || row[1] != strconv.Itoa(d.Summary.ByStatus[st]) {
			t.Errorf("Summary row for %s = %v, want %d", st, row, d.Summary.ByStatus[st])
		}
	}
	if row := label["Org"]; len(row) < 2 || row[1] == "" {
		t.Errorf("Summary Org is blank: %v", row)
	}
	rate := label["Certification pass rate"]
	if v, err := strconv.ParseFloat(rate[1], 64); err != nil || math.Abs(v-d.Summary.PassRate()) > 1e-9 {
		t.Errorf("pass rate cell %q is not the number %v", rate[1], d.Summary.PassRate())
	}
	rows, err := f.GetRows(SheetSummary)
	if err != nil {
		t.Fatal(err)
	}
	for i, row := range rows {
		switch {
		case len(row) > 1 && row[0] == "Certification pass rate":
			if !strings.HasSuffix(row[1], "%") {
				t.Errorf("pass rate shows as %q, want a percentage", row[1])
			}
		case len(row) > 1 && row[0] == "Devices failed" && d.Summary.Count(StatusFailed) > 0:
			if st, _ := f.GetCellStyle(SheetSummary, "A"+strconv.Itoa(i+1)); st == 0 {
				t.Error("Summary's failed row is not coloured")
			}
		case len(row) > 3 && row[0] == "Step":
			if row[3] != "Skipped" {
				t.Errorf("steps table header %v lacks Skipped", row)
			}
		}
	}
	ids := 0
	for i, dev := range d.Devices {
		row := grid[SheetDevices][i+1]
		if dev.DeviceID != "" && row[17] == dev.DeviceID {
			ids++
		}
		if (dev.Status == StatusFailed || dev.Cert == certify.Fail || dev.Status == StatusConflict || dev.Status == StatusInvalid) && strings.TrimSpace(row[14]) == "" {
			t.Errorf("Devices row %d (%s, %s/%s) has no reason", i+2, dev.MAC, dev.Status, dev.Cert)
		}
	}
	if ids < d.Summary.Count(StatusProvisioned) {
		t.Errorf("%d Webex device IDs in Devices, want one per provisioned device (%d)", ids, d.Summary.Count(StatusProvisioned))
	}
	for _, sh := range []string{SheetSummary, SheetCauses, SheetDevices, SheetLines, SheetCertification, SheetErrors} {
		pl, err := f.GetPageLayout(sh)
		if err != nil || pl.Orientation == nil || *pl.Orientation != "landscape" || pl.FitToWidth == nil || *pl.FitToWidth != 1 {
			t.Errorf("%s page layout %+v (%v): want landscape, one page wide", sh, pl, err)
		}
		props, err := f.GetSheetProps(sh)
		if err != nil || props.FitToPage == nil || !*props.FitToPage {
			t.Errorf("%s does not fit to page (%v)", sh, err)
		}
	}
	names := map[string]string{}
	for _, dn := range f.GetDefinedName() {
		if dn.Name == "_xlnm.Print_Titles" {
			names[dn.Scope] = dn.RefersTo
		}
	}
	if got := names[SheetDevices]; !strings.Contains(got, "$1:$1") {
		t.Errorf("Devices prints no repeated header row (print titles %q)", got)
	}
	causes := grid[SheetCauses]
	if len(causes) != len(d.Groups)+1 || len(d.Groups) == 0 || causes[1][1] != strconv.Itoa(d.Groups[0].Devices()) {
		t.Errorf("Causes sheet: %d rows, want %d", len(causes), len(d.Groups)+1)
	}
}

func TestXLSXLinesPerMember(t *testing.T) {
	d := synth(20, 1).data()
	grid := workbookGrid(t, renderXLSX(t, d))
	want := 1
	for _, dev := range d.Devices {
		want += max(1, len(dev.Members))
	}
	if got := len(grid[SheetLines]); got != want {
		t.Errorf("Lines has %d rows, want %d (one per member)", got, want)
	}
}

func TestJUnitParsesBackWithCounts(t *testing.T) {
	d := synth(300, 5).data()
	var b bytes.Buffer
	if err := WriteJUnit(&b, d); err != nil {
		t.Fatal(err)
	}
	var doc JUnitSuites
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("junit does not parse: %v", err)
	}
	if len(doc.Suites) != 1+len(certify.AllCases) || doc.Suites[0].Name != MigrationSuite {
		t.Fatalf("%d suites, first %q", len(doc.Suites), doc.Suites[0].Name)
	}
	var tests, failures, skipped int
	for _, s := range doc.Suites {
		var f, sk int
		for _, c := range s.Cases {
			if c.Failure != nil {
				f++
				if c.Failure.Message == "" || !strings.Contains(c.Failure.Body, "What to do") {
					t.Errorf("%s/%s: failure without reason or remedy: %+v", s.Name, c.Name, c.Failure)
				}
			}
			if c.Skipped != nil {
				sk++
			}
			if _, err := strconv.ParseFloat(c.Time, 64); err != nil {
				t.Errorf("time %q", c.Time)
			}
		}
		if f != s.Failures || sk != s.Skipped || len(s.Cases) != s.Tests {
			t.Errorf("suite %s: attributes say %d/%d/%d, cases say %d/%d/%d", s.Name, s.Tests, s.Failures, s.Skipped, len(s.Cases), f, sk)
		}
		tests, failures, skipped = tests+s.Tests, failures+s.Failures, skipped+s.Skipped
	}
	if doc.Tests != tests || doc.Failures != failures || doc.Skipped != skipped {
		t.Errorf("root counts %d/%d/%d, want %d/%d/%d", doc.Tests, doc.Failures, doc.Skipped, tests, failures, skipped)
	}
	mig := doc.Suites[0]
	s := d.Summary
	if mig.Tests != 300 || mig.Failures != s.Count(StatusFailed)+s.Count(StatusConflict)+s.Count(StatusInvalid) {
		t.Errorf("migration suite %d tests %d failures; summary %+v", mig.Tests, mig.Failures, s)
	}
	if c := mig.Cases[0]; c.ClassName != "Yealink.T54W" || c.Name != "0004F2000000" {
		t.Errorf("first testcase %s / %s", c.ClassName, c.Name)
	}
	for _, suite := range doc.Suites[1:] {
		if suite.Name == "certify."+certify.CaseCall && suite.Skipped != suite.Tests {
			t.Errorf("call: %d of %d skipped", suite.Skipped, suite.Tests)
		}
		if suite.Name == "certify."+certify.CaseFailover && (suite.Failures != d.CaseSums[6].Fail || suite.Failures == 0) {
			t.Errorf("failover: %d failures, want %d", suite.Failures, d.CaseSums[6].Fail)
		}
	}
	if strings.Contains(b.String(), plantedSecret) {
		t.Error("a planted password reached the junit report")
	}
}

func TestJUnitGolden(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJUnit(&b, synth(20, 7).data()); err != nil {
		t.Fatal(err)
	}
	goldenFile(t, "junit.xml", b.Bytes())
}

// TestNoSecretInAnyReport plants a password in journal details and
// certification reasons and looks for it in every byte written.
func TestNoSecretInAnyReport(t *testing.T) {
	run := synth(120, 9)
	for i := range run.Results {
		if run.Results[i].Outcome == certify.Fail {
			run.Results[i].Reason += ` (sent "password": "` + plantedSecret + `")`
		}
	}
	dir := t.TempDir()
	run.writeRun(t, dir)
	p, err := Generate(dir, WithClock(func() time.Time { return fixedNow }))
	if err != nil {
		t.Fatal(err)
	}
	if p != DefaultPaths(dir) {
		t.Errorf("paths %+v, want the defaults", p)
	}
	var texts []string
	for _, f := range []string{p.HTML, p.JUnit} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		texts = append(texts, string(b))
	}
	zr, err := zip.OpenReader(p.XLSX)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	for _, zf := range zr.File {
		r, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(r)
		r.Close()
		texts = append(texts, string(b))
	}
	var redacted bool
	for _, s := range texts {
		if strings.Contains(s, plantedSecret) {
			t.Fatal("a planted password reached a report")
		}
		redacted = redacted || strings.Contains(s, "[redacted]")
	}
	if !redacted {
		t.Error("the planted details should show as [redacted]")
	}
}

func TestGenerateWritesWhereAsked(t *testing.T) {
	dir, out := t.TempDir(), t.TempDir()
	synth(30, 2).writeRun(t, dir)
	want := Paths{HTML: filepath.Join(out, "a", "r.html"), XLSX: filepath.Join(out, "r.xlsx"), JUnit: filepath.Join(out, "j.xml")}
	p, err := Generate(dir, WithHTML(want.HTML), WithXLSX(want.XLSX), WithJUnit(want.JUnit))
	if err != nil {
		t.Fatal(err)
	}
	if p != want {
		t.Fatalf("paths %+v, want %+v", p, want)
	}
	for _, f := range []string{p.HTML, p.XLSX, p.JUnit} {
		if st, err := os.Stat(f); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	if m, _ := filepath.Glob(filepath.Join(out, ".*.tmp")); len(m) > 0 {
		t.Errorf("temporary files left: %v", m)
	}
	if _, err := Generate(t.TempDir()); !errors.Is(err, ErrNoRunData) {
		t.Errorf("empty dir: %v", err)
	}
}
