package webex_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/cutover-dev/cutover/migrate"
	"github.com/cutover-dev/cutover/migrate/inventory"
	"github.com/cutover-dev/cutover/simulator/webexapi"
	"github.com/cutover-dev/cutover/watch"
	"github.com/cutover-dev/cutover/webex"
)

// specOperations is every operation of the specs the client calls (the
// calls of WEBEX-API.md that the subsets hold). The contract tests must
// validate each at least once.
var specOperations = []string{
	"GET /people",
	"GET /workspaces",
	"GET /locations",
	"GET /telephony/config/supportedDevices",
	"POST /telephony/config/devices/actions/validateMacs/invoke",
	"POST /devices",
	"GET /devices",
	"GET /devices/{deviceId}",
	"DELETE /devices/{deviceId}",
	"GET /telephony/config/devices/{deviceId}",
	"PUT /telephony/config/devices/{deviceId}",
	"GET /telephony/config/devices/{deviceId}/members",
	"PUT /telephony/config/devices/{deviceId}/members",
	"POST /telephony/config/devices/{deviceId}/actions/applyChanges/invoke",
	"POST /applications/{applicationId}/token",
}

// specEmulator starts the emulator seeded with DefaultSeed and devs, and a
// validator in front of it.
func specEmulator(t *testing.T, devs []inventory.Device, opts ...webexapi.Option) (*webexapi.Server, string, *specValidator) {
	t.Helper()
	seed := webexapi.DefaultSeed()
	seed.AddInventory(devs)
	emu := webexapi.New(append([]webexapi.Option{webexapi.WithSeed(seed)}, opts...)...)
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	base := srv.URL + "/v1"
	return emu, base, newSpecValidator(t, base, nil)
}

