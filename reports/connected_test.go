package reports

import (
	"bytes"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// A device cutover watch saw connected shows its first-connected time in
// every report; one it did not (0004F2000000: i%5 == 0 in synth) shows none.
func TestFirstConnectedInReports(t *testing.T) {
	d := synth(60, 7).data()
	var seen, unseen *Device
	for i := range d.Devices {
		switch d.Devices[i].MAC {
		case "0004F2000001":
			seen = &d.Devices[i]
		case "0004F2000000":
			unseen = &d.Devices[i]
		}
	}
	const want = "2026-11-23 11:00:01Z"
	if seen == nil || unseen == nil || connectedText(seen.FirstConnected) != want || !unseen.FirstConnected.IsZero() {
		t.Fatalf("replayed first-connected times: %+v / %+v", seen, unseen)
	}
	if d.Summary.Connected == 0 || d.Summary.Connected >= len(d.Devices) {
		t.Fatalf("Summary.Connected %d: the sample should have devices seen and not seen", d.Summary.Connected)
	}

	// JUnit: a property on the migration testcase of the seen device only.
	doc := JUnit(d)
	props := map[string]string{}
	for _, c := range doc.Suites[0].Cases {
		if c.Properties != nil {
			for _, p := range c.Properties.Property {
				if p.Name == PropFirstConnected {
					props[c.Name] = p.Value
				}
			}
		}
	}
	if props["0004F2000001"] != "2026-11-23T11:00:01Z" || props["0004F2000000"] != "" || len(props) != d.Summary.Connected {
		t.Errorf("junit first-connected properties: %d (%q, %q), want %d", len(props), props["0004F2000001"], props["0004F2000000"], d.Summary.Connected)
	}

	// HTML: the devices table's data carries it (a row's detail shows it).
	html := renderHTML(t, d)
	if !strings.Contains(html, `"connected":["",`+`"`+want+`"`) {
		t.Errorf("the devices table data does not carry the first-connected times")
	}

	// XLSX: the Devices sheet's last column.
	var b bytes.Buffer
	if err := WriteXLSX(&b, d); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := f.GetRows(SheetDevices)
	if err != nil {
		t.Fatal(err)
	}
	col := len(rows[0]) - 1
	if rows[0][col] != "First connected (UTC)" {
		t.Fatalf("last Devices column is %q", rows[0][col])
	}
	got := map[string]string{}
	for _, r := range rows[1:] {
		if len(r) > col {
			got[r[0]] = r[col]
		}
	}
	if got["0004F2000001"] != want || got["0004F2000000"] != "" {
		t.Errorf("workbook first-connected cells: %q, %q", got["0004F2000001"], got["0004F2000000"])
	}
}
