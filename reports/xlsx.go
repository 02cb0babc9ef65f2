package reports

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/cutover-dev/cutover/certify"
)

// Sheet names of the workbook, in order.
const (
	SheetSummary       = "Summary"
	SheetDevices       = "Devices"
	SheetLines         = "Lines"
	SheetCertification = "Certification"
	SheetErrors        = "Errors"
	SheetCauses        = "Causes"
)

// styles are the workbook's cell style ids.
type styles struct {
	header, title, text int
	percent             int            // a fraction shown as 66.7%
	label               map[string]int // status or outcome -> fill, for a Summary label
	status              map[string]int // status or outcome -> fill
	// statusCells holds each status cell boxed once: a sheet of 100,000
	// rows would otherwise allocate a Cell per status column and row.
	statusCells map[string]any
}

var statusFills = map[string]string{
	string(StatusProvisioned): "C8E6C9", string(certify.Pass): "C8E6C9",
	string(StatusFailed): "FFCDD2", string(certify.Fail): "FFCDD2",
	string(StatusConflict): "FFE0B2", string(StatusInvalid): "E1BEE7",
	string(StatusUnknown): "FFF59D", string(StatusInProgress): "BBDEFB",
	string(StatusPending): "EEEEEE", string(certify.Skip): "EEEEEE",
	string(StatusRolledBack): "D7CCC8", string(StatusNotPlanned): "ECEFF1",
	string(certify.Blocked): "E1BEE7", notCertified: "FFE0B2",
}

func newStyles(f *excelize.File) (*styles, error) {
	s := &styles{status: make(map[string]int), statusCells: make(map[string]any), label: make(map[string]int)}
	var err error
	border := []excelize.Border{{Type: "bottom", Color: "1F3864", Style: 1}}
	if s.header, err = f.NewStyle(&excelize.Style{
		Font:      &excelize.Font{Bold: true, Color: "FFFFFF"},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"1F3864"}},
		Border:    border,
		Alignment: &excelize.Alignment{Vertical: "center"},
	}); err != nil {
		return nil, err
	}
	if s.title, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 13}}); err != nil {
		return nil, err
	}
	// Number format 10 is "0.00%": the pass rate stays a number to sort and chart.
	if s.percent, err = f.NewStyle(&excelize.Style{NumFmt: 10}); err != nil {
		return nil, err
	}
	// Number format 49 is "@" (text): a cell keeps its text when edited.
	if s.text, err = f.NewStyle(&excelize.Style{NumFmt: 49}); err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(statusFills))
	for k := range statusFills {
		keys = append(keys, k)
	}
	sort.Strings(keys) // style ids in a stable order: same input, same bytes
	for _, k := range keys {
		rgb := statusFills[k]
		id, err := f.NewStyle(&excelize.Style{Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{rgb}}})
		if err != nil {
			return nil, err
		}
		s.status[k] = id
		s.statusCells[k] = excelize.Cell{StyleID: id, Value: k}
		if s.label[k], err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{rgb}}}); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// textCell returns a string cell value that a spreadsheet never evaluates.
// Inventory data ("=HYPERLINK(...)" as an owner name) must stay text: the
// stream writer stores strings as inline strings, never formulas, and the
// text number format keeps them text if someone edits the cell.
// An empty string is no cell at all.
func (s *styles) textCell(v string) any {
	if v == "" {
		return nil
	}
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return excelize.Cell{StyleID: s.text, Value: v}
	}
	return v
}

func (s *styles) statusCell(v string) any {
	if c, ok := s.statusCells[v]; ok {
		return c
	}
	return s.textCell(v)
}

// sheet is one stream-written sheet: widths, header, frozen first row and an
// autofilter over every row, written strictly in order.
type sheet struct {
	f    *excelize.File
	sw   *excelize.StreamWriter
	st   *styles
	name string
	row  int
}

