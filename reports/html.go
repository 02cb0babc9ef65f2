package reports

import (
	"bufio"
	"cmp"
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cutover-dev/cutover/certify"
)

var (
	//go:embed assets/report.html.tmpl
	htmlTemplate string
	//go:embed assets/report.css
	reportCSS string
	//go:embed assets/report.js
	reportJS string

	pageTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
		"inc": func(i int) int { return i + 1 },
		// dict passes several values to a sub-template.
		"dict": func(kv ...any) map[string]any {
			m := make(map[string]any, len(kv)/2)
			for i := 0; i+1 < len(kv); i += 2 {
				m[kv[i].(string)] = kv[i+1]
			}
			return m
		},
		"trimBy": func(s string) string { return upperFirst(strings.TrimPrefix(s, "By ")) },
	}).Parse(htmlTemplate))
)

// card is one tile of the summary row; Sub, or Parts, break its value down.
type card struct {
	ID, Label, Value, Class, Sub string
	Parts                        []subCount
}

// subCount is one count under a tile, findable by its data-count id.
type subCount struct {
	ID    string
	N     int
	Label string
}

type column struct {
	Name string `json:"name"`
	Type string `json:"type"` // str or num: how the page sorts it
}

type tableBlob struct {
	Cols []column `json:"cols"`
	Rows [][]any  `json:"rows"`
	// Cases, for the devices table, is what a click on a row opens:
	// aligned with Rows, each device's outcome letters, its case wall
	// times and the reason of every case that did not pass.
	Cases []deviceCases `json:"cases,omitempty"`
	// Connected, for the devices table of a watched run, is aligned with
	// Rows: when Webex first showed each device connected ("" never). A
	// row's detail shows it rather than a column, which would widen the
	// table past a laptop's screen.
	Connected []string `json:"connected,omitempty"`
}

type deviceCases struct {
	Outcomes string            `json:"o"`
	MS       []int64           `json:"ms,omitempty"`
	Reasons  map[string]string `json:"r,omitempty"` // case index -> reason
}

type matrixBlob struct {
	Cases []string `json:"cases"`
	Rows  [][]any  `json:"rows"` // mac, model, verdict, one letter per case
}

type caseRow struct {
	Case                      string
	Pass, Fail, Blocked, Skip int
	P50, P95                  string
}

// progRow is one location or model in the progress tables.
type progRow struct {
	Label                     string
	Devices                   int
	Migrated, MigBad, MigRest int // provisioned; failed, conflict or invalid; the rest
	CertPass, CertFail        int
	CertNone                  int // not certified
	MigBar, CertBar           template.HTML
}

type htmlView struct {
	D                           *Data
	CSS                         template.CSS
	JS                          template.JS
	GeneratedISO, GeneratedText string
	Verdict                     Verdict
	Cards                       []card
	TopCauses, MoreCauses       []FailGroup
	CauseDevices                int
	HasMigration, HasCert       bool
	ProgLocation, ProgModel     []progRow
	ChartCases, ChartCaseTimes  template.HTML
	CaseTimesCaption            string
	ChartSteps                  template.HTML
	StepsCaption                string
	ChartTimeline               template.HTML
	TimelineCaption             string
	ChartFleet                  template.HTML
	FleetCaption                string
	Statuses                    []Status
	DeviceCols, FailureCols     []column
	DevicesJSON, MatrixJSON     template.JS
	FailuresJSON                template.JS
	MatrixRows                  int
	CaseRows                    []caseRow
}

var deviceCols = []column{
	{"MAC", "str"}, {"Type", "str"}, {"Model", "str"}, {"Owner", "str"},
	{"Location", "str"}, {"Lines", "num"}, {"Plan", "str"}, {"Status", "str"}, {"Step", "str"},
	{"Cert", "str"}, {"Time (s)", "num"}, {"Cause", "str"},
}

var failureCols = []column{
	{"Source", "str"}, {"MAC", "str"}, {"Model", "str"}, {"Where", "str"}, {"Reason", "str"},
	{"What to do", "str"}, {"Inventory position", "str"},
}

// topCauses is how many causes the first screen lists; the rest fold.
const topCauses = 5

