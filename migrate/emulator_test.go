package migrate

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/cutover-dev/cutover/migrate/inventory"
	"github.com/cutover-dev/cutover/simulator/webexapi"
	"github.com/cutover-dev/cutover/webex"
)

// testOrg is an emulated Webex org behind httptest with a fast client.
type testOrg struct {
	emu    *webexapi.Server
	srv    *httptest.Server
	client *webex.Client
}

// newTestOrg starts the emulator seeded with DefaultSeed plus every owner of
// devs, then applies edit to the seed (pre-existing devices).
func newTestOrg(tb testing.TB, devs []inventory.Device, edit func(*webexapi.Seed), opts ...webex.Option) *testOrg {
	tb.Helper()
	seed := webexapi.DefaultSeed()
	seed.AddInventory(devs)
	if edit != nil {
		edit(seed)
	}
	emu := webexapi.New(webexapi.WithSeed(seed), webexapi.WithRequestLogLimit(1000))
	srv := httptest.NewServer(emu)
	tb.Cleanup(srv.Close)
	copts := append([]webex.Option{
		webex.WithRate(rate.Inf, 0),
		webex.WithBackoff(2*time.Millisecond, 50*time.Millisecond),
		webex.WithMaxElapsed(30 * time.Second),
	}, opts...)
	c, err := webex.New(srv.URL+"/v1", webex.StaticToken(emu.AdminToken()), copts...)
	if err != nil {
		tb.Fatal(err)
	}
	return &testOrg{emu: emu, srv: srv, client: c}
}

// genDevices builds n valid inventory devices deterministically: mostly
// single-line phones of distinct people, some with a shared line of a
// neighbour, some workspace phones, and 4-port gateways.
func genDevices(n int, seed uint64) []inventory.Device {
	r := rand.New(rand.NewPCG(seed, 7))
	models := []struct {
		make, model string
		kind        inventory.Kind
	}{
		{"Yealink", "T54W", inventory.Phone}, {"Yealink", "T57W", inventory.Phone},
		{"Poly", "VVX 450", inventory.Phone}, {"Grandstream", "GRP2614", inventory.Phone},
		{"AudioCodes", "MP-114", inventory.Gateway}, {"AudioCodes", "MP-118", inventory.Gateway},
	}
	locs := []string{"Headquarters", "Branch Office", "Warehouse"}
	email := func(i int) string { return fmt.Sprintf("user%05d@acme.example", i) }
	out := make([]inventory.Device, 0, n)
	for i := range n {
		m := models[r.IntN(len(models))]
		d := inventory.Device{
			Pos: inventory.Pos{File: "gen", Sheet: "Devices", Row: i + 2},
			MAC: fmt.Sprintf("0004F2%06X", i+1), Type: m.kind, Make: m.make, Model: m.model,
			Owner: email(i), OwnerType: inventory.Person, Location: locs[i%len(locs)],
		}
		switch {
		case m.kind == inventory.Gateway:
			d.Owner, d.OwnerType = fmt.Sprintf("Fax room %05d", i), inventory.Workspace
			d.Lines = []inventory.Line{{Port: 1, Owner: d.Owner, OwnerType: inventory.Workspace}}
			for p := 2; p <= 3; p++ {
				d.Lines = append(d.Lines, inventory.Line{Port: p, Owner: fmt.Sprintf("port%d.%05d@acme.example", p, i), OwnerType: inventory.Person})
			}
		case i%10 == 3 && i > 0:
			d.Lines = []inventory.Line{
				{Port: 1, Owner: d.Owner, OwnerType: inventory.Person, Label: "Mine"},
				{Port: 2, Owner: email(i - 1), OwnerType: inventory.Person, Shared: true, Label: "Boss"},
			}
		case i%17 == 5:
			d.Owner, d.OwnerType = fmt.Sprintf("Meeting room %05d", i), inventory.Workspace
			d.Lines = []inventory.Line{{Port: 1, Owner: d.Owner, OwnerType: inventory.Workspace}}
		default:
			d.Lines = []inventory.Line{{Port: 1, Owner: d.Owner, OwnerType: inventory.Person}}
		}
		if i%9 == 0 {
			d.SIPPassword = fmt.Sprintf("Inv#%05dPass", i)
		}
		out = append(out, d)
	}
	return out
}

// checkProvisioned asserts that Webex holds each device exactly once, with
// the inventory's owner, model and lines and the password of secrets.json.
func checkProvisioned(t *testing.T, org *testOrg, dir string, devs []inventory.Device) {
	t.Helper()
	st := org.emu.Snapshot()
	byMAC := map[string][]webexapi.DeviceState{}
	for _, d := range st.Devices {
		byMAC[d.MAC] = append(byMAC[d.MAC], d)
	}
	sec, err := OpenSecretsWithKey(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	cat := NewWebexCatalog(webexapi.DefaultModels())
	bad := 0
	for _, dev := range devs {
		got := byMAC[dev.MAC]
		if len(got) != 1 {
			t.Errorf("%s: %d devices in Webex, want 1", dev.MAC, len(got))
			bad++
			continue
		}
		d := got[0]
		m := cat.Match(dev.Make, dev.Model, dev.WebexModel)
		if !m.Found || d.Model != m.Device.Model || d.OwnerName == "" {
			t.Errorf("%s: model %q owner %q", dev.MAC, d.Model, d.OwnerName)
		}
		if len(d.Members) != len(dev.Lines) {
			t.Errorf("%s: %d members, want %d", dev.MAC, len(d.Members), len(dev.Lines))
		}
		for i, mem := range d.Members {
			if i < len(dev.Lines) && (mem.Port != dev.Lines[i].Port || (mem.LineType == webex.LineShared) != dev.Lines[i].Shared) {
				t.Errorf("%s: member %d = %+v, want %+v", dev.MAC, i, mem, dev.Lines[i])
			}
		}
		want, ok := sec.Get(dev.MAC)
		have, _ := org.emu.DevicePassword(d.ID)
		if !ok || want != have {
			t.Errorf("%s: Webex password differs from secrets.json", dev.MAC)
		}
		if dev.SIPPassword != "" && want != dev.SIPPassword {
			t.Errorf("%s: the inventory's password was not used", dev.MAC)
		}
		if bad > 10 {
			t.Fatal("too many errors")
		}
	}
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Second)
	t.Cleanup(cancel)
	return ctx
}
