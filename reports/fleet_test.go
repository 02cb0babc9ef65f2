package reports

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cutover-dev/cutover/certify"
	"github.com/cutover-dev/cutover/rundir"
)

// fleetOutage is a live outage of n devices: device i reaches the secondary
// after (i+1) s and the primary again (i+1)/2 s after it returned; the
// devices in never do not reach the secondary (and so take no part in the
// failback).
func fleetOutage(n int, never ...int) []certify.Result {
	down := time.Date(2026, 12, 2, 22, 0, 0, 0, time.UTC)
	up := down.Add(5 * time.Minute)
	var res []certify.Result
	for i := range n {
		mac := fmt.Sprintf("0004F2%06X", i)
		fo := certify.Result{MAC: mac, Make: "Yealink", Model: "T57W", Case: certify.CaseFailover, Outcome: certify.Pass,
			Started: down, Outage: down, DurationMS: int64(i+1) * 1000, Timings: map[string]float64{certify.CaseFailover: float64(i+1) * 1000}}
		skipped := false
		for _, j := range never {
			skipped = skipped || j == i
		}
		if skipped {
			fo.Outcome, fo.Reason, fo.Timings = certify.Fail, "failover: 32 s after the primary went down, no secondary accepted", nil
			res = append(res, fo)
			continue
		}
		res = append(res, fo, certify.Result{MAC: mac, Make: "Yealink", Model: "T57W", Case: certify.CaseFailback, Outcome: certify.Pass,
			Started: up, Outage: up, DurationMS: int64(i+1) * 500, Timings: map[string]float64{certify.CaseFailback: float64(i+1) * 500}})
	}
	return res
}

// fleetMarksDrawn lists the marks the chart draws as "case:percent".
func fleetMarksDrawn(html string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`<circle class="fleet-mark [^"]*" data-case="(\w+)" data-percent="(\d+)"`).FindAllStringSubmatch(html, -1) {
		out = append(out, m[1]+":"+m[2])
	}
	return out
}

func TestFleetChart(t *testing.T) {
	out := renderHTML(t, Build(nil, nil, fleetOutage(20), fixedNow))
	if !strings.Contains(out, `id="chart-fleet"`) {
		t.Fatal("no fleet chart")
	}
	if got, want := strings.Join(fleetMarksDrawn(out), " "), "failover:50 failover:95 failover:100 failback:50 failback:95 failback:100"; got != want {
		t.Errorf("marks drawn %q, want %q", got, want)
	}
	// k = ceil(p × 20 / 100): the 10th, 19th and 20th device.
	for _, want := range []string{"failover (20): 50% 10.00 s, 95% 19.00 s, 100% 20.00 s", "failback (20): 50% 5.00 s, 95% 9.50 s, 100% 10.00 s"} {
		if !strings.Contains(out, want) {
			t.Errorf("chart does not say %q", want)
		}
	}
	if strings.Contains(out, notReached) {
		t.Error("a fleet that all got there says not reached")
	}
	// Without a live outage there is no fleet chart.
	for i := range 2 {
		res := fleetOutage(3)
		for j := range res {
			res[j].Outage = time.Time{}
		}
		if i == 1 {
			res = nil
		}
		if h := renderHTML(t, Build(nil, nil, res, fixedNow)); strings.Contains(h, `id="chart-fleet"`) {
			t.Error("a fleet chart without a live outage")
		}
	}
}

// TestFleetChartNeverReached is the break: one device of twenty never gets
// to a secondary. 100% of the failover is "not reached" in the chart (no
// point drawn, the legend and caption say so), never a number.
func TestFleetChartNeverReached(t *testing.T) {
	d := Build(nil, nil, fleetOutage(20, 7), fixedNow)
	out := renderHTML(t, d)
	if got, want := strings.Join(fleetMarksDrawn(out), " "), "failover:50 failover:95 failback:50 failback:95 failback:100"; got != want {
		t.Errorf("marks drawn %q, want %q", got, want)
	}
	for _, want := range []string{
		"failover (20): 50% 11.00 s, 95% 20.00 s, 100% not reached (1 never)",
		"failback (19): ",
		"100% of the failover not reached: 1 of 20 devices never got on a secondary",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("chart does not say %q", want)
		}
	}
	line := FleetLine(d.FleetFailover, d.FleetFailback)
	if want := "fleet failover of 20 devices: 50% 11.00 s, 95% 20.00 s, 100% not reached (1 never); failback of 19 devices: 50% 5.50 s, 95% 10.00 s, 100% 10.00 s"; line != want {
		t.Errorf("terminal line\n got %q\nwant %q", line, want)
	}
	if l := FleetLine(certify.FleetPhase{}, certify.FleetPhase{}); l != "" {
		t.Errorf("no live outage, yet %q", l)
	}
}

