package watch_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"time"

	"golang.org/x/time/rate"

	"github.com/cutover-dev/cutover/migrate"
	"github.com/cutover-dev/cutover/simulator/webexapi"
	"github.com/cutover-dev/cutover/watch"
	"github.com/cutover-dev/cutover/webex"
)

// Watch a migrated run until Webex shows every device connected. Here the
// Webex emulator stands in for Webex, and the devices "register" by an SBC
// report to it.
func ExampleRun() {
	ctx := context.Background()
	devs := fleet(2)
	seed := webexapi.DefaultSeed()
	seed.AddInventory(devs)
	emu := webexapi.New(webexapi.WithSeed(seed))
	srv := httptest.NewServer(emu)
	defer srv.Close()
	client, _ := webex.New(srv.URL+"/v1", webex.StaticToken(emu.AdminToken()), webex.WithRate(rate.Inf, 0))

	dir, _ := os.MkdirTemp("", "watch-example")
	defer os.RemoveAll(dir)
	if _, _, err := migrate.Migrate(ctx, client, devs, migrate.PlanOptions{}, migrate.RunOptions{Dir: dir}); err != nil {
		fmt.Println(err)
		return
	}
	for _, d := range emu.Snapshot().Devices {
		emu.ObserveRegistration(webexapi.Registration{Registrar: "sbc1", User: d.SIPUserName, AOR: "sip:" + d.LinePort,
			Contact: "sip:phone@192.0.2.1", Expires: time.Now().Add(time.Hour)})
	}

	res, err := watch.Run(ctx, client, watch.Options{Dir: dir, Interval: time.Second, Deadline: time.Now().Add(time.Minute)})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d of %d connected, %d first seen now\n", res.Counts.Of(watch.Connected), res.Counts.Total, len(res.FirstConnected))
	// Output: 2 of 2 connected, 2 first seen now
}