func newSheet(f *excelize.File, st *styles, name string, header []string, widths []float64, rows int) (*sheet, error) {
	if name != SheetSummary {
		if _, err := f.NewSheet(name); err != nil {
			return nil, err
		}
	}
	// Printed, a sheet is landscape, as wide as the page (as many pages
	// long as it takes), with its header row on every page. The sheet
	// properties go before the stream writer, which writes them first.
	fit := true
	if err := f.SetSheetProps(name, &excelize.SheetPropsOptions{FitToPage: &fit}); err != nil {
		return nil, err
	}
	sw, err := f.NewStreamWriter(name)
	if err != nil {
		return nil, err
	}
	landscape, one, tall := "landscape", 1, 0
	if err := f.SetPageLayout(name, &excelize.PageLayoutOptions{Orientation: &landscape, FitToWidth: &one, FitToHeight: &tall}); err != nil {
		return nil, err
	}
	if header != nil {
		if err := f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", RefersTo: "'" + name + "'!$1:$1", Scope: name}); err != nil {
			return nil, err
		}
	}
	for i, w := range widths {
		if err := sw.SetColWidth(i+1, i+1, w); err != nil {
			return nil, err
		}
	}
	s := &sheet{f: f, sw: sw, st: st, name: name}
	if header == nil {
		return s, nil
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}}}); err != nil {
		return nil, err
	}
	last, err := excelize.CoordinatesToCellName(len(header), rows+1)
	if err != nil {
		return nil, err
	}
	if err := f.AutoFilter(name, "A1:"+last, nil); err != nil {
		return nil, err
	}
	cells := make([]any, len(header))
	for i, h := range header {
		cells[i] = excelize.Cell{StyleID: st.header, Value: h}
	}
	return s, s.add(cells...)
}

func (s *sheet) add(cells ...any) error {
	s.row++
	// "A<row>" directly: CoordinatesToCellName costs three allocations a row.
	if err := s.sw.SetRow("A"+strconv.Itoa(s.row), cells); err != nil {
		return fmt.Errorf("writing sheet %s row %d: %w", s.name, s.row, err)
	}
	return nil
}

func (s *sheet) skip() { s.row++ }

// WriteXLSX writes the report workbook: Summary, Devices, Lines,
// Certification and Errors, each sheet streamed row by row so that 100,000
// devices fit in modest memory.
func WriteXLSX(w io.Writer, d *Data) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := writeWorkbook(f, d); err != nil {
		return fmt.Errorf("writing excel report: %w", err)
	}
	if err := f.Write(w); err != nil {
		return fmt.Errorf("writing excel report: %w", err)
	}
	return nil
}

func writeWorkbook(f *excelize.File, d *Data) error {
	if err := f.SetSheetName("Sheet1", SheetSummary); err != nil {
		return err
	}
	// Before any sheet is streamed: SetActiveSheet parses every sheet it
	// finds, and a streamed sheet still in memory (up to 16 MB of XML) would
	// come back as a full cell tree, the largest allocation of the report.
	f.SetActiveSheet(0)
	st, err := newStyles(f)
	if err != nil {
		return err
	}
	for _, fn := range []func(*excelize.File, *styles, *Data) error{
		writeSummarySheet, writeCausesSheet, writeDevicesSheet, writeLinesSheet, writeCertSheet, writeErrorsSheet,
	} {
		if err := fn(f, st, d); err != nil {
			return err
		}
	}
	return nil
}

