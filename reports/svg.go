package reports

import (
	"cmp"
	"fmt"
	"html"
	"html/template"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cutover-dev/cutover/certify"
)

// The charts are plain inline SVG built here rather than by a script, so
// that the report reads the same with JavaScript off and prints well.

type series struct{ name, class string }

type bar struct {
	label  string
	values []float64 // one per series
}

const (
	// 520 wide: at 500 px a chart is drawn at about 0.85 scale, so that
	// its 12 px text stays legible; wider cards draw it up to 1.3 times.
	chartWidth  = 520
	labelWidth  = 160
	valueRoom   = 130 // room right of the longest bar for its value
	rowGap      = 8
	legendH     = 24
	barH        = 18
	maxChartBar = 24 // rows shown before "other"
	labelChars  = 24 // what fits in labelWidth at 12 px
)

// hbarChart draws horizontal bars, one row per bar: stacked (the series add
// up) or grouped (one thin bar per series). format renders a value label;
// total, for a stacked chart, the label at the end of the row. A zero
// keeps a hairline bar and its label: "0" is an answer, not a gap.
func hbarChart(id, title string, ss []series, bars []bar, stacked bool, format func(float64) string, total func(bar) string) template.HTML {
	var b strings.Builder
	plot := float64(chartWidth - labelWidth - valueRoom)
	var maxV float64
	for _, br := range bars {
		if stacked {
			var t float64
			for _, v := range br.values {
				t += v
			}
			maxV = math.Max(maxV, t)
		} else {
			for _, v := range br.values {
				maxV = math.Max(maxV, v)
			}
		}
	}
	if maxV <= 0 {
		maxV = 1
	}
	rowH := barH
	if !stacked {
		rowH = max(barH, 13*len(ss)) // room for each bar's value label
	}
	height := legendH + len(bars)*(rowH+rowGap) + rowGap
	fmt.Fprintf(&b, `<svg id="%s" class="chart" role="img" aria-label="%s" viewBox="0 0 %d %d" width="100%%" xmlns="http://www.w3.org/2000/svg">`,
		esc(id), esc(title), chartWidth, height)
	fmt.Fprintf(&b, `<title>%s</title>`, esc(title))
	x := float64(labelWidth)
	for _, s := range ss {
		fmt.Fprintf(&b, `<rect class="%s" x="%.0f" y="6" width="12" height="12"/><text x="%.0f" y="16">%s</text>`,
			esc(s.class), x, x+16, esc(s.name))
		x += 30 + 7*float64(len([]rune(s.name)))
	}
	for i, br := range bars {
		y := legendH + rowGap + i*(rowH+rowGap)
		fmt.Fprintf(&b, `<text class="label" x="%d" y="%d" text-anchor="end">%s</text>`,
			labelWidth-8, y+rowH/2+4, esc(truncate(br.label, labelChars)))
		x := float64(labelWidth)
		for j, v := range br.values {
			if stacked && v <= 0 {
				continue // nothing to stack; the row's label still counts it
			}
			w := math.Max(v, 0) / maxV * plot
			by, bh := float64(y), float64(rowH)
			if !stacked {
				bh = float64(rowH) / float64(len(ss))
				by = float64(y) + float64(j)*bh
				x = labelWidth
			}
			fmt.Fprintf(&b, `<rect class="%s" x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%s %s: %s</title></rect>`,
				esc(ss[j].class), x, by, math.Max(w, 1), bh, esc(br.label), esc(ss[j].name), esc(format(v)))
			if stacked {
				x += w
			} else {
				fmt.Fprintf(&b, `<text class="value" x="%.1f" y="%.1f">%s</text>`, x+math.Max(w, 1)+4, by+bh-1, esc(format(v)))
			}
		}
		if stacked {
			fmt.Fprintf(&b, `<text class="value" x="%.1f" y="%d">%s</text>`, x+4, y+rowH/2+4, esc(total(br)))
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // every piece of text above went through esc
}

// meter is a one-line stacked bar of counts, drawn to its cell's width.
func meter(counts []int, classes []string, title string) template.HTML {
	var total int
	for _, c := range counts {
		total += c
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="meter" viewBox="0 0 100 10" preserveAspectRatio="none" role="img" aria-label="%s"><title>%s</title>`, esc(title), esc(title))
	x := 0.0
	for i, c := range counts {
		if c == 0 || total == 0 {
			continue
		}
		w := float64(c) * 100 / float64(total)
		fmt.Fprintf(&b, `<rect class="%s" x="%.2f" y="0" width="%.2f" height="10"/>`, esc(classes[i]), x, w)
		x += w
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // the only text went through esc
}

func esc(s string) string { return html.EscapeString(s) }

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func countFormat(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) }

// msFormat renders milliseconds readably: 850 ms, 1.25 s, 2.0 min.
func msFormat(v float64) string {
	switch {
	case v < 1000:
		return strconv.FormatFloat(v, 'f', 0, 64) + " ms"
	case v < 120000:
		return strconv.FormatFloat(v/1000, 'f', 2, 64) + " s"
	}
	return strconv.FormatFloat(v/60000, 'f', 1, 64) + " min"
}

// caseOutcomeChart stacks each certification case's outcomes over the
// devices that ran it; the label says what did not pass.
func caseOutcomeChart(d *Data) template.HTML {
	ss := []series{{"pass", "o-pass"}, {"fail", "o-fail"}, {"blocked", "o-blocked"}, {"skip", "o-skip"}}
	bars := make([]bar, len(d.CaseSums))
	for i, cs := range d.CaseSums {
		bars[i] = bar{label: cs.Case, values: []float64{float64(cs.Pass), float64(cs.Fail), float64(cs.Blocked), float64(cs.Skip)}}
	}
	return hbarChart("chart-cases", "Certification outcomes by case", ss, bars, true, countFormat, func(b bar) string {
		var parts []string
		for i, v := range b.values[1:] {
			if v > 0 {
				parts = append(parts, countFormat(v)+" "+ss[i+1].name)
			}
		}
		if len(parts) == 0 {
			return "all " + countFormat(b.values[0]) + " pass"
		}
		return strings.Join(parts, ", ")
	})
}

// caseTimeChart draws each certification case's wall time, p50 and p95,
// over the devices that ran it: what a reader can match to the matrix.
func caseTimeChart(d *Data) (template.HTML, string) {
	bars := make([]bar, len(d.CaseSums))
	for i, cs := range d.CaseSums {
		bars[i] = bar{label: cs.Case, values: []float64{cs.P50MS, cs.P95MS}}
	}
	caption := fmt.Sprintf("Time per certification case, p50 and p95, over %d certified devices", d.Summary.Certified)
	return hbarChart("chart-case-times", caption, []series{{"p50", "p-50"}, {"p95", "p-95"}}, bars, false, msFormat, nil), caption
}

func stepChart(d *Data) (template.HTML, string) {
	var bars []bar
	n := 0
	for _, s := range d.Steps {
		if s.Done == 0 {
			continue
		}
		n = max(n, s.Done)
		bars = append(bars, bar{label: string(s.Step), values: []float64{s.P50MS, s.P95MS}})
	}
	caption := fmt.Sprintf("Migration step durations, p50 and p95, over up to %d devices per step", n)
	return hbarChart("chart-steps", caption, []series{{"p50", "p-50"}, {"p95", "p-95"}}, bars, false, msFormat, nil), caption
}

// maxTimelineRows bounds the timeline; the devices shown are the first to
// start failing over.
const maxTimelineRows = 30

// timelineChart places every device's failover and failback on one time
// axis from the first failover: in a live run (the primary stopped for the
// whole fleet) it shows the outage as the fleet lived it.
func timelineChart(d *Data) (template.HTML, string) {
	if len(d.spans) == 0 {
		return "", ""
	}
	type row struct {
		mac   string
		first time.Time
		ss    []span
	}
	idx := map[string]int{}
	var rows []row
	t0, t1 := d.spans[0].start, d.spans[0].start
	for _, sp := range d.spans {
		end := sp.start.Add(time.Duration(sp.ms) * time.Millisecond)
		if sp.start.Before(t0) {
			t0 = sp.start
		}
		if end.After(t1) {
			t1 = end
		}
		j, ok := idx[sp.mac]
		if !ok {
			j = len(rows)
			idx[sp.mac] = j
			rows = append(rows, row{mac: sp.mac, first: sp.start})
		}
		if sp.start.Before(rows[j].first) {
			rows[j].first = sp.start
		}
		rows[j].ss = append(rows[j].ss, sp)
	}
	slices.SortFunc(rows, func(a, b row) int { return cmp.Or(a.first.Compare(b.first), strings.Compare(a.mac, b.mac)) })
	n := len(rows)
	rows = rows[:min(n, maxTimelineRows)]
	total := float64(t1.Sub(t0).Milliseconds())
	if total <= 0 {
		total = 1
	}
	const rh, top = 12, 40
	plot := float64(chartWidth - labelWidth - 20)
	height := top + len(rows)*(rh+4) + 8
	caption := fmt.Sprintf("Failover and failback of %d devices over %s, each with the primary treated as down on its own", n, msFormat(total))
	if slices.ContainsFunc(d.spans, func(s span) bool { return s.live }) {
		caption = fmt.Sprintf("Live outage: the primary stopped for the whole fleet; failover and failback of %d devices over %s", n, msFormat(total))
	}
	if n > len(rows) {
		caption += fmt.Sprintf(" (the first %d shown)", len(rows))
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg id="chart-timeline" class="chart" role="img" aria-label="%s" viewBox="0 0 %d %d" width="100%%" xmlns="http://www.w3.org/2000/svg"><title>%s</title>`,
		esc(caption), chartWidth, height, esc(caption))
	x := float64(labelWidth)
	for _, s := range []series{{"failover", "t-failover"}, {"failback", "t-failback"}, {"failed", "o-fail"}} {
		fmt.Fprintf(&b, `<rect class="%s" x="%.0f" y="6" width="12" height="12"/><text x="%.0f" y="16">%s</text>`, s.class, x, x+16, s.name)
		x += 30 + 7*float64(len(s.name))
	}
	fmt.Fprintf(&b, `<text class="value" x="%d" y="34">0</text><text class="value" x="%d" y="34" text-anchor="end">%s</text>`,
		labelWidth, labelWidth+int(plot), esc(msFormat(total)))
	for i, r := range rows {
		y := top + i*(rh+4)
		fmt.Fprintf(&b, `<text class="label" x="%d" y="%d" text-anchor="end">%s</text>`, labelWidth-8, y+rh-2, esc(r.mac))
		for _, sp := range r.ss {
			cls := "t-" + sp.cas
			if sp.outcome == certify.Fail {
				cls = "o-fail"
			}
			sx := float64(labelWidth) + float64(sp.start.Sub(t0).Milliseconds())/total*plot
			w := math.Max(float64(sp.ms)/total*plot, 1)
			fmt.Fprintf(&b, `<rect class="%s" x="%.1f" y="%d" width="%.1f" height="%d"><title>%s %s: %s, %s</title></rect>`,
				cls, sx, y, w, rh, esc(r.mac), esc(sp.cas), esc(string(sp.outcome)), esc(msFormat(float64(sp.ms))))
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()), caption // every piece of text above went through esc
}
