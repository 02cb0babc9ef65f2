package webex_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cutover-dev/cutover/simulator/webexapi"
	"github.com/cutover-dev/cutover/webex"
)

// TestCreateRetriesAnOwnerBusyElsewhere: two clients (the shards of a
// migration, each its own process) create devices for one owner at once;
// the emulator, as Webex, refuses a second create in flight for an owner
// with a 409 that is not "MAC in use". Each such create is looked up, found
// not to have landed, and tried again: every device is created, once.
func TestCreateRetriesAnOwnerBusyElsewhere(t *testing.T) {
	emu, base := newEmulator(t)
	ctx := context.Background()
	admin, err := webex.New(base, webex.StaticToken(emu.AdminToken()))
	if err != nil {
		t.Fatal(err)
	}
	people, err := admin.FindPeopleByEmail(ctx, defaultEmail)
	if err != nil || len(people) != 1 {
		t.Fatalf("owner: %v %v", people, err)
	}
	owner := people[0].ID
	// Slow answers, so that the two clients' creates overlap.
	emu.SetFaults(webexapi.Faults{LatencyMin: 2 * time.Millisecond, LatencyMax: 8 * time.Millisecond})
	var (
		wg     sync.WaitGroup
		failed atomic.Int32
	)
	for shard := range 2 {
		c, err := webex.New(base, webex.StaticToken(emu.AdminToken()), webex.WithBackoff(2*time.Millisecond, 20*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		for i := range 5 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				mac := fmt.Sprintf("0004F2A1B%d%02X", shard, i)
				_, err := c.CreateDevice(ctx, webex.CreateDeviceRequest{MAC: mac, Model: "Yealink T57W Partner Managed", PersonID: owner,
					Password: fmt.Sprintf("Cut!%c%dQ9zx", 'a'+shard, i)})
				if err != nil {
					failed.Add(1)
					t.Errorf("client %d, %s: %v", shard, mac, err)
				}
			}()
		}
	}
	wg.Wait()
	emu.SetFaults(webexapi.Faults{})
	devs, err := admin.ListDevices(ctx, webex.DeviceQuery{PersonID: owner})
	if err != nil {
		t.Fatal(err)
	}
	if len(devs) != 10 || failed.Load() != 0 {
		t.Errorf("%d devices for the owner, %d creates failed; want 10 and 0", len(devs), failed.Load())
	}
}