// junitProps returns the properties of each suite.
func junitProps(t *testing.T, d *Data) map[string]map[string]string {
	t.Helper()
	var b bytes.Buffer
	if err := WriteJUnit(&b, d); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Suites []struct {
			Name  string `xml:"name,attr"`
			Props []struct {
				Name  string `xml:"name,attr"`
				Value string `xml:"value,attr"`
			} `xml:"properties>property"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]string{}
	for _, s := range doc.Suites {
		if len(s.Props) == 0 {
			continue
		}
		out[s.Name] = map[string]string{}
		for _, p := range s.Props {
			out[s.Name][p.Name] = p.Value
		}
	}
	return out
}

func TestFleetJUnitProperties(t *testing.T) {
	props := junitProps(t, Build(nil, nil, fleetOutage(20), fixedNow))
	want := `{"certify.failback":{"fleet.failback.devices":"20","fleet.failback.never":"0","fleet.failback.outages":"1","fleet.failback.p100_ms":"10000","fleet.failback.p50_ms":"5000","fleet.failback.p95_ms":"9500"},` +
		`"certify.failover":{"fleet.failover.devices":"20","fleet.failover.never":"0","fleet.failover.outages":"1","fleet.failover.p100_ms":"20000","fleet.failover.p50_ms":"10000","fleet.failover.p95_ms":"19000"}}`
	if b, _ := json.Marshal(props); string(b) != want {
		t.Errorf("properties\n got %s\nwant %s", b, want)
	}
	// The break: a device that never fails over.
	props = junitProps(t, Build(nil, nil, fleetOutage(20, 7), fixedNow))
	if fo := props["certify.failover"]; fo["fleet.failover.p100_ms"] != notReached || fo["fleet.failover.never"] != "1" || fo["fleet.failover.p95_ms"] != "20000" {
		t.Errorf("failover properties with a device that never got there: %v", fo)
	}
	// No live outage: no properties at all (and no empty element).
	res := fleetOutage(3)
	for j := range res {
		res[j].Outage = time.Time{}
	}
	var b bytes.Buffer
	if err := WriteJUnit(&b, Build(nil, nil, res, fixedNow)); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "<properties") {
		t.Error("properties without a live outage")
	}
}

func TestFleetWorkbookRows(t *testing.T) {
	rowsOf := func(d *Data) map[string][]string {
		var b bytes.Buffer
		if err := WriteXLSX(&b, d); err != nil {
			t.Fatal(err)
		}
		out := map[string][]string{}
		for _, r := range workbookGrid(t, b.Bytes())[SheetSummary] {
			if len(r) > 0 && (strings.HasPrefix(r[0], "failover (") || strings.HasPrefix(r[0], "failback (")) {
				out[strings.Fields(r[0])[0]] = r
			}
		}
		return out
	}
	got := rowsOf(Build(nil, nil, fleetOutage(20), fixedNow))
	if fo := strings.Join(got[certify.CaseFailover], "|"); fo != "failover (on a secondary)|20|0|10000|19000|20000" {
		t.Errorf("failover row %q", fo)
	}
	if fb := strings.Join(got[certify.CaseFailback], "|"); fb != "failback (back on the primary)|20|0|5000|9500|10000" {
		t.Errorf("failback row %q", fb)
	}
	got = rowsOf(Build(nil, nil, fleetOutage(20, 7), fixedNow))
	if fo := strings.Join(got[certify.CaseFailover], "|"); fo != "failover (on a secondary)|20|1|11000|20000|not reached" {
		t.Errorf("failover row with a device that never got there %q", fo)
	}
}

// TestFleetFromRunDirectory: the figures come back from DIR/certify.jsonl
// alone (cutover report --run DIR), equal to the ones of the run.
func TestFleetFromRunDirectory(t *testing.T) {
	res := fleetOutage(20, 7)
	dir := t.TempDir()
	f, err := rundir.OpenResults(dir)
	if err != nil {
		t.Fatal(err)
	}
	enc := json.NewEncoder(f)
	for _, r := range res {
		if err := enc.Encode(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	paths, err := Generate(dir)
	if err != nil {
		t.Fatal(err)
	}
	d, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := Build(nil, nil, res, fixedNow)
	if fmt.Sprint(d.FleetFailover, d.FleetFailback) != fmt.Sprint(want.FleetFailover, want.FleetFailback) {
		t.Errorf("from the run directory %+v %+v, the run's %+v %+v", d.FleetFailover, d.FleetFailback, want.FleetFailover, want.FleetFailback)
	}
	html, err := os.ReadFile(paths.HTML)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(html, []byte(`id="chart-fleet"`)) || !bytes.Contains(html, []byte("100% not reached (1 never)")) {
		t.Errorf("%s: no fleet chart saying 100%% not reached", filepath.Base(paths.HTML))
	}
}

// TestFleetChartBounded: a fleet of 100,000 draws a step per tenth of a
// unit of the chart's width at most, not one per device, and still ends at
// 100%.
func TestFleetChartBounded(t *testing.T) {
	res := make([]certify.Result, 0, 100_000)
	down := time.Date(2026, 12, 2, 22, 0, 0, 0, time.UTC)
	for i := range 100_000 {
		res = append(res, certify.Result{MAC: fmt.Sprintf("%012X", i), Case: certify.CaseFailover, Outcome: certify.Pass,
			Started: down, Outage: down, Timings: map[string]float64{certify.CaseFailover: float64(i%9973) + float64(i)/100}})
	}
	out := renderHTML(t, Build(nil, nil, res, fixedNow))
	path := regexp.MustCompile(`<path class="fleet-line t-failover" data-case="failover" d="([^"]*)"`).FindStringSubmatch(out)
	if path == nil {
		t.Fatal("no failover line")
	}
	steps := strings.Count(path[1], "V")
	if steps > 10*(chartWidth-fleetLeft-fleetRight)+1 || steps < 100 {
		t.Errorf("%d steps for 100,000 devices", steps)
	}
	if want := fmt.Sprintf("V%.1f", float64(fleetTop)); !strings.Contains(path[1], want) {
		t.Errorf("the line never reaches 100%% (%s)", want)
	}
}
