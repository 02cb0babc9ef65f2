package webex_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cutover-dev/cutover/simulator/webexapi"
	"github.com/cutover-dev/cutover/webex"
)

// faultSeed is the default org plus enough people that creates spread over
// many owners, and one device whose MAC belongs to someone else.
func faultSeed(extra int) *webexapi.Seed {
	seed := webexapi.DefaultSeed()
	for i := range extra {
		seed.People = append(seed.People, webexapi.SeedPerson{
			Email:     fmt.Sprintf("load.user%03d@acme.example", i),
			FirstName: "Load", LastName: fmt.Sprintf("User%03d", i),
			Extension: fmt.Sprint(7000 + i), Location: "Headquarters",
		})
	}
	seed.Devices = append(seed.Devices, webexapi.SeedDevice{MAC: takenMAC, Model: "Yealink T57W Partner Managed", Owner: defaultEmail, Password: "Pre!Seeded9x"})
	return seed
}

const takenMAC = "0004F2EEEE01"

// letters spells i in letters so that passwords hold no digit run that could
// match an extension.
func letters(i int) string {
	var b strings.Builder
	for {
		b.WriteByte(byte('a' + i%26))
		i /= 26
		if i == 0 {
			return b.String()
		}
	}
}

// op is one client call and what it must end in: nil, or an error matching want.
type op struct {
	name string
	want error
	run  func(ctx context.Context) error
}

