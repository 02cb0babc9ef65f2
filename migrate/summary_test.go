package migrate

import (
	"bytes"
	"path/filepath"
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
