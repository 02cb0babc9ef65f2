package reports

import (
	"bufio"
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/cutover-dev/cutover/certify"
)

var (
	//go:embed assets/report.html.tmpl
	htmlTemplate string
	//go:embed assets/report.css
	reportCSS string
	//go:embed assets/report.js
	reportJS string

	pageTemplate = template.Must(template.New("report").Parse(htmlTemplate))
)

type card struct{ ID, Label, Value, Class string }

type column struct {
	Name string `json:"name"`
	Type string `json:"type"` // str or num: how the page sorts it
}

type tableBlob struct {
	Cols []column `json:"cols"`
	Rows [][]any  `json:"rows"`
}

type matrixBlob struct {
	Cases []string `json:"cases"`
	Rows  [][]any  `json:"rows"` // mac, model, verdict, one letter per case
}

type caseRow struct {
	Case             string
	Pass, Fail, Skip int
	P50, P95         string
}

type htmlView struct {
	D                           *Data
	CSS                         template.CSS
	JS                          template.JS
	GeneratedISO, GeneratedText string
	Cards                       []card
	ChartMake, ChartModel       template.HTML
	ChartSteps                  template.HTML
	ChartTimings                []figure
	HasSteps                    bool
	Statuses                    []Status
	DeviceCols, FailureCols     []column
	DevicesJSON, MatrixJSON     template.JS
	FailuresJSON                template.JS
	MatrixRows                  int
	CaseRows                    []caseRow
}

var deviceCols = []column{
	{"MAC", "str"}, {"Type", "str"}, {"Make", "str"}, {"Model", "str"}, {"Owner", "str"},
	{"Location", "str"}, {"Lines", "num"}, {"Plan", "str"}, {"Status", "str"}, {"Step", "str"},
	{"Cert", "str"}, {"Time (s)", "num"}, {"Reason", "str"},
}

var failureCols = []column{
	{"Source", "str"}, {"MAC", "str"}, {"Model", "str"}, {"Where", "str"}, {"Reason", "str"},
	{"What to do", "str"}, {"Inventory position", "str"},
}

// WriteHTML writes the report as one self-contained HTML page: styles,
// script, charts and data are all inline, so it opens offline from a file
// or an e-mail attachment. Every value from the inputs is escaped.
func WriteHTML(w io.Writer, d *Data) error {
	v := htmlView{
		D:             d,
		CSS:           template.CSS(reportCSS), // our own embedded file
		JS:            template.JS(reportJS),   // our own embedded file
		GeneratedISO:  d.Generated.UTC().Format("2006-01-02T15:04:05Z"),
		GeneratedText: d.Generated.UTC().Format("2 Jan 2006 15:04 UTC"),
		Cards:         cards(d),
		ChartMake: statusByChart(d, "chart-make", "Devices by make and status", func(dev *Device) string {
			return orUnknown(dev.Make)
		}),
		ChartModel: statusByChart(d, "chart-model", "Devices by model and status", func(dev *Device) string {
			return orUnknown(strings.TrimSpace(dev.Make + " " + dev.Model))
		}),
		ChartSteps:   stepChart(d),
		ChartTimings: timingCharts(d),
		DeviceCols:   deviceCols,
		FailureCols:  failureCols,
	}
	v.HasSteps = d.Journaled()
	for _, st := range AllStatuses {
		if d.Summary.ByStatus[st] > 0 {
			v.Statuses = append(v.Statuses, st)
		}
	}
	for _, cs := range d.CaseSums {
		v.CaseRows = append(v.CaseRows, caseRow{cs.Case, cs.Pass, cs.Fail, cs.Skip, msFormat(cs.P50MS), msFormat(cs.P95MS)})
	}

	devs := tableBlob{Cols: deviceCols, Rows: make([][]any, len(d.Devices))}
	mx := matrixBlob{Cases: d.Cases, Rows: make([][]any, 0, len(d.Devices))}
	for i := range d.Devices {
		dev := &d.Devices[i]
		devs.Rows[i] = []any{dev.MAC, dev.Type, dev.Make, dev.Model, dev.Owner, dev.Location, dev.Lines,
			dev.Action, string(dev.Status), string(dev.Step), string(dev.Cert), dev.DurationMS, dev.Reason}
		if dev.Outcomes != nil {
			mx.Rows = append(mx.Rows, []any{dev.MAC, strings.TrimSpace(dev.Make + " " + dev.Model), string(dev.Cert), outcomeLetters(dev.Outcomes)})
		}
	}
	v.MatrixRows = len(mx.Rows)
	fl := tableBlob{Cols: failureCols, Rows: make([][]any, len(d.Failures))}
	for i, f := range d.Failures {
		fl.Rows[i] = []any{f.Source, f.MAC, strings.TrimSpace(f.Make + " " + f.Model), f.Where, f.Reason, f.Remedy, f.Pos}
	}
	var err error
	if v.DevicesJSON, err = scriptJSON(devs); err != nil {
		return err
	}
	if v.MatrixJSON, err = scriptJSON(mx); err != nil {
		return err
	}
	if v.FailuresJSON, err = scriptJSON(fl); err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	if err := pageTemplate.Execute(bw, v); err != nil {
		return fmt.Errorf("writing html report: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing html report: %w", err)
	}
	return nil
}