func writeSummarySheet(f *excelize.File, st *styles, d *Data) error {
	s, err := newSheet(f, st, SheetSummary, nil, []float64{34, 14, 14, 14, 14, 14}, 0)
	if err != nil {
		return err
	}
	title := func(t string) error { return s.add(excelize.Cell{StyleID: st.title, Value: t}) }
	head := func(h ...string) error {
		c := make([]any, len(h))
		for i, v := range h {
			c[i] = excelize.Cell{StyleID: st.header, Value: v}
		}
		return s.add(c...)
	}
	sm := d.Summary
	v := d.Verdict()
	var verdict any
	if v.Ready {
		verdict = excelize.Cell{StyleID: st.label[string(StatusProvisioned)], Value: v.Title}
	} else {
		verdict = excelize.Cell{StyleID: st.label[string(StatusFailed)], Value: v.Title}
	}
	org := d.OrgID
	if org == "" && d.HasPlan {
		org = "the token's own organisation"
	}
	rows := [][]any{
		{"Verdict", verdict, st.textCell(v.Why)},
		{"Run", st.textCell(d.Run)},
		{"Generated (UTC)", d.Generated.UTC().Format("2006-01-02 15:04:05")},
		{"Inventory", st.textCell(d.Inventory)},
		{"Org", st.textCell(org)},
		{"Devices planned", sm.Planned},
	}
	// Every status, zero included: a reader compares runs row by row.
	for _, stt := range AllStatuses {
		rows = append(rows, st.labelled("Devices "+string(stt), string(stt), sm.ByStatus[stt]))
	}
	rate := any(notCertified)
	if pr := sm.PassRate(); !math.IsNaN(pr) {
		rate = excelize.Cell{StyleID: st.percent, Value: pr}
	}
	rows = append(rows,
		[]any{"Devices certified", sm.Certified},
		st.labelled("Certification passed", string(certify.Pass), sm.CertPassed),
		st.labelled("Certification failed", string(certify.Fail), sm.CertFailed),
		st.labelled("Devices not certified", notCertified, len(d.Devices)-sm.Certified),
		[]any{"Certification pass rate", rate},
		st.labelled("Cases passed", string(certify.Pass), sm.CasesPassed),
		st.labelled("Cases failed", string(certify.Fail), sm.CasesFailed),
		st.labelled("Cases blocked (register failed)", string(certify.Blocked), sm.CasesBlocked),
		st.labelled("Cases skipped", string(certify.Skip), sm.CasesSkipped),
		[]any{"Devices seen connected in Webex (watch)", sm.Connected},
		[]any{"Failures listed", len(d.Failures)},
		[]any{"Causes to fix", len(d.Groups)},
	)
	if err := title("Summary"); err != nil {
		return err
	}
	for _, r := range rows {
		if err := s.add(r...); err != nil {
			return err
		}
	}
	if d.Journaled() {
		s.skip()
		if err := title("Migration steps (ms)"); err != nil {
			return err
		}
		if err := head("Step", "Done", "Failed", "Skipped", "p50", "p95", "max"); err != nil {
			return err
		}
		for _, x := range d.Steps {
			if err := s.add(string(x.Step), x.Done, st.statusCellN(string(StatusFailed), x.Failed), x.Skipped, x.P50MS, x.P95MS, x.MaxMS); err != nil {
				return err
			}
		}
	}
	if len(d.CaseSums) > 0 {
		s.skip()
		if err := title("Certification cases"); err != nil {
			return err
		}
		if err := head("Case", "Pass", "Fail", "Blocked", "Skip", "p50 ms", "p95 ms"); err != nil {
			return err
		}
		for _, c := range d.CaseSums {
			if err := s.add(c.Case, st.statusCellN(string(certify.Pass), c.Pass), st.statusCellN(string(certify.Fail), c.Fail),
				st.statusCellN(string(certify.Blocked), c.Blocked), c.Skip, c.P50MS, c.P95MS); err != nil {
				return err
			}
		}
	}
	if phases := fleetPhases(d); len(phases) > 0 {
		s.skip()
		if err := title("Fleet failover time, live outage (ms until the share of the fleet got there)"); err != nil {
			return err
		}
		if err := head("Phase", "Devices", "Never got there", "50%", "95%", "100%"); err != nil {
			return err
		}
		for _, p := range phases {
			row := []any{p.Case + " (" + fleetWhere(p) + ")", p.Devices, st.statusCellN(string(certify.Fail), p.Never())}
			for _, m := range p.Marks() {
				if m.Reached {
					row = append(row, m.MS)
				} else {
					// Never a number: a reader must not take it for a time.
					row = append(row, excelize.Cell{StyleID: st.label[string(certify.Fail)], Value: notReached})
				}
			}
			if err := s.add(row...); err != nil {
				return err
			}
		}
	}
	if len(d.Timings) > 0 {
		s.skip()
		if err := title("Certification timings (ms)"); err != nil {
			return err
		}
		if err := head("Timing", "Count", "p50", "p90", "p95", "p99", "max"); err != nil {
			return err
		}
		for _, t := range d.Timings {
			if err := s.add(st.textCell(t.Name), t.Count, t.P50, t.P90, t.P95, t.P99, t.Max); err != nil {
				return err
			}
		}
	}
	return s.sw.Flush()
}

