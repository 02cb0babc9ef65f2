package migrate

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cutover-dev/cutover/internal/golden"
	"github.com/cutover-dev/cutover/migrate/inventory"
)

func TestPlanSummaryGolden(t *testing.T) {
	pos := func(row int) inventory.Pos {
		return inventory.Pos{File: "inventory.xlsx", Sheet: "Devices", Row: row, Column: "A", Header: "mac"}
	}
	p := &Plan{
		Devices: []PlannedDevice{
			{MAC: "0004F2000001", Action: ActionCreate, Pos: pos(2)},
			{MAC: "0004F2000002", Action: ActionCreate, Pos: pos(3)},
			{MAC: "0004F2000003", Action: ActionAdopt, Pos: pos(4)},
			{MAC: "0004F2000004", Action: ActionUpdate, Reason: "lines differ from the inventory", Pos: pos(5)},
			{MAC: "0004F2000005", Action: ActionConflict, Reason: "MAC in use by device D1 of another owner (P9)", Pos: pos(6)},
			{MAC: "0004F2000006", Action: ActionInvalid, Reason: "model Acme Brick: not in the model catalog", Pos: pos(7)},
		},
		Summary: map[Action]int{ActionCreate: 2, ActionAdopt: 1, ActionUpdate: 1, ActionConflict: 1, ActionInvalid: 1},
	}
	var buf bytes.Buffer
	if err := p.WriteSummary(&buf); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "plan-summary.golden"), buf.Bytes())
}

// TestResumeSummary: planned again, a run directory's devices read as done
// (every step journaled) or resume (created by this run, steps left), not as
// the adopt or update Webex suggests; a device adopted and unfinished stays
// under its action.
func TestResumeSummary(t *testing.T) {
	dir := t.TempDir()
	j, err := OpenJournal(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range runSteps(RunOptions{}) {
		_ = j.Append(Event{MAC: "0004F2000001", Step: s, Status: StatusDone})
	}
	_ = j.Append(Event{MAC: "0004F2000002", Step: StepCreate, Status: StatusDone})
	_ = j.Append(Event{MAC: "0004F2000003", Step: StepCreate, Status: StatusSkipped, Detail: detailAdopted})
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	p := &Plan{Devices: []PlannedDevice{
		{MAC: "0004F2000001", Action: ActionAdopt},
		{MAC: "0004F2000002", Action: ActionUpdate},
		{MAC: "0004F2000003", Action: ActionAdopt},
		{MAC: "0004F2000004", Action: ActionCreate},
	}}
	p.MarkDone(dir)
	var buf bytes.Buffer
	if err := p.WriteSummary(&buf); err != nil {
		t.Fatal(err)
	}
	for _, row := range []string{"done            1", "resume          1", "create          1", "adopt           1", "update          0", "total           4"} {
		if !strings.Contains(buf.String(), row) {
			t.Errorf("summary lacks %q:\n%s", row, buf.String())
		}
	}
}

// A plan's invalid device points at the cell the reason is about: an
// unknown owner at the owner column, an unknown location at the location
// column (not at column A, the MAC).
func TestPlanErrorsPointAtTheirColumn(t *testing.T) {
	devs := genDevices(6, 1)
	var phones []inventory.Device
	for _, d := range devs {
		if d.Type == inventory.Phone {
			phones = append(phones, d)
		}
	}
	if len(phones) < 3 {
		t.Fatal("generator changed: fewer than 3 phones")
	}
	org := newTestOrg(t, phones, nil)
	csv := "mac,make,model,location,owner\n"
	for i, d := range phones[:3] {
		owner, loc := d.Owner, d.Location
		switch i {
		case 1:
			owner = "nobody@acme.example"
		case 2:
			loc = "Atlantis"
		}
		csv += fmt.Sprintf("%s,%s,%s,%s,%s\n", d.MAC, d.Make, d.Model, loc, owner)
	}
	inv, err := inventory.ReadFrom(strings.NewReader(csv), "inv.csv", inventory.Options{})
	if err != nil || !inv.Valid() {
		t.Fatalf("inventory: %v %v", err, inv.Problems)
	}
	plan, err := MakePlan(testContext(t), org.client, inv.Devices, PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{phones[1].MAC: "E", phones[2].MAC: "D"}
	for _, pd := range plan.Devices {
		col, ok := want[pd.MAC]
		if !ok {
			continue
		}
		if pd.Action != ActionInvalid || pd.Pos.Column != col || pd.Pos.Row < 2 {
			t.Errorf("%s: %s at %s (%s), want invalid at column %s", pd.MAC, pd.Action, pd.Pos, pd.Reason, col)
		}
	}
}
