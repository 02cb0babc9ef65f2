package migrate

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/cutover-dev/cutover/migrate/inventory"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

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
	golden := filepath.Join("testdata", "plan-summary.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("summary differs from %s:\n%s", golden, buf.String())
	}
}
