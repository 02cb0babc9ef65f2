package reports

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/cutover-dev/cutover/certify"
	secrets "github.com/cutover-dev/cutover/internal/redact"
	"github.com/cutover-dev/cutover/migrate"
)

// FuzzWriters feeds inventory text, journal details and certification
// reasons (all written by someone else) through every writer: the HTML never
// carries the text unescaped, the JUnit XML parses back, and the workbook
// opens with the text as a string cell.
func FuzzWriters(f *testing.F) {
	for _, s := range []string{plantedMarkup, plantedFormula, "</script><script>alert(1)</script>", "a\x00b", "]]>", "\u2028", "password=" + plantedSecret, "-1+1", "@SUM(A1)"} {
		f.Add(s, s)
	}
	f.Add("user@acme.example", `PUT /x: 400 {"sipPassword": "`+plantedSecret+`"}`)
	f.Fuzz(func(t *testing.T, owner, detail string) {
		plan := &migrate.Plan{Devices: []migrate.PlannedDevice{{MAC: "0004F2000001", Make: owner, Model: owner, Owner: owner, Action: migrate.ActionCreate}}}
		events := []migrate.Event{{MAC: "0004F2000001", Step: migrate.StepCreate, Status: migrate.StatusFailed, Detail: detail}}
		results := []certify.Result{{MAC: "0004F2000001", Case: certify.CaseRegister, Outcome: certify.Fail, Reason: detail, Timings: map[string]float64{owner: 1}}}
		d := Build(plan, events, results, time.Unix(0, 0))

		var h bytes.Buffer
		if err := WriteHTML(&h, d); err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{owner, detail} {
			if strings.ContainsAny(s, "<>&") && strings.Contains(h.String(), s) {
				t.Fatalf("HTML holds %q unescaped", s)
			}
		}
		// Free text (details, reasons) is redacted; inventory fields are not secrets by contract.
		if !strings.Contains(owner, plantedSecret) && detailHasSecret(detail) && strings.Contains(h.String(), plantedSecret) {
			t.Fatal("secret in HTML")
		}
		var j bytes.Buffer
		if err := WriteJUnit(&j, d); err != nil {
			t.Fatal(err)
		}
		var doc JUnitSuites
		if err := xml.Unmarshal(j.Bytes(), &doc); err != nil {
			t.Fatalf("junit does not parse: %v", err)
		}
		if doc.Tests != 2 || doc.Failures != 2 {
			t.Fatalf("junit counts %d/%d", doc.Tests, doc.Failures)
		}
		var x bytes.Buffer
		if err := WriteXLSX(&x, d); err != nil {
			t.Fatal(err)
		}
		wb, err := excelize.OpenReader(bytes.NewReader(x.Bytes()))
		if err != nil {
			t.Fatalf("workbook does not open: %v", err)
		}
		defer wb.Close()
		rows, err := wb.GetRows(SheetDevices, excelize.Options{RawCellValue: true})
		if err != nil || len(rows) != 2 || rows[1][0] != "0004F2000001" {
			t.Fatalf("Devices sheet: %v %v", rows, err)
		}
		if ft, err := wb.GetCellFormula(SheetDevices, "F2"); err != nil || ft != "" {
			t.Fatalf("owner cell holds formula %q (%v)", ft, err)
		}
	})
}

// detailHasSecret says whether s carries the planted secret as the value
// of a key that names a secret, that is where redaction masks it (the
// fuzzer also makes keys that do not, and prose that only mentions one).
func detailHasSecret(s string) bool {
	return strings.Contains(s, plantedSecret) && !strings.Contains(secrets.String(s), plantedSecret)
}
