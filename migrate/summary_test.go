package migrate

import (
	"bytes"
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
