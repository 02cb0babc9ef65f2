package reports

import (
	"fmt"
	"strings"
	"unicode"
)

// Verdict answers "are we ready, and if not why" in one sentence.
type Verdict struct {
	Ready bool
	Title string // "Ready" or "Not ready"
	Why   string // one sentence
}

// Verdict judges the run: ready when every planned device is provisioned
// (or the run had no plan) and every certified device passed; a run never
// certified is not ready, whatever its migration says.
func (d *Data) Verdict() Verdict {
	s := d.Summary
	var probs []string
	if d.HasPlan {
		switch {
		case !d.Journaled() && s.Planned > 0:
			probs = append(probs, "nothing is migrated yet")
		default:
			if n := s.Count(StatusFailed); n > 0 {
				probs = append(probs, plural(n, "device failed migration", "devices failed migration"))
			}
			if n := s.Count(StatusUnknown) + s.Count(StatusInProgress) + s.Count(StatusPending); n > 0 {
				probs = append(probs, plural(n, "device is not finished", "devices are not finished"))
			}
		}
		if n := s.Count(StatusConflict); n > 0 {
			probs = append(probs, plural(n, "MAC is owned elsewhere", "MACs are owned elsewhere"))
		}
		if n := s.Count(StatusInvalid); n > 0 {
			probs = append(probs, plural(n, "inventory row is invalid", "inventory rows are invalid"))
		}
	}
	switch {
	case s.Certified == 0 && len(d.Devices) > 0:
		probs = append(probs, "the devices are not certified")
	case s.CertFailed > 0:
		probs = append(probs, fmt.Sprintf("%d of %d certified devices fail certification", s.CertFailed, s.Certified))
	}
	if len(d.Devices) == 0 {
		return Verdict{Title: "Not ready", Why: "The run holds no device yet."}
	}
	if len(probs) == 0 {
		why := fmt.Sprintf("All %d certified devices passed every case", s.Certified)
		if d.HasPlan {
			why = fmt.Sprintf("All %d planned devices are migrated and the %d certified passed every case", s.Planned, s.Certified)
		}
		if n := s.CasesSkipped; n > 0 {
			// A skip is a check the config could not prove (an undocumented
			// parameter): ready, but never presented as a clean pass.
			why = strings.Replace(why, "passed every case", "passed every case that could be checked", 1)
			why += fmt.Sprintf("; %s could not be proven from the configs (see the skipped cases)", plural(n, "check", "checks"))
			return Verdict{Ready: true, Title: "Ready, with unproven checks", Why: why + "."}
		}
		return Verdict{Ready: true, Title: "Ready", Why: why + "."}
	}
	why := upperFirst(joinAnd(probs))
	if len(d.Groups) > 0 {
		g := d.Groups[0]
		why += fmt.Sprintf("; fix first (%s): %s", plural(g.Devices(), "device", "devices"), lowerFirst(strings.TrimRight(g.Remedy, ".")))
	}
	return Verdict{Title: "Not ready", Why: why + "."}
}

// plural counts n things: "1 device", "2 devices".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func joinAnd(p []string) string {
	if len(p) <= 1 {
		return strings.Join(p, "")
	}
	return strings.Join(p[:len(p)-1], ", ") + " and " + p[len(p)-1]
}

// lowerFirst lowers a sentence's capital when it is not an acronym's.
func lowerFirst(s string) string {
	if len(s) < 2 || !unicode.IsUpper(rune(s[0])) || unicode.IsUpper(rune(s[1])) {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// CauseLines is the terminal summary of d: the verdict, then the causes to
// fix ranked by the devices they affect, at most max of them (all when
// max <= 0), each with its fix, an example and the first affected MACs.
// cmd/cutover prints the lines; the engine prints nothing.
func CauseLines(d *Data, max int) []string {
	v := d.Verdict()
	out := []string{v.Title + ": " + v.Why}
	if len(d.Groups) == 0 {
		return out
	}
	causes := "causes"
	if len(d.Groups) == 1 {
		causes = "cause"
	}
	out = append(out, fmt.Sprintf("%d failures in %d %s to fix:", len(d.Failures), len(d.Groups), causes))
	const macsShown = 6
	for i, g := range d.Groups {
		if max > 0 && i == max {
			out = append(out, fmt.Sprintf("  ... and %d more causes (report.html and report.xlsx list them all)", len(d.Groups)-max))
			break
		}
		n := g.Devices()
		unit := "devices"
		if n == 1 {
			unit = "device"
		}
		out = append(out, fmt.Sprintf("  %d. %d %s (%s %s): %s", g.Rank, n, unit, g.Source, g.Where, g.Remedy))
		out = append(out, "     e.g. "+g.Example)
		macs := strings.Join(g.MACs[:min(n, macsShown)], ", ")
		if n > macsShown {
			macs += fmt.Sprintf(" and %d more", n-macsShown)
		}
		out = append(out, "     "+macs)
	}
	return out
}
