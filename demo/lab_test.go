package demo

import (
	"context"
	"strconv"
	"testing"

	"golang.org/x/net/html"

	"github.com/cutover-dev/cutover/internal/labtool"
	"github.com/cutover-dev/cutover/internal/racecheck"
	"github.com/cutover-dev/cutover/reports"
)

// TestDemo5000ReportInChromium runs a 5,000-device demo and opens its HTML
// report in headless Chromium: the counts the page shows and the device
// table it draws must match what the run journaled.
func TestDemo5000ReportInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("a 5,000-device demo takes about a minute; skipped with -short")
	}
	if racecheck.Enabled {
		t.Skip("a 5,000-device demo under the race detector takes most of CI's budget; make test runs it without")
	}
	labtool.Need(t, "chromium", "chromium-browser")
	dir := t.TempDir()
	sum, err := Run(context.Background(), Options{Dir: dir, Devices: 5000})
	if err != nil {
		t.Fatal(err)
	}
	d, err := reports.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !sum.Passed() {
		logFailures(t, d)
		t.Fatalf("demo did not pass: migrated %d/%d, %d of %d cases failed", sum.Migrated, sum.Devices, sum.CasesFail, sum.Cases)
	}

	doc := labtool.ChromiumDOM(t, "file://"+sum.Reports.HTML)
	if len(labtool.Find(doc, func(n *html.Node) bool { return n.Data == "html" && labtool.Attr(n, "data-rendered") == "true" })) != 1 {
		t.Fatal("the page script did not finish")
	}
	for id, want := range map[string]int{
		"planned": 5000, "provisioned": 5000, "failed": 0, "conflicts": 0, "cert-failed": 0,
	} {
		ns := labtool.Find(doc, func(n *html.Node) bool { return labtool.Attr(n, "data-count") == id })
		if len(ns) != 1 || labtool.Text(ns[0]) != strconv.Itoa(want) {
			t.Errorf("card %s: %d elements, want one showing %d", id, len(ns), want)
		}
	}
	if got := labtool.Text(labtool.ByID(t, doc, "devices-total")); got != "5000" {
		t.Errorf("#devices-total = %q, want 5000", got)
	}
	if got := labtool.Text(labtool.ByID(t, doc, "matrix-total")); got != "5000" {
		t.Errorf("#matrix-total = %q, want 5000 certified devices", got)
	}
	rows := labtool.BodyRows(t, doc, "devices")
	if len(rows) != 100 {
		t.Fatalf("%d device rows drawn, want one page of 100", len(rows))
	}
	for i, r := range rows {
		if r[0] != d.Devices[i].MAC {
			t.Fatalf("row %d shows %q, want %s (the report's device order)", i, r[0], d.Devices[i].MAC)
		}
	}
}

// logFailures logs the five largest failure groups of a run, by cause as
// the report groups them: on a saturated machine the cause has been time
// bounds, not the tool.
func logFailures(tb testing.TB, d *reports.Data) {
	tb.Helper()
	for i, g := range d.Groups {
		if i == 5 {
			break
		}
		tb.Logf("%d failures: %s at %s, e.g. %s", g.Count, g.Source, g.Where, g.Example)
	}
}