// scriptJSON marshals v for a <script type="application/json"> element.
// encoding/json escapes <, > and & (and U+2028/9), so no value can close the
// element or start markup; that is what makes template.JS safe here.
func scriptJSON(v any) (template.JS, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encoding report data: %w", err)
	}
	return template.JS(b), nil
}

func outcomeLetters(o []certify.Outcome) string {
	b := make([]byte, len(o))
	for i, x := range o {
		switch x {
		case certify.Pass:
			b[i] = 'p'
		case certify.Fail:
			b[i] = 'f'
		case certify.Skip:
			b[i] = 's'
		default:
			b[i] = '-'
		}
	}
	return string(b)
}

func orUnknown(s string) string {
	if s == "" {
		return defaultNoMake
	}
	return s
}

func cards(d *Data) []card {
	s := d.Summary
	n := func(v int) string { return strconv.Itoa(v) }
	cls := func(v int, bad string) string {
		if v > 0 {
			return bad
		}
		return "good"
	}
	label := "devices planned"
	if !d.HasPlan {
		label = "devices" // a lab certification run has no plan
	}
	cs := []card{
		{"planned", label, n(s.Planned), ""},
		{"provisioned", "provisioned", n(s.Count(StatusProvisioned)), ""},
		{"failed", "failed", n(s.Count(StatusFailed)), cls(s.Count(StatusFailed), "bad")},
		{"conflicts", "conflicts (MAC owned elsewhere)", n(s.Count(StatusConflict)), cls(s.Count(StatusConflict), "warn")},
		{"invalid", "invalid in the inventory", n(s.Count(StatusInvalid)), cls(s.Count(StatusInvalid), "warn")},
	}
	if k := s.Count(StatusUnknown) + s.Count(StatusInProgress) + s.Count(StatusPending); k > 0 {
		cs = append(cs, card{"unfinished", "not finished (pending, in progress, unknown)", n(k), "warn"})
	}
	if s.Count(StatusRolledBack) > 0 {
		cs = append(cs, card{"rolled-back", "rolled back", n(s.Count(StatusRolledBack)), ""})
	}
	rate := "n/a"
	rc := ""
	if pr := s.PassRate(); !math.IsNaN(pr) {
		rate = strconv.FormatFloat(math.Floor(pr*1000)/10, 'f', 1, 64) + "%"
		rc = cls(s.CertFailed, "bad")
	}
	cs = append(cs,
		card{"certified", "devices certified", n(s.Certified), ""},
		card{"cert-failed", "failed certification", n(s.CertFailed), cls(s.CertFailed, "bad")},
		card{"pass-rate", "certification pass rate", rate, rc},
	)
	return cs
}