// TestThousandCallsUnderFaults drives 1,000 mixed calls through 30% injected
// faults (5xx before the API, dropped connections, commit-then-fail on
// creates and updates) with the emulator limited to 50 req/s and tokens
// expiring every 4 s: every call must end in success or its expected typed
// error, and the emulator must hold exactly the devices the run created,
// each once, for the right owner, with its password and members.
func TestThousandCallsUnderFaults(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	const (
		devices = 125
		people  = 48
	)
	emu, base := newEmulator(t, webexapi.WithSeed(faultSeed(people)), webexapi.WithRandSeed(7))
	rt := emu.RegisterIntegration("cid-load", "csecret-load", webexapi.AdminScopes()...)
	emu.SetFaults(webexapi.Faults{Rate: 50, ErrorRatio: 0.12, DropRatio: 0.08, CommitThenFail: 0.10,
		LatencyMin: time.Millisecond, LatencyMax: 5 * time.Millisecond, TokenTTL: 4 * time.Second})
	c, err := webex.New(base, webex.RefreshTokenSource(ctx, base, "cid-load", "csecret-load", rt),
		webex.WithRate(80, 10), webex.WithBackoff(10*time.Millisecond, 200*time.Millisecond),
		webex.WithMaxElapsed(30*time.Second), webex.WithAttemptTimeout(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}

	// Owners and a location, read without faults so the script can be built.
	saved := emu.Faults()
	emu.SetFaults(webexapi.Faults{})
	var owners []webex.Person
	for i := range people {
		p, err := c.FindPeopleByEmail(ctx, fmt.Sprintf("load.user%03d@acme.example", i))
		if err != nil || len(p) != 1 {
			t.Fatalf("owner %d: %v %v", i, p, err)
		}
		owners = append(owners, p[0])
	}
	locs, err := c.FindLocations(ctx, "Headquarters")
	if err != nil || len(locs) == 0 {
		t.Fatal(locs, err)
	}
	seeded, err := c.ListDevices(ctx, webex.DeviceQuery{MAC: takenMAC})
	if err != nil || len(seeded) != 1 {
		t.Fatal(seeded, err)
	}
	emu.SetFaults(saved)

	type created struct {
		mu  sync.Mutex
		dev *webex.Device
	}
	devs := make([]created, devices)
	macOf := func(i int) string { return fmt.Sprintf("0004F2B0%04X", i) }
	ownerOf := func(i int) webex.Person { return owners[i%people] }
	deleted := func(i int) bool { return i%5 == 4 }

	// Scripts: each runs its ops in order; scripts run concurrently.
	var scripts [][]op
	for i := range devices {
		i := i
		id := func() string { devs[i].mu.Lock(); defer devs[i].mu.Unlock(); return devs[i].dev.ID }
		owner := ownerOf(i)
		other := ownerOf(i + 1)
		s := []op{
			{"create", nil, func(ctx context.Context) error {
				d, err := c.CreateDevice(ctx, webex.CreateDeviceRequest{MAC: macOf(i), Model: "Yealink T57W Partner Managed", PersonID: owner.ID, Password: "Cut!" + letters(i) + "Q9z"})
				if err == nil {
					if d.MAC != macOf(i) || d.PersonID != owner.ID {
						return fmt.Errorf("created %+v", d)
					}
					devs[i].mu.Lock()
					devs[i].dev = d
					devs[i].mu.Unlock()
				}
				return err
			}},
			{"set password", nil, func(ctx context.Context) error { return c.SetSIPPassword(ctx, id(), "New#"+letters(i)+"P8k") }},
			{"telephony device", nil, func(ctx context.Context) error {
				td, err := c.GetTelephonyDevice(ctx, id())
				if err == nil && td.Owner.SIPUserName == "" {
					return errors.New("no SIP user name")
				}
				return err
			}},
			{"put members", nil, func(ctx context.Context) error {
				return c.PutMembers(ctx, id(), []webex.MemberPut{
					{Port: 1, ID: owner.ID, PrimaryOwner: true, LineType: webex.LinePrimary, LineWeight: 1},
					{Port: 2, ID: other.ID, LineType: webex.LineShared, LineWeight: 1},
				})
			}},
			{"get members", nil, func(ctx context.Context) error {
				m, err := c.GetMembers(ctx, id())
				if err == nil && len(m.Members) != 2 {
					return fmt.Errorf("%d members", len(m.Members))
				}
				return err
			}},
			{"apply changes", nil, func(ctx context.Context) error { return c.ApplyChanges(ctx, id()) }},
			{"get device", nil, func(ctx context.Context) error { _, err := c.GetDevice(ctx, id()); return err }},
		}
		if deleted(i) {
			s = append(s, op{"delete", nil, func(ctx context.Context) error { return c.DeleteDevice(ctx, id()) }})
		}
		scripts = append(scripts, s)
	}
	misc := []op{
		{"find person", nil, func(ctx context.Context) error {
			p, err := c.FindPeopleByEmail(ctx, defaultEmail)
			if err == nil && len(p) != 1 {
				return fmt.Errorf("%d people", len(p))
			}
			return err
		}},
		{"supported devices", nil, func(ctx context.Context) error { _, err := c.SupportedDevices(ctx); return err }},
		{"validate MACs", nil, func(ctx context.Context) error {
			st, err := c.ValidateMACs(ctx, []string{takenMAC, "0004F2DDDD01"})
			if err == nil && (st[0].State != webex.MACUnavailable || st[1].State != webex.MACAvailable) {
				return fmt.Errorf("states %+v", st)
			}
			return err
		}},
		{"generate password", nil, func(ctx context.Context) error { _, err := c.GeneratePassword(ctx, locs[0].ID); return err }},
		{"location calling", nil, func(ctx context.Context) error { _, err := c.GetLocationCalling(ctx, locs[0].ID); return err }},
		{"missing device", webex.ErrNotFound, func(ctx context.Context) error { _, err := c.GetDevice(ctx, "no-such-device"); return err }},
		{"MAC of another owner", webex.ErrMACInUse, func(ctx context.Context) error {
			_, err := c.CreateDevice(ctx, webex.CreateDeviceRequest{MAC: takenMAC, Model: "Yealink T57W Partner Managed", PersonID: owners[0].ID, Password: "Oth!erPw9x"})
			return err
		}},
		{"weak password", webex.ErrInvalid, func(ctx context.Context) error { return c.SetSIPPassword(ctx, seeded[0].ID, "weak") }},
		{"unknown model", webex.ErrInvalid, func(ctx context.Context) error {
			_, err := c.CreateDevice(ctx, webex.CreateDeviceRequest{MAC: "0004F2DDDD02", Model: "Nope 1", PersonID: owners[1].ID, Password: "Oth!erPw9x"})
			return err
		}},
		{"list devices", nil, func(ctx context.Context) error {
			_, err := c.ListDevices(ctx, webex.DeviceQuery{PersonID: owners[2].ID})
			return err
		}},
	}
	total := 0
	for _, s := range scripts {
		total += len(s)
	}
	for i := 0; total < 1000; i++ {
		scripts = append(scripts, []op{misc[i%len(misc)]})
		total++
	}

	type result struct {
		script, step int
		name         string
		err          error
		done         bool
	}
	results := make([][]result, len(scripts))
	work := make(chan int)
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for si := range work {
				res := make([]result, len(scripts[si]))
				for k, o := range scripts[si] {
					err := o.run(ctx)
					res[k] = result{script: si, step: k, name: o.name, err: err, done: true}
					if err != nil && o.want == nil {
						break // later steps need this one
					}
				}
				results[si] = res
			}
		}()
	}
	// Interleave device scripts and single calls.
	for si := range scripts {
		work <- si
	}
	close(work)
	wg.Wait()

	calls, failures := 0, 0
	for si, res := range results {
		for k, r := range res {
			o := scripts[si][k]
			if !r.done {
				t.Errorf("script %d step %d (%s) never ran", si, k, o.name)
				continue
			}
			calls++
			switch {
			case o.want == nil && r.err != nil:
				failures++
				t.Errorf("script %d %s: %v", si, o.name, r.err)
			case o.want != nil && !errors.Is(r.err, o.want):
				failures++
				t.Errorf("script %d %s: err %v, want %v", si, o.name, r.err, o.want)
			}
		}
	}
	if calls != 1000 {
		t.Errorf("%d calls ended, want 1000", calls)
	}

	st := emu.Snapshot()
	byMAC := map[string][]webexapi.DeviceState{}
	for _, d := range st.Devices {
		byMAC[d.MAC] = append(byMAC[d.MAC], d)
	}
	want := 1 // the seeded one
	for i := range devices {
		got := byMAC[macOf(i)]
		if deleted(i) {
			if len(got) != 0 {
				t.Errorf("device %s deleted but still there", macOf(i))
			}
			continue
		}
		want++
		if len(got) != 1 {
			t.Errorf("device %s: %d copies", macOf(i), len(got))
			continue
		}
		d := got[0]
		if d.OwnerID != ownerOf(i).ID || !d.PasswordSet || len(d.Members) != 2 || d.AppliedChanges < 1 {
			t.Errorf("device %s: owner %s (want %s), password %v, %d members, applied %d",
				d.MAC, d.OwnerID, ownerOf(i).ID, d.PasswordSet, len(d.Members), d.AppliedChanges)
		}
		if devs[i].dev == nil || devs[i].dev.ID != d.ID {
			t.Errorf("device %s: the client returned another id than the one stored", d.MAC)
		}
	}
	if len(st.Devices) != want {
		t.Errorf("%d devices in the emulator, want %d (none duplicated, none orphaned)", len(st.Devices), want)
	}
	if _, ok := byMAC["0004F2DDDD02"]; ok {
		t.Error("a refused create left a device")
	}
	cs := c.Stats()
	bf := st.Requests.ByFault
	t.Logf("%d calls, %d failures; client %+v; emulator %d requests, faults %v", calls, failures, cs, st.Requests.Total, bf)
	for _, f := range []string{"error", "drop", "commit-then-fail", "rate"} {
		if bf[f] == 0 {
			t.Errorf("no %q fault was injected: the test proves nothing about it", f)
		}
	}
	if cs.Recovered == 0 {
		t.Error("no create was recovered by a MAC lookup")
	}
}