// WriteHTML writes the report as one self-contained HTML page: styles,
// script, charts and data are all inline, so it opens offline from a file
// or an e-mail attachment. Every value from the inputs is escaped.
//
// The page reads top down for two people: the project manager's verdict,
// tiles, ranked causes and progress by location and model come first; the
// engineer's charts, matrix, device table and failure list follow.
func WriteHTML(w io.Writer, d *Data) error {
	v := htmlView{
		D:             d,
		CSS:           template.CSS(reportCSS), // our own embedded file
		JS:            template.JS(reportJS),   // our own embedded file
		GeneratedISO:  d.Generated.UTC().Format("2006-01-02T15:04:05Z"),
		GeneratedText: d.Generated.UTC().Format("2 Jan 2006 15:04 UTC"),
		Verdict:       d.Verdict(),
		Cards:         cards(d),
		HasMigration:  d.HasPlan || d.Journaled(),
		HasCert:       d.Summary.Certified > 0,
		DeviceCols:    deviceCols,
		FailureCols:   failureCols,
	}
	v.TopCauses = d.Groups[:min(len(d.Groups), topCauses)]
	v.MoreCauses = d.Groups[len(v.TopCauses):]
	for i := range d.Devices {
		if d.Devices[i].CauseGroup > 0 {
			v.CauseDevices++
		}
	}
	v.ProgLocation = progress(d, func(dev *Device) string { return orUnknown(dev.Location) })
	v.ProgModel = progress(d, func(dev *Device) string { return orUnknown(strings.TrimSpace(dev.Make + " " + dev.Model)) })
	if v.HasCert {
		v.ChartCases = caseOutcomeChart(d)
		v.ChartCaseTimes, v.CaseTimesCaption = caseTimeChart(d)
		v.ChartTimeline, v.TimelineCaption = timelineChart(d)
		v.ChartFleet, v.FleetCaption = fleetChart(d)
	}
	if d.Journaled() {
		v.ChartSteps, v.StepsCaption = stepChart(d)
	}
	for _, st := range AllStatuses {
		if d.Summary.ByStatus[st] > 0 {
			v.Statuses = append(v.Statuses, st)
		}
	}
	for _, cs := range d.CaseSums {
		v.CaseRows = append(v.CaseRows, caseRow{cs.Case, cs.Pass, cs.Fail, cs.Blocked, cs.Skip, msFormat(cs.P50MS), msFormat(cs.P95MS)})
	}

	devs := tableBlob{Cols: deviceCols, Rows: make([][]any, len(d.Devices)), Cases: make([]deviceCases, len(d.Devices))}
	if d.Summary.Connected > 0 {
		devs.Connected = make([]string, len(d.Devices))
		for i := range d.Devices {
			devs.Connected[i] = connectedText(d.Devices[i].FirstConnected)
		}
	}
	mx := matrixBlob{Cases: d.Cases, Rows: make([][]any, 0, len(d.Devices))}
	for i := range d.Devices {
		dev := &d.Devices[i]
		cert := string(dev.Cert)
		if cert == "" {
			cert = notCertified
		}
		devs.Rows[i] = []any{dev.MAC, dev.Type, strings.TrimSpace(dev.Make + " " + dev.Model), dev.Owner, dev.Location, dev.Lines,
			dev.Action, string(dev.Status), string(dev.Step), cert, dev.DurationMS, dev.Cause}
		if dev.Outcomes != nil {
			dc := deviceCases{Outcomes: outcomeLetters(dev.Outcomes), MS: dev.CaseMS}
			for ci, r := range dev.CaseReasons {
				if r != "" {
					if dc.Reasons == nil {
						dc.Reasons = make(map[string]string)
					}
					dc.Reasons[strconv.Itoa(ci)] = r
				}
			}
			devs.Cases[i] = dc
			mx.Rows = append(mx.Rows, []any{dev.MAC, strings.TrimSpace(dev.Make + " " + dev.Model), string(dev.Cert), dc.Outcomes})
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

// notCertified is what the reports say of a device with no certification
// result, rather than a blank a reader could take for a pass.
const notCertified = "not certified"

// maxProgRows bounds the progress tables; the smallest groups fold into "other".
const maxProgRows = 12

// progress counts migration and certification per group (a location, a
// model), largest groups first.
func progress(d *Data, group func(*Device) string) []progRow {
	idx := make(map[string]int)
	var rows []progRow
	for i := range d.Devices {
		dev := &d.Devices[i]
		g := group(dev)
		j, ok := idx[g]
		if !ok {
			j = len(rows)
			idx[g] = j
			rows = append(rows, progRow{Label: g})
		}
		r := &rows[j]
		r.Devices++
		switch dev.Status {
		case StatusProvisioned:
			r.Migrated++
		case StatusFailed, StatusConflict, StatusInvalid:
			r.MigBad++
		default:
			r.MigRest++
		}
		switch dev.Cert {
		case certify.Pass, certify.Skip:
			r.CertPass++
		case certify.Fail:
			r.CertFail++
		default:
			r.CertNone++
		}
	}
	slices.SortFunc(rows, func(a, b progRow) int {
		return cmp.Or(cmp.Compare(b.Devices, a.Devices), strings.Compare(a.Label, b.Label))
	})
	if len(rows) > maxProgRows {
		other := progRow{Label: fmt.Sprintf("other (%d)", len(rows)-maxProgRows+1)}
		for _, r := range rows[maxProgRows-1:] {
			other.Devices += r.Devices
			other.Migrated, other.MigBad, other.MigRest = other.Migrated+r.Migrated, other.MigBad+r.MigBad, other.MigRest+r.MigRest
			other.CertPass, other.CertFail, other.CertNone = other.CertPass+r.CertPass, other.CertFail+r.CertFail, other.CertNone+r.CertNone
		}
		rows = append(rows[:maxProgRows-1], other)
	}
	for i := range rows {
		r := &rows[i]
		r.MigBar = meter([]int{r.Migrated, r.MigBad, r.MigRest}, []string{"s-provisioned", "s-failed", "s-pending"},
			fmt.Sprintf("%s: %d of %d migrated, %d failed or blocked in the plan", r.Label, r.Migrated, r.Devices, r.MigBad))
		r.CertBar = meter([]int{r.CertPass, r.CertFail, r.CertNone}, []string{"o-pass", "o-fail", "o-none"},
			fmt.Sprintf("%s: %d passed certification, %d failed, %d not certified", r.Label, r.CertPass, r.CertFail, r.CertNone))
	}
	return rows
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
		case certify.Blocked:
			b[i] = 'b'
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

// cards are the six tiles under the verdict: always six, so that they
// lay out in rows of six, three or two without a lone tile.
func cards(d *Data) []card {
	s := d.Summary
	n := strconv.Itoa
	good := func(bad bool, cls string) string {
		if bad {
			return cls
		}
		return "good"
	}
	label := "devices planned"
	if !d.HasPlan {
		label = "devices" // a lab certification run has no plan
	}
	total := max(s.Planned, len(d.Devices))
	migrated := card{ID: "provisioned", Label: "migrated (provisioned)", Value: n(s.Count(StatusProvisioned))}
	problems := s.Count(StatusFailed) + s.Count(StatusConflict) + s.Count(StatusInvalid)
	conflicts := "conflicts"
	if s.Count(StatusConflict) == 1 {
		conflicts = "conflict"
	}
	mig := card{ID: "migration-problems", Label: "migration problems", Value: n(problems), Class: good(problems > 0, "bad"),
		Parts: []subCount{{"failed", s.Count(StatusFailed), "failed"}, {"conflicts", s.Count(StatusConflict), conflicts}, {"invalid", s.Count(StatusInvalid), "invalid"}}}
	unfinished := s.Count(StatusUnknown) + s.Count(StatusInProgress) + s.Count(StatusPending)
	rest := card{ID: "unfinished", Label: "not finished", Value: n(unfinished), Class: good(unfinished > 0, "warn"),
		Sub: fmt.Sprintf("%d pending · %d in progress · %d unknown", s.Count(StatusPending), s.Count(StatusInProgress), s.Count(StatusUnknown))}
	if k := s.Count(StatusRolledBack); k > 0 {
		rest.Sub += fmt.Sprintf(" · %d rolled back", k)
	}
	if !d.HasPlan && !d.Journaled() {
		migrated = card{ID: "provisioned", Label: "migrated", Value: "–", Sub: "no migration in this run"}
		mig.Value, mig.Class, mig.Sub, mig.Parts = "–", "", "no migration in this run", nil
		rest.Value, rest.Class, rest.Sub = "–", "", "no migration in this run"
	} else if problems == 0 && unfinished == 0 && s.Count(StatusProvisioned) > 0 {
		migrated.Class = "good"
	}
	cert := card{ID: "certified", Label: "certified devices passing", Value: n(s.CertPassed), Sub: fmt.Sprintf("of %d certified", s.Certified)}
	rate := card{ID: "pass-rate", Label: "certification pass rate", Value: notCertified, Class: "warn", Sub: "run cutover certify"}
	switch {
	case s.Certified == 0:
		cert.Value, cert.Class, cert.Sub = notCertified, "warn", fmt.Sprintf("0 of %d devices", total)
	default:
		cert.Class = good(s.CertFailed > 0, "bad")
		pr := s.PassRate()
		rate.Value = strconv.FormatFloat(math.Floor(pr*1000)/10, 'f', 1, 64) + "%"
		rate.Class = good(s.CertFailed > 0, "bad")
		rate.Sub, rate.Parts = "", []subCount{{"cert-failed", s.CertFailed, "failed certification"}}
	}
	return []card{{ID: "planned", Label: label, Value: n(total)}, migrated, mig, rest, cert, rate}
}

// connectedText is a first-connected time as the reports show it (UTC, to
// the second), or "" for a device Webex never showed connected.
func connectedText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}