// labelled is a Summary row whose label and count carry status's colour
// when the count is not zero.
func (s *styles) labelled(label, status string, n int) []any {
	if id, ok := s.label[status]; ok && n > 0 {
		return []any{excelize.Cell{StyleID: id, Value: label}, s.statusCellN(status, n)}
	}
	return []any{label, n}
}

func (s *styles) statusCellN(status string, n int) any {
	if id, ok := s.status[status]; ok && n > 0 {
		return excelize.Cell{StyleID: id, Value: n}
	}
	return n
}

func writeDevicesSheet(f *excelize.File, st *styles, d *Data) error {
	header := []string{"MAC", "Type", "Make", "Model", "Vendor", "Owner", "Location", "Lines", "Plan",
		"Status", "Step", "Attempts", "Time (s)", "Certification", "Reason", "Cause #", "Inventory position", "Webex device ID",
		"First connected (UTC)"}
	widths := []float64{15, 9, 14, 16, 12, 30, 18, 7, 10, 13, 10, 9, 9, 13, 60, 8, 30, 40, 21}
	s, err := newSheet(f, st, SheetDevices, header, widths, len(d.Devices))
	if err != nil {
		return err
	}
	row := make([]any, len(header))
	for i := range d.Devices {
		dev := &d.Devices[i]
		row[0], row[1], row[2], row[3] = st.textCell(dev.MAC), st.textCell(dev.Type), st.textCell(dev.Make), st.textCell(dev.Model)
		row[4], row[5], row[6], row[7] = st.textCell(dev.Vendor), st.textCell(dev.Owner), st.textCell(dev.Location), dev.Lines
		row[8], row[9], row[10], row[11] = st.textCell(dev.Action), st.statusCell(string(dev.Status)), st.textCell(string(dev.Step)), dev.Attempts
		cert, reason := string(dev.Cert), dev.Reason
		if cert == "" {
			cert = notCertified
		}
		if reason == "" {
			reason = dev.Cause // a certification failure's first reason
		}
		row[12], row[13], row[14] = float64(dev.DurationMS)/1000, st.statusCell(cert), st.textCell(reason)
		row[15] = nil
		if dev.CauseGroup > 0 {
			row[15] = dev.CauseGroup
		}
		row[16], row[17] = st.textCell(dev.Pos), st.textCell(dev.DeviceID)
		row[18] = st.textCell(connectedText(dev.FirstConnected))
		if err := s.add(row...); err != nil {
			return err
		}
	}
	return s.sw.Flush()
}

// writeLinesSheet lists every planned line appearance or port, one row each,
// with the device's count against its limit; a device whose plan carries no
// member list gets one row with its count alone.
func writeLinesSheet(f *excelize.File, st *styles, d *Data) error {
	header := []string{"MAC", "Type", "Make", "Model", "Owner", "Lines", "Limit", "Port", "Line type", "Primary", "Member ID", "Label", "Status"}
	widths := []float64{15, 9, 14, 16, 30, 7, 7, 6, 24, 8, 40, 20, 13}
	n := 0
	for i := range d.Devices {
		if d.Devices[i].Action != "" {
			n += max(1, len(d.Devices[i].Members))
		}
	}
	s, err := newSheet(f, st, SheetLines, header, widths, n)
	if err != nil {
		return err
	}
	row := make([]any, len(header))
	for i := range d.Devices {
		dev := &d.Devices[i]
		if dev.Action == "" {
			continue // known only from certification: no plan, no lines
		}
		row[0], row[1], row[2], row[3] = st.textCell(dev.MAC), st.textCell(dev.Type), st.textCell(dev.Make), st.textCell(dev.Model)
		row[4], row[5], row[6] = st.textCell(dev.Owner), dev.Lines, nil
		if dev.MaxLines > 0 {
			row[6] = dev.MaxLines
		}
		row[12] = st.statusCell(string(dev.Status))
		if len(dev.Members) == 0 {
			row[7], row[8], row[9], row[10], row[11] = nil, nil, nil, nil, nil
			if err := s.add(row...); err != nil {
				return err
			}
			continue
		}
		for _, m := range dev.Members {
			row[7], row[8], row[9], row[10], row[11] = m.Port, st.textCell(m.LineType), m.Primary, st.textCell(m.ID), st.textCell(m.Label)
			if err := s.add(row...); err != nil {
				return err
			}
		}
	}
	return s.sw.Flush()
}

