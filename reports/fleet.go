package reports

import (
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"

	"github.com/cutover-dev/cutover/certify"
)

// The fleet's side of a live outage (certify --primary-down/--primary-up):
// how long until half, nearly all and all of the devices that took part
// were registered on a secondary after the primary went down, and back on
// the primary after it returned. The figures are certify.Fleet's; this file
// only says and draws them.

const notReached = "not reached"

// fleetPhases returns the phases of d that had a live outage.
func fleetPhases(d *Data) []certify.FleetPhase { return livePhases(d.FleetFailover, d.FleetFailback) }

func livePhases(phases ...certify.FleetPhase) []certify.FleetPhase {
	var out []certify.FleetPhase
	for _, p := range phases {
		if p.Devices > 0 {
			out = append(out, p)
		}
	}
	return out
}

// fleetWhere says where a phase's devices had to get to.
func fleetWhere(p certify.FleetPhase) string {
	if p.Case == certify.CaseFailback {
		return "back on the primary"
	}
	return "on a secondary"
}

// markText is a mark's time, or "not reached" (never a number).
func markText(m certify.FleetMark) string {
	if !m.Reached {
		return notReached
	}
	return msFormat(m.MS)
}

// fleetFigures is one phase's marks in a line: "50% 1.20 s, 95% 2.31 s,
// 100% not reached (1 never)".
func fleetFigures(p certify.FleetPhase) string {
	parts := make([]string, 0, len(certify.FleetMarks))
	for _, m := range p.Marks() {
		parts = append(parts, fmt.Sprintf("%d%% %s", m.Percent, markText(m)))
	}
	s := strings.Join(parts, ", ")
	if n := p.Never(); n > 0 {
		s += fmt.Sprintf(" (%d never)", n)
	}
	return s
}

// FleetLine says a run's fleet failover and failback in one line for the
// terminal, e.g. "fleet failover of 60 devices: 50% 1.20 s, 95% 2.31 s,
// 100% 2.45 s; failback: 50% 0.40 s, 95% 0.81 s, 100% not reached (1
// never)". It is empty when there was no live outage.
func FleetLine(failover, failback certify.FleetPhase) string {
	var parts []string
	for _, p := range livePhases(failover, failback) {
		name := p.Case
		if len(parts) == 0 {
			name = "fleet " + name
		}
		parts = append(parts, fmt.Sprintf("%s of %d devices: %s", name, p.Devices, fleetFigures(p)))
	}
	return strings.Join(parts, "; ")
}

// fleetProperties are the JUnit properties of a phase: devices, how many
// never got there, and each mark in milliseconds ("not reached" when it
// was not).
func fleetProperties(p certify.FleetPhase) []JUnitProperty {
	pre := "fleet." + p.Case + "."
	props := []JUnitProperty{
		{Name: pre + "devices", Value: strconv.Itoa(p.Devices)},
		{Name: pre + "never", Value: strconv.Itoa(p.Never())},
		{Name: pre + "outages", Value: strconv.Itoa(p.Outages)},
	}
	for _, m := range p.Marks() {
		v := notReached
		if m.Reached {
			v = strconv.FormatFloat(m.MS, 'f', 0, 64)
		}
		props = append(props, JUnitProperty{Name: fmt.Sprintf("%sp%d_ms", pre, m.Percent), Value: v})
	}
	return props
}

// Geometry of the fleet chart (in the viewBox of chartWidth).
const (
	fleetLeft   = 44 // room for the share labels
	fleetRight  = 16
	fleetTop    = 58 // two legend lines
	fleetPlotH  = 150
	fleetBottom = 24 // the time axis labels
)

var fleetClass = map[string]string{certify.CaseFailover: "t-failover", certify.CaseFailback: "t-failback"}

