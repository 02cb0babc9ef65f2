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
)

// The charts are plain inline SVG built here rather than by a script, so
// that the report reads the same with JavaScript off and prints well.

// figure is a chart and its caption.
type figure struct {
	SVG     template.HTML
	Caption string
}

type series struct{ name, class string }

type bar struct {
	label  string
	values []float64 // one per series
}

const (
	chartWidth  = 720
	labelWidth  = 200
	valueRoom   = 90 // room right of the longest bar for its value
	rowGap      = 8
	legendH     = 24
	barH        = 18
	maxChartBar = 24 // rows shown before "other"
)

// hbarChart draws horizontal bars, one row per bar: stacked (the series add
// up) or grouped (one thin bar per series). format renders a value label.
func hbarChart(id, title string, ss []series, bars []bar, stacked bool, format func(float64) string) template.HTML {
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
		rowH = max(barH, 8*len(ss))
	}
	height := legendH + len(bars)*(rowH+rowGap) + rowGap
	fmt.Fprintf(&b, `<svg id="%s" class="chart" role="img" aria-label="%s" viewBox="0 0 %d %d" width="100%%" xmlns="http://www.w3.org/2000/svg">`,
		esc(id), esc(title), chartWidth, height)
	fmt.Fprintf(&b, `<title>%s</title>`, esc(title))
	x := float64(labelWidth)
	for _, s := range ss {
		fmt.Fprintf(&b, `<rect class="%s" x="%.0f" y="6" width="12" height="12"/><text x="%.0f" y="16">%s</text>`,
			esc(s.class), x, x+16, esc(s.name))
		x += 30 + 7.5*float64(len([]rune(s.name)))
	}
	for i, br := range bars {
		y := legendH + rowGap + i*(rowH+rowGap)
		fmt.Fprintf(&b, `<text class="label" x="%d" y="%d" text-anchor="end">%s</text>`,
			labelWidth-8, y+rowH/2+4, esc(truncate(br.label, 28)))
		x := float64(labelWidth)
		var total float64
		for j, v := range br.values {
			if v <= 0 {
				continue
			}
			w := v / maxV * plot
			by, bh := float64(y), float64(rowH)
			if !stacked {
				bh = float64(rowH) / float64(len(ss))
				by = float64(y) + float64(j)*bh
				x = labelWidth
			}
			fmt.Fprintf(&b, `<rect class="%s" x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%s %s: %s</title></rect>`,
				esc(ss[j].class), x, by, math.Max(w, 0.5), bh, esc(br.label), esc(ss[j].name), esc(format(v)))
			if stacked {
				x += w
				total += v
			} else {
				fmt.Fprintf(&b, `<text class="value" x="%.1f" y="%.1f">%s</text>`, x+w+4, by+bh-1, esc(format(v)))
			}
		}
		if stacked {
			fmt.Fprintf(&b, `<text class="value" x="%.1f" y="%d">%s</text>`, x+4, y+rowH/2+4, esc(format(total)))
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // every piece of text above went through esc
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

// statusSeries are the statuses a chart shows, in stacking order.
func statusSeries(d *Data) []series {
	var ss []series
	for _, st := range AllStatuses {
		if d.Summary.ByStatus[st] > 0 {
			ss = append(ss, series{string(st), "s-" + string(st)})
		}
	}
	return ss
}

// statusByChart stacks device statuses per group (make, or make and model),
// largest groups first; groups past maxChartBar fold into "other".
func statusByChart(d *Data, id, title string, group func(*Device) string) template.HTML {
	ss := statusSeries(d)
	col := make(map[Status]int, len(ss))
	for i, s := range ss {
		col[Status(s.name)] = i
	}
	idx := make(map[string]int)
	var bars []bar
	for i := range d.Devices {
		g := group(&d.Devices[i])
		j, ok := idx[g]
		if !ok {
			j = len(bars)
			idx[g] = j
			bars = append(bars, bar{label: g, values: make([]float64, len(ss))})
		}
		bars[j].values[col[d.Devices[i].Status]]++
	}
	sum := func(b bar) (t float64) {
		for _, v := range b.values {
			t += v
		}
		return t
	}
	slices.SortFunc(bars, func(a, b bar) int { return cmp.Or(cmp.Compare(sum(b), sum(a)), strings.Compare(a.label, b.label)) })
	if len(bars) > maxChartBar {
		other := bar{label: fmt.Sprintf("other (%d)", len(bars)-maxChartBar+1), values: make([]float64, len(ss))}
		for _, b := range bars[maxChartBar-1:] {
			for k, v := range b.values {
				other.values[k] += v
			}
		}
		bars = append(bars[:maxChartBar-1], other)
	}
	return hbarChart(id, title, ss, bars, true, countFormat)
}

func stepChart(d *Data) template.HTML {
	var bars []bar
	for _, s := range d.Steps {
		if s.Done == 0 {
			continue
		}
		bars = append(bars, bar{label: string(s.Step), values: []float64{s.P50MS, s.P95MS}})
	}
	return hbarChart("chart-steps", "Step durations (p50 and p95)",
		[]series{{"p50", "p-50"}, {"p95", "p-95"}}, bars, false, msFormat)
}

// timingCharts draws one chart per certification timing (registration,
// failover, ...): each has its own scale, since a registration takes
// milliseconds and a failover tens of seconds.
func timingCharts(d *Data) []figure {
	var out []figure
	for _, t := range d.Timings {
		bars := []bar{{"p50", []float64{t.P50}}, {"p90", []float64{t.P90}}, {"p95", []float64{t.P95}}, {"p99", []float64{t.P99}}, {"max", []float64{t.Max}}}
		title := fmt.Sprintf("%s time over %d devices", t.Name, t.Count)
		out = append(out, figure{hbarChart("chart-timing-"+t.Name, title, []series{{t.Name, "p-95"}}, bars, false, msFormat), title})
	}
	return out
}