func writeCertSheet(f *excelize.File, st *styles, d *Data) error {
	header := append(append([]string{"MAC", "Make", "Model", "Verdict"}, d.Cases...), "First failure")
	widths := []float64{15, 14, 16, 10}
	for range d.Cases {
		widths = append(widths, 12)
	}
	widths = append(widths, 80)
	n := 0
	for i := range d.Devices {
		if d.Devices[i].Outcomes != nil {
			n++
		}
	}
	s, err := newSheet(f, st, SheetCertification, header, widths, n)
	if err != nil {
		return err
	}
	row := make([]any, len(header))
	for i := range d.Devices {
		dev := &d.Devices[i]
		if dev.Outcomes == nil {
			continue
		}
		row[0], row[1], row[2], row[3] = st.textCell(dev.MAC), st.textCell(dev.Make), st.textCell(dev.Model), st.statusCell(string(dev.Cert))
		for j, o := range dev.Outcomes {
			if o == "" {
				row[4+j] = nil
			} else {
				row[4+j] = st.statusCell(string(o))
			}
		}
		row[len(row)-1] = nil
		if dev.Cert == certify.Fail {
			row[len(row)-1] = st.textCell(dev.Cause)
		}
		if err := s.add(row...); err != nil {
			return err
		}
	}
	return s.sw.Flush()
}

func writeErrorsSheet(f *excelize.File, st *styles, d *Data) error {
	header := []string{"Source", "MAC", "Make", "Model", "Where", "Reason", "What to do", "Inventory position"}
	widths := []float64{10, 15, 14, 16, 20, 60, 80, 30}
	s, err := newSheet(f, st, SheetErrors, header, widths, len(d.Failures))
	if err != nil {
		return err
	}
	for _, x := range d.Failures {
		if err := s.add(x.Source, st.textCell(x.MAC), st.textCell(x.Make), st.textCell(x.Model), st.textCell(x.Where),
			st.textCell(x.Reason), st.textCell(x.Remedy), st.textCell(x.Pos)); err != nil {
			return err
		}
	}
	return s.sw.Flush()
}

// writeCausesSheet lists the causes to fix, ranked by the devices they
// affect, each with every affected MAC.
func writeCausesSheet(f *excelize.File, st *styles, d *Data) error {
	header := []string{"Cause #", "Devices", "Failures", "Source", "Where", "What to do", "Example", "MACs"}
	widths := []float64{8, 9, 9, 9, 30, 70, 70, 60}
	s, err := newSheet(f, st, SheetCauses, header, widths, len(d.Groups))
	if err != nil {
		return err
	}
	for _, g := range d.Groups {
		if err := s.add(g.Rank, st.statusCellN(string(StatusFailed), g.Devices()), g.Count, g.Source, st.textCell(g.Where),
			st.textCell(g.Remedy), st.textCell(g.Example), st.textCell(macList(g.MACs))); err != nil {
			return err
		}
	}
	return s.sw.Flush()
}

// macsPerCell keeps a MAC list within a cell's 32,767 characters; the
// Devices sheet's Cause # column lists every device of a larger cause.
const macsPerCell = 2000

func macList(macs []string) string {
	if len(macs) <= macsPerCell {
		return strings.Join(macs, ", ")
	}
	return strings.Join(macs[:macsPerCell], ", ") + fmt.Sprintf(" and %d more (filter Devices on Cause #)", len(macs)-macsPerCell)
}