// fleetChart draws the share of the fleet registered where it should be
// over time since the outage (failover) and since the primary's return
// (failback), on one time axis, with the 50/95/100% marks. A mark never
// reached is said so in the legend and the caption, and draws no point.
func fleetChart(d *Data) (template.HTML, string) {
	phases := fleetPhases(d)
	if len(phases) == 0 {
		return "", ""
	}
	var maxMS float64
	for _, p := range phases {
		if len(p.MS) > 0 {
			maxMS = max(maxMS, p.MS[len(p.MS)-1])
		}
	}
	if maxMS <= 0 {
		maxMS = 1
	}
	plotW := float64(chartWidth - fleetLeft - fleetRight)
	x := func(ms float64) float64 { return fleetLeft + ms/maxMS*plotW }
	y := func(share float64) float64 { return fleetTop + (1-share)*fleetPlotH }
	height := fleetTop + fleetPlotH + fleetBottom

	var caption strings.Builder
	caption.WriteString("Fleet failover time, live outage: share of the devices registered")
	for i, p := range phases {
		sep := " "
		if i > 0 {
			sep = "; "
		}
		caption.WriteString(sep)
		if p.Case == certify.CaseFailback {
			fmt.Fprintf(&caption, "back on the primary after it returned (%d devices then on a secondary)", p.Devices)
		} else {
			fmt.Fprintf(&caption, "on a secondary after the primary went down (%d devices)", p.Devices)
		}
	}
	for _, p := range phases {
		if n := p.Never(); n > 0 {
			fmt.Fprintf(&caption, ". 100%% of the %s not reached: %d of %d devices never got %s", p.Case, n, p.Devices, fleetWhere(p))
		}
	}
	if o := max(d.FleetFailover.Outages, d.FleetFailback.Outages); o > 1 {
		fmt.Fprintf(&caption, " (%d outages pooled, each device timed from its own)", o)
	}
	title := caption.String()

	var b strings.Builder
	fmt.Fprintf(&b, `<svg id="chart-fleet" class="chart" role="img" aria-label="%s" viewBox="0 0 %d %d" width="100%%" xmlns="http://www.w3.org/2000/svg"><title>%s</title>`,
		esc(title), chartWidth, height, esc(title))
	// Legend: one line per phase with its figures.
	for i, p := range phases {
		ly := 6 + i*22
		fmt.Fprintf(&b, `<rect class="%s" x="8" y="%d" width="12" height="12"/><text class="fleet-legend" data-case="%s" x="26" y="%d">%s</text>`,
			fleetClass[p.Case], ly, esc(p.Case), ly+10, esc(fmt.Sprintf("%s (%d): %s", p.Case, p.Devices, fleetFigures(p))))
	}
	// The marks' levels. 95% and 100% lie 7.5 px apart: the label of
	// 100% sits above its line, that of 95% below, so they never overlap.
	for _, pc := range certify.FleetMarks {
		yy := y(float64(pc) / 100)
		ty := yy + 4
		switch {
		case pc == 100:
			ty = yy - 1
		case pc > 90:
			ty = yy + 10
		}
		fmt.Fprintf(&b, `<line class="fleet-grid" x1="%d" y1="%.1f" x2="%.1f" y2="%.1f"/><text class="value" x="%d" y="%.1f" text-anchor="end">%d%%</text>`,
			fleetLeft, yy, fleetLeft+plotW, yy, fleetLeft-6, ty, pc)
	}
	fmt.Fprintf(&b, `<line class="fleet-axis" x1="%d" y1="%.1f" x2="%.1f" y2="%.1f"/>`, fleetLeft, y(0), fleetLeft+plotW, y(0))
	fmt.Fprintf(&b, `<text class="value" x="%d" y="%.1f" text-anchor="end">0%%</text>`, fleetLeft-6, y(0)+4)
	axisY := y(0) + 16
	fmt.Fprintf(&b, `<text class="value" x="%d" y="%.1f">0</text><text class="value" x="%.1f" y="%.1f" text-anchor="middle">time since the primary went down / came back</text><text class="value" x="%.1f" y="%.1f" text-anchor="end">%s</text>`,
		fleetLeft, axisY, fleetLeft+plotW/2, axisY, fleetLeft+plotW, axisY, esc(msFormat(maxMS)))
	for _, p := range phases {
		cls := fleetClass[p.Case]
		// The share is a step: it rises by one device at each arrival and
		// stays flat after the last (below 100% when some never came).
		// Arrivals that fall on the same tenth of a unit of width are one
		// step, so that 100,000 devices draw no more than a few thousand.
		var path strings.Builder
		fmt.Fprintf(&path, "M%.1f %.1f", x(0), y(0))
		tenth := func(ms float64) float64 { return math.Round(x(ms) * 10) }
		for i, ms := range p.MS {
			xi := tenth(ms)
			if i+1 < len(p.MS) && tenth(p.MS[i+1]) == xi {
				continue
			}
			fmt.Fprintf(&path, "H%.1fV%.1f", xi/10, y(float64(i+1)/float64(p.Devices)))
		}
		fmt.Fprintf(&path, "H%.1f", x(maxMS))
		fmt.Fprintf(&b, `<path class="fleet-line %s" data-case="%s" d="%s"/>`, cls, esc(p.Case), path.String())
		for _, m := range p.Marks() {
			if !m.Reached {
				continue
			}
			fmt.Fprintf(&b, `<circle class="fleet-mark %s" data-case="%s" data-percent="%d" cx="%.1f" cy="%.1f" r="4"><title>%s</title></circle>`,
				cls, esc(p.Case), m.Percent, x(m.MS), y(float64(m.Percent)/100),
				esc(fmt.Sprintf("%s: %d%% %s after %s", p.Case, m.Percent, fleetWhere(p), msFormat(m.MS))))
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()), title // every piece of text above went through esc
}
