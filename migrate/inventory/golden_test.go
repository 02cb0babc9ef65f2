package inventory

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/cutover-dev/cutover/internal/golden"
)

// TestProblemsGolden keeps every kind of message in one readable file,
// testdata/problems.golden: what a migration engineer sees for a workbook
// with one of each mistake.
func TestProblemsGolden(t *testing.T) {
	goldenPath, err := filepath.Abs("testdata/problems.golden")
	if err != nil {
		t.Fatal(err)
	}
	inTemp(t)
	row := func(i int, edit func(r []string)) []string {
		r := okRow(i)
		edit(r)
		return r
	}
	rows := [][]string{
		stdHeader,
		okRow(1),
		row(2, func(r []string) { r[0] = "80:5E:C0:00:00:01" }),
		row(3, func(r []string) { r[0] = "805EC000003" }),
		row(4, func(r []string) { r[0] = "01-00-5E-00-00-04" }),
		nil,
		row(6, func(r []string) { r[1] = "gateway" }),
		row(7, func(r []string) { r[2], r[3] = "Cisco", "7841" }),
		row(8, func(r []string) { r[4] = "" }),
		row(9, func(r []string) { r[4] = "Dr Martin" }),
		row(10, func(r []string) { r[5] = "team" }),
		row(11, func(r []string) { r[7] = strings.Repeat("Room;", 16) }),
		row(12, func(r []string) { r[8] = "changeme" }),
		row(13, func(r []string) { r[8] = "Str0ng!Pw01" }),
		row(14, func(r []string) { r[7] = "a@b.example;not an@email" }),
		row(15, func(r []string) { r[0] = "" }),
		row(16, func(r []string) { r[0] = "" }),
	}
	inv := mustRead(t, xlsxFile(t, "inventory.xlsx", rows, func(f *excelize.File) {
		if err := f.MergeCell("Devices", "A16", "A17"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.NewSheet("Lines"); err != nil {
			t.Fatal(err)
		}
		setRows(t, f, "Lines", [][]string{
			{"mac", "port", "owner", "line_type", "label"},
			{"805EC0000099", "2", "x@acme-dental.example", "shared", ""},
			{"805EC0000007", "0", "x@acme-dental.example", "shared", ""},
		})
	}), Options{})
	golden.Check(t, goldenPath, []byte(strings.Join(problems(inv), "\n")+"\n"))
}
