package reports

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/cutover-dev/cutover/certify"
)

// JUnit XML as CI servers read it (the Ant/Jenkins schema): one suite per
// certification case and one for the migration, one testcase per device.

// JUnitSuites is the document root.
type JUnitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []JUnitSuite `xml:"testsuite"`
}

// JUnitSuite is one certification case, or the migration.
type JUnitSuite struct {
	Name      string `xml:"name,attr"`
	Tests     int    `xml:"tests,attr"`
	Failures  int    `xml:"failures,attr"`
	Errors    int    `xml:"errors,attr"`
	Skipped   int    `xml:"skipped,attr"`
	Time      string `xml:"time,attr"`
	Timestamp string `xml:"timestamp,attr"`
	// Properties come before the testcases, as the schema orders them.
	Properties *JUnitProperties `xml:"properties,omitempty"`
	Cases      []JUnitCase      `xml:"testcase"`
}

// JUnitProperties holds a suite's or a testcase's properties (absent when
// it has none).
type JUnitProperties struct {
	Property []JUnitProperty `xml:"property"`
}

// JUnitProperty is a named figure of a suite or a testcase: the failover
// and failback suites carry the fleet's times of a live outage
// (fleet.failover.p95_ms), a migration testcase its PropFirstConnected.
type JUnitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

// JUnitCase is one device in a suite.
type JUnitCase struct {
	ClassName  string           `xml:"classname,attr"`
	Name       string           `xml:"name,attr"`
	Time       string           `xml:"time,attr"`
	Properties *JUnitProperties `xml:"properties,omitempty"`
	Failure    *JUnitFailure    `xml:"failure"`
	Skipped    *JUnitSkipped    `xml:"skipped"`
}

// PropFirstConnected is the migration testcase property holding when Webex
// first showed the device connected (RFC 3339, UTC), set once `cutover
// watch` saw it.
const PropFirstConnected = "webex.firstConnected"

// JUnitFailure carries the reason (message) and the remedy (body).
type JUnitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Body    string `xml:",chardata"`
}

// JUnitSkipped marks a case that did not run.
type JUnitSkipped struct {
	Message string `xml:"message,attr,omitempty"`
}

// MigrationSuite is the name of the suite holding the migration's verdict per device.
const MigrationSuite = "migration"

func seconds(ms int64) string { return strconv.FormatFloat(float64(ms)/1000, 'f', 3, 64) }

// classname groups testcases by make and model in CI views ("Yealink.T54W").
func classname(mk, model string) string {
	c := strings.Trim(strings.ReplaceAll(orUnknown(mk)+"."+orUnknown(model), " ", "_"), ".")
	return c
}

