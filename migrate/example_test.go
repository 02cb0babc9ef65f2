package migrate_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"

	"github.com/cutover-dev/cutover/migrate"
	"github.com/cutover-dev/cutover/migrate/inventory"
	"github.com/cutover-dev/cutover/simulator/webexapi"
	"github.com/cutover-dev/cutover/webex"
)

// Migrate plans an inventory against Webex (here the emulator) and runs the
// plan; running it again with the same directory resumes, and with nothing
// left to do changes nothing.
func ExampleMigrate() {
	devs := []inventory.Device{{
		MAC: "0004F2A1B2C3", Type: inventory.Phone, Make: "Yealink", Model: "T57W",
		Owner: "ada.lovelace@acme.example", OwnerType: inventory.Person,
		Lines: []inventory.Line{{Port: 1, Owner: "ada.lovelace@acme.example", OwnerType: inventory.Person}},
	}}
	emu := webexapi.New() // DefaultSeed: Ada exists
	srv := httptest.NewServer(emu)
	defer srv.Close()
	client, err := webex.New(srv.URL+"/v1", webex.StaticToken(emu.AdminToken()))
	if err != nil {
		panic(err)
	}
	dir, _ := os.MkdirTemp("", "cutover-run")
	defer os.RemoveAll(dir)

	for range 2 {
		plan, res, err := migrate.Migrate(context.Background(), client, devs,
			migrate.PlanOptions{}, migrate.RunOptions{Dir: dir})
		if err != nil {
			panic(err)
		}
		// The second run finds the journal shows every device done: it
		// neither plans nor calls Webex, and returns the stored plan.
		fmt.Printf("plan %v: %d done, %d created now, finished before: %v\n", plan.Summary, res.Done, res.Created, res.Finished)
	}
	info, _ := migrate.ReadInfo(dir, "0004F2A1B2C3")
	fmt.Println(info.Model, info.OutboundProxy, len(info.Lines), "line")
	// Output:
	// plan map[create:1]: 1 done, 1 created now, finished before: false
	// plan map[create:1]: 1 done, 0 created now, finished before: true
	// Yealink T57W Partner Managed sip.cutover.test 1 line
}