func specClient(t *testing.T, base string, v *specValidator, tok string, opts ...webex.Option) *webex.Client {
	t.Helper()
	c, err := webex.New(base, webex.StaticToken(tok), append([]webex.Option{
		webex.WithHTTPClient(v.httpClient()),
		webex.WithRate(rate.Inf, 0),
		webex.WithBackoff(2*time.Millisecond, 20*time.Millisecond),
		webex.WithMaxElapsed(30 * time.Second),
	}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// specDevices is an inventory that takes every branch of the flow: people
// and workspace phones, a shared line with a label, an ATA gateway whose
// ports carry the T.38 flag.
func specDevices() []inventory.Device {
	pos := func(row int) inventory.Pos { return inventory.Pos{File: "spec.csv", Row: row} }
	person := func(e string) inventory.Line { return inventory.Line{Owner: e, OwnerType: inventory.Person} }
	return []inventory.Device{
		{Pos: pos(2), MAC: "805EC0000001", Type: inventory.Phone, Make: "Yealink", Model: "T54W",
			Owner: "ada.lovelace@acme.example", OwnerType: inventory.Person,
			Lines: []inventory.Line{{Port: 1, Owner: "ada.lovelace@acme.example", OwnerType: inventory.Person, Label: "Ada"},
				{Port: 2, Owner: "alan.turing@acme.example", OwnerType: inventory.Person, Shared: true, Label: "Alan"}}},
		{Pos: pos(3), MAC: "0004F2000002", Type: inventory.Phone, Make: "Poly", Model: "VVX 450",
			Owner: "grace.hopper@acme.example", OwnerType: inventory.Person, Lines: []inventory.Line{person("grace.hopper@acme.example")}},
		{Pos: pos(4), MAC: "000B82000003", Type: inventory.Phone, Make: "Grandstream", Model: "GRP2614",
			Owner: "Lobby", OwnerType: inventory.Workspace, Location: "Headquarters",
			Lines: []inventory.Line{{Port: 1, Owner: "Lobby", OwnerType: inventory.Workspace}}},
		{Pos: pos(5), MAC: "00908F000004", Type: inventory.Gateway, Make: "AudioCodes", Model: "MP-114",
			Owner: "Fax Room", OwnerType: inventory.Workspace, Location: "Warehouse",
			Lines: []inventory.Line{{Port: 1, Owner: "Fax Room", OwnerType: inventory.Workspace},
				{Port: 2, Owner: "ken.thompson@acme.example", OwnerType: inventory.Person}}},
	}
}

// runSpecFlow plans, migrates, re-runs (adopt) and rolls back devs with c;
// after the migration, emu holds each device exactly once.
func runSpecFlow(t *testing.T, emu *webexapi.Server, c *webex.Client, devs []inventory.Device) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	dir := t.TempDir()
	for round := range 2 {
		plan, res, err := migrate.Migrate(ctx, c, devs, migrate.PlanOptions{}, migrate.RunOptions{Dir: dir})
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if res.Done != len(devs) {
			var sum bytes.Buffer
			_ = plan.WriteSummary(&sum)
			t.Fatalf("round %d: %d of %d done\n%s", round, res.Done, len(devs), sum.String())
		}
	}
	seen := map[string]int{}
	for _, d := range emu.Snapshot().Devices {
		seen[d.MAC]++
	}
	for _, d := range devs {
		if seen[d.MAC] != 1 {
			t.Errorf("%s: %d devices in Webex after migrate, want 1", d.MAC, seen[d.MAC])
		}
	}
	if _, err := migrate.Rollback(ctx, c, dir, migrate.RollbackOptions{}); err != nil {
		t.Fatalf("rollback: %v", err)
	}
}

// TestSpecContract validates, against the published specs, every exchange
// of the client's contract suite (success and error paths), of a service
// app token, and of a whole plan/migrate/re-run/rollback flow, healthy and
// under each fault mode; then checks that every operation the client calls
// was validated.
func TestSpecContract(t *testing.T) {
	var all []*specValidator
	t.Run("suite", func(t *testing.T) {
		emu, base, v := specEmulator(t, nil)
		all = append(all, v)
		cc := emulatorConfig()
		cc.Opts = append(cc.Opts, webex.WithHTTPClient(v.httpClient()))
		contractSuite(t, base, webex.StaticToken(emu.AdminToken()), cc)
		v.check(t)
	})
	t.Run("service app", func(t *testing.T) {
		emu, base, v := specEmulator(t, nil)
		all = append(all, v)
		emu.RegisterServiceApp("app-spec", "sa-cid", "sa-secret", emu.OrgID())
		ts := webex.ServiceAppTokenSource(context.Background(), base, webex.StaticToken(emu.AdminToken()),
			"app-spec", "sa-cid", "sa-secret", emu.OrgID(), webex.WithTokenHTTPClient(v.httpClient()))
		if _, err := ts.Token(); err != nil {
			t.Fatal(err)
		}
		v.check(t)
	})
	faults := map[string]string{
		"healthy":           "none",
		"errors":            "error=0.15",
		"commit-then-fail":  "commit-then-fail=0.3",
		"rate":              "rate=200,burst=5",
		"create-empty-body": "create-empty-body=1",
	}
	for name, spec := range faults {
		t.Run("flow "+name, func(t *testing.T) {
			f, err := webexapi.ParseFaults(spec)
			if err != nil {
				t.Fatal(err)
			}
			devs := specDevices()
			emu, base, v := specEmulator(t, devs, webexapi.WithFaults(f), webexapi.WithRandSeed(13))
			all = append(all, v)
			runSpecFlow(t, emu, specClient(t, base, v, emu.AdminToken()), devs)
			v.check(t)
		})
	}
	t.Run("watch", func(t *testing.T) {
		devs := specDevices()
		emu, base, v := specEmulator(t, devs)
		all = append(all, v)
		c := specClient(t, base, v, emu.AdminToken())
		dir := t.TempDir()
		if _, res, err := migrate.Migrate(t.Context(), c, devs, migrate.PlanOptions{}, migrate.RunOptions{Dir: dir}); err != nil || res.Done != len(devs) {
			t.Fatalf("migrating: %v", err)
		}
		// One device of each kind of state: connected (with firstSeen and
		// lastSeen), activating, never seen. The emulator holds the devices
		// in the order the concurrent migration created them.
		registered := 0
		for _, d := range emu.Snapshot().Devices {
			if d.MAC == devs[2].MAC || registered == 2 {
				continue
			}
			emu.ObserveRegistration(webexapi.Registration{Registrar: "sbc", User: d.SIPUserName, AOR: "sip:" + d.LinePort,
				Contact: "sip:x@192.0.2.1", Expires: time.Now().Add(time.Hour)})
			registered++
		}
		if err := emu.SetConnectionStatus(devs[2].MAC, webex.StatusActivating); err != nil {
			t.Fatal(err)
		}
		res, err := watch.Run(t.Context(), c, watch.Options{Dir: dir, Deadline: time.Now()})
		if !errors.Is(err, watch.ErrDeadline) || res.Counts.Of(watch.Connected) != 2 || res.Counts.Of(watch.Activating) != 1 {
			t.Fatalf("watch: %v %+v", err, res)
		}
		for _, q := range []webex.DeviceQuery{{ConnectionStatus: webex.StatusConnected, Type: "phone"}, {ConnectionStatus: webex.StatusActivating}} {
			if _, err := c.ListDevices(t.Context(), q); err != nil {
				t.Fatal(err)
			}
		}
		v.check(t)
	})
	t.Run("read-only plan", func(t *testing.T) {
		devs := specDevices()
		emu, base, v := specEmulator(t, devs)
		all = append(all, v)
		c := specClient(t, base, v, emu.IssueToken(webexapi.ReadScopes()...))
		plan, err := migrate.MakePlan(t.Context(), c, devs, migrate.PlanOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if plan.Summary[migrate.ActionCreate] != len(devs) {
			t.Errorf("read-only plan: %v", plan.Summary)
		}
		v.check(t)
	})

	seen := map[string]bool{}
	for _, v := range all {
		for _, op := range v.covered() {
			seen[op] = true
		}
	}
	var missing []string
	for _, op := range specOperations {
		if !seen[op] {
			missing = append(missing, op)
		}
	}
	if len(missing) > 0 {
		t.Errorf("operations the client calls that no exchange validated: %s", strings.Join(missing, "; "))
	}
}

// TestSpecContractFails shows the validator says "fail": a field renamed in
// a response of the emulator, or in a request of the client, is reported.
func TestSpecContractFails(t *testing.T) {
	rename := func(old, new string) func(string, []byte) []byte {
		return func(_ string, b []byte) []byte {
			return bytes.ReplaceAll(b, []byte(`"`+old+`"`), []byte(`"`+new+`"`))
		}
	}
	cases := []struct {
		name     string
		response bool
		old, new string
		want     string // in a violation
	}{
		{"response macStatus", true, "macStatus", "macStatuses", "validateMacs"},
		{"response sipUserName", true, "sipUserName", "sipUser", "GET /telephony/config/devices/{deviceId}"},
		{"response model of members", true, "maxLineCount", "maxLines", "members"},
		{"response upgradeChannelList", true, "upgradeChannelList", "upgradeChannels", "supportedDevices"},
		{"response connectionStatus", true, "disconnected", "offline", "POST /devices"},
		{"request macs", false, "macs", "macList", "validateMacs"},
		{"request lineWeight", false, "lineWeight", "weight", "PUT /telephony/config/devices/{deviceId}/members"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			devs := specDevices()
			emu, base, v := specEmulator(t, devs)
			if tc.response {
				v.mutateResponse = rename(tc.old, tc.new)
			} else {
				v.mutateRequest = rename(tc.old, tc.new)
			}
			c := specClient(t, base, v, emu.AdminToken(), webex.WithMaxElapsed(time.Second))
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			// The flow may fail too (the emulator refuses a renamed request
			// field); what matters is that the validator reported it.
			_, _, _ = migrate.Migrate(ctx, c, devs, migrate.PlanOptions{}, migrate.RunOptions{Dir: t.TempDir()})
			vs := v.Violations()
			if !slices.ContainsFunc(vs, func(s string) bool { return strings.Contains(s, tc.want) }) {
				t.Fatalf("renaming %q to %q: no violation about %s; got %d:\n%s", tc.old, tc.new, tc.want, len(vs), strings.Join(vs, "\n"))
			}
			t.Log(fmt.Sprint(vs[0]))
		})
	}
}

// Webex answers some creates 200 with an empty body: the client finds the
// device by MAC and owner, and never creates it again.
func TestCreateEmptyBodyResolvedByMAC(t *testing.T) {
	emu, base := newEmulator(t, webexapi.WithFaults(webexapi.Faults{CreateEmptyBody: 1}))
	c, err := webex.New(base, webex.StaticToken(emu.AdminToken()), webex.WithRate(rate.Inf, 0))
	if err != nil {
		t.Fatal(err)
	}
	people, err := c.FindPeopleByEmail(t.Context(), defaultEmail)
	if err != nil || len(people) != 1 {
		t.Fatalf("people %v %v", people, err)
	}
	dev, err := c.CreateDevice(t.Context(), webex.CreateDeviceRequest{MAC: "0004F2A1B2C3", Model: "Yealink T57W Partner Managed",
		PersonID: people[0].ID, Password: "Gr8!secret-x"})
	if err != nil || dev.ID == "" || dev.MAC != "0004F2A1B2C3" {
		t.Fatalf("create = %+v, %v", dev, err)
	}
	creates, empty := 0, 0
	for _, r := range emu.Requests() {
		if r.Route == "POST /v1/devices" {
			creates++
			if r.Fault == "create-empty-body" {
				empty++
			}
		}
	}
	if creates != 1 || empty != 1 {
		t.Errorf("%d creates (%d answered without a body), want 1 and 1", creates, empty)
	}
}