// JUnit builds the JUnit document for d. The certification suites hold
// every device that ran the case; the migration suite every device of the
// plan or journal: a failed, conflicting or invalid device fails, one not
// finished is skipped.
func JUnit(d *Data) *JUnitSuites {
	ts := d.Generated.UTC().Format("2006-01-02T15:04:05")
	doc := &JUnitSuites{Name: "cutover " + d.Run}
	// Failure details per (MAC, where): the reason and remedy of each failure.
	type key struct{ mac, where, src string }
	fails := make(map[key]Failure, len(d.Failures))
	for _, f := range d.Failures {
		fails[key{f.MAC, f.Where, f.Source}] = f
	}
	var total int64
	if d.HasPlan || d.Journaled() {
		s := JUnitSuite{Name: MigrationSuite, Timestamp: ts}
		var ms int64
		for i := range d.Devices {
			dev := &d.Devices[i]
			if dev.Status == StatusNotPlanned {
				continue
			}
			c := JUnitCase{ClassName: classname(dev.Make, dev.Model), Name: dev.MAC, Time: seconds(dev.DurationMS)}
			if !dev.FirstConnected.IsZero() {
				c.Properties = &JUnitProperties{Property: []JUnitProperty{
					{Name: PropFirstConnected, Value: dev.FirstConnected.UTC().Format(time.RFC3339)}}}
			}
			ms += dev.DurationMS
			switch dev.Status {
			case StatusFailed, StatusConflict, StatusInvalid:
				src, where := SourceMigrate, string(dev.Step)
				if dev.Status != StatusFailed {
					src, where = SourcePlan, dev.Action
				}
				f := fails[key{dev.MAC, where, src}]
				msg := fmt.Sprintf("%s at %s: %s", dev.Status, where, dev.Reason)
				if src == SourcePlan {
					msg = fmt.Sprintf("%s: %s", dev.Status, dev.Reason)
				}
				c.Failure = &JUnitFailure{
					Message: msg,
					Type:    string(dev.Status),
					Body:    failureBody(dev.Reason, f.Remedy, dev.Pos),
				}
			case StatusProvisioned:
			default:
				msg := string(dev.Status)
				if dev.Reason != "" {
					msg += ": " + dev.Reason
				}
				c.Skipped = &JUnitSkipped{Message: msg}
			}
			s.add(c)
		}
		doc.add(s, ms)
		total += ms
	}
	for ci, name := range d.Cases {
		s := JUnitSuite{Name: "certify." + name, Timestamp: ts}
		for _, p := range fleetPhases(d) {
			if p.Case == name {
				s.Properties = &JUnitProperties{fleetProperties(p)}
			}
		}
		var ms int64
		for i := range d.Devices {
			dev := &d.Devices[i]
			if dev.Outcomes == nil || dev.Outcomes[ci] == "" {
				continue
			}
			dur := dev.CaseMS[ci]
			ms += dur
			c := JUnitCase{ClassName: classname(dev.Make, dev.Model), Name: dev.MAC, Time: seconds(dur)}
			switch dev.Outcomes[ci] {
			case certify.Fail:
				f := fails[key{dev.MAC, name, SourceCertify}]
				c.Failure = &JUnitFailure{Message: f.Reason, Type: name, Body: failureBody(f.Reason, f.Remedy, "")}
			case certify.Skip, certify.Blocked:
				// A blocked case did not run: CI shows it skipped, with why.
				c.Skipped = &JUnitSkipped{Message: dev.CaseReasons[ci]}
			}
			s.add(c)
		}
		doc.add(s, ms)
		total += ms
	}
	doc.Time = seconds(total)
	return doc
}

// add appends c to the suite, counting it as failed or skipped.
func (s *JUnitSuite) add(c JUnitCase) {
	if c.Failure != nil {
		s.Failures++
	}
	if c.Skipped != nil {
		s.Skipped++
	}
	s.Cases = append(s.Cases, c)
}

// add closes the suite s, whose cases took ms milliseconds, and appends it
// to the document, adding its counts to the document's.
func (doc *JUnitSuites) add(s JUnitSuite, ms int64) {
	s.Tests, s.Time = len(s.Cases), seconds(ms)
	doc.Suites = append(doc.Suites, s)
	doc.Tests += s.Tests
	doc.Failures += s.Failures
	doc.Skipped += s.Skipped
}

func failureBody(reason, remedy, pos string) string {
	var b strings.Builder
	b.WriteString(reason)
	if remedy != "" {
		b.WriteString("\nWhat to do: " + remedy)
	}
	if pos != "" {
		b.WriteString("\nInventory: " + pos)
	}
	return b.String()
}

// WriteJUnit writes d as JUnit XML.
func WriteJUnit(w io.Writer, d *Data) error {
	bw := bufio.NewWriter(w)
	if _, err := io.WriteString(bw, xml.Header); err != nil {
		return fmt.Errorf("writing junit report: %w", err)
	}
	enc := xml.NewEncoder(bw)
	enc.Indent("", "  ")
	if err := enc.Encode(JUnit(d)); err != nil {
		return fmt.Errorf("writing junit report: %w", err)
	}
	if _, err := io.WriteString(bw, "\n"); err != nil {
		return fmt.Errorf("writing junit report: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing junit report: %w", err)
	}
	return nil
}
