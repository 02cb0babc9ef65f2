package reports_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/cutover-dev/cutover/migrate"
	"github.com/cutover-dev/cutover/reports"
)

// A migration or certification run calls Generate on its run directory when
// it ends; `cutover report` does the same on demand.
func ExampleGenerate() {
	dir, _ := os.MkdirTemp("", "wave1")
	defer os.RemoveAll(dir)
	ev, _ := json.Marshal(migrate.Event{MAC: "0004F2A1B2C3", Step: migrate.StepCreate, Status: migrate.StatusFailed,
		Detail: "creating device 0004F2A1B2C3: POST /devices: 409 MAC address is in use"})
	_ = os.WriteFile(filepath.Join(dir, reports.JournalFile), append(ev, '\n'), 0o644)

	p, err := reports.Generate(dir, reports.WithClock(func() time.Time { return time.Date(2026, 11, 23, 18, 0, 0, 0, time.UTC) }))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(filepath.Base(p.HTML), filepath.Base(p.XLSX), filepath.Base(p.JUnit))

	d, _ := reports.Load(dir)
	f := d.Failures[0]
	fmt.Printf("%s %s: %s\n", f.MAC, f.Where, f.Remedy)
	// Output:
	// report.html report.xlsx junit.xml
	// 0004F2A1B2C3 create: Release the MAC from the other organisation or remove the device there, then run migrate again (it resumes).
}
