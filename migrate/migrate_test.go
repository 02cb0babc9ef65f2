package migrate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/cutover-dev/cutover/fixtures"
	"github.com/cutover-dev/cutover/macaddr"
	"github.com/cutover-dev/cutover/migrate/inventory"
	"github.com/cutover-dev/cutover/simulator/webexapi"
	"github.com/cutover-dev/cutover/webex"
)

func readFixture(t *testing.T) []inventory.Device {
	t.Helper()
	inv, err := inventory.ReadFrom(bytes.NewReader(fixtures.InventoryXLSX), "inventory.xlsx", inventory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !inv.Valid() || len(inv.Devices) != 60 {
		t.Fatalf("fixture: %d devices, problems %v", len(inv.Devices), inv.Problems)
	}
	return inv.Devices
}

// recorder is a Progress that counts.
type recorder struct {
	mu     sync.Mutex
	begun  int
	done   map[Step]int
	failed map[Step]int
	ended  bool
}

func (r *recorder) Begin(_ []Step, n int) {
	r.mu.Lock()
	r.begun, r.done, r.failed = n, map[Step]int{}, map[Step]int{}
	r.mu.Unlock()
}
func (r *recorder) StepStarted(string, Step) {}
func (r *recorder) StepDone(_ string, s Step, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.failed[s]++
	} else {
		r.done[s]++
	}
}
func (r *recorder) End() { r.mu.Lock(); r.ended = true; r.mu.Unlock() }

func TestMigrateFixture(t *testing.T) {
	devs := readFixture(t)
	org := newTestOrg(t, devs, nil)
	dir := t.TempDir()
	prog := &recorder{}
	plan, res, err := Migrate(testContext(t), org.client, devs, PlanOptions{Source: "inventory.xlsx"},
		RunOptions{Dir: dir, Jobs: 8, Progress: prog})
	if err != nil {
		t.Fatal(err)
	}
	if plan.Summary[ActionCreate] != 60 {
		t.Fatalf("plan %v, want 60 creates", plan.Summary)
	}
	if !res.OK() || res.Failed != 0 || res.Created != 60 {
		t.Fatalf("result %+v", res)
	}
	checkProvisioned(t, org, dir, devs)
	if prog.begun != 60 || prog.done[StepInfo] != 60 || !prog.ended {
		t.Errorf("progress: %+v", prog)
	}

	// Files: plan, info per device without any password, secrets 0600.
	if _, err := ReadPlan(dir); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, SecretsFile))
	if err != nil {
		t.Fatal(err)
	}
	sec, _ := OpenSecretsWithKey(dir, "")
	for _, d := range devs {
		info, err := ReadInfo(dir, d.MAC)
		if err != nil {
			t.Fatal(err)
		}
		if info.SIPUserName == "" || info.OutboundProxy == "" || info.Domain == "" || len(info.Lines) != len(d.Lines) {
			t.Errorf("%s: incomplete info %+v", d.MAC, info)
		}
		b, _ := os.ReadFile(filepath.Join(dir, InfoDir, d.MAC+".json"))
		pw, _ := sec.Get(d.MAC)
		if bytes.Contains(b, []byte(pw)) {
			t.Errorf("%s: info file holds the SIP password", d.MAC)
		}
	}
	journal, _ := os.ReadFile(filepath.Join(dir, JournalFile))
	for _, d := range devs {
		pw, _ := sec.Get(d.MAC)
		if bytes.Contains(journal, []byte(pw)) || !bytes.Contains(raw, []byte(pw)) {
			t.Fatalf("%s: password in the journal, or missing from secrets.json", d.MAC)
		}
	}

	// A second run has nothing left to do and changes nothing: the journal
	// proves it without a single request.
	before := org.emu.Snapshot().Devices
	sent := org.client.Stats().Requests
	_, res2, err := Migrate(testContext(t), org.client, devs, PlanOptions{}, RunOptions{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if !res2.OK() || res2.Created != 0 || !res2.Finished {
		t.Fatalf("second run %+v", res2)
	}
	if n := org.client.Stats().Requests - sent; n != 0 {
		t.Errorf("a finished run sent %d requests to find nothing left", n)
	}
	if after := org.emu.Snapshot().Devices; !reflect.DeepEqual(before, after) {
		t.Fatal("a second run changed Webex")
	}

	// A device whose info file is gone is not done: the run plans again,
	// and its summary counts the devices the journal shows done as done,
	// not as adopt (Webex has them, because this run created them).
	if err := os.Remove(filepath.Join(dir, InfoDir, devs[0].MAC+".json")); err != nil {
		t.Fatal(err)
	}
	var summary bytes.Buffer
	_, res3, err := Migrate(testContext(t), org.client, devs, PlanOptions{Ready: func(p *Plan) { _ = p.WriteSummary(&summary) }}, RunOptions{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if res3.Finished || !res3.OK() {
		t.Fatalf("third run %+v", res3)
	}
	if !strings.Contains(summary.String(), "done           60") || !strings.Contains(summary.String(), "adopt           0") {
		t.Errorf("resume summary:\n%s", summary.String())
	}
	if _, err := ReadInfo(dir, devs[0].MAC); err != nil {
		t.Errorf("info not read again: %v", err)
	}
}

func TestFinishedRunReplansWhenTheInventoryChanged(t *testing.T) {
	devs := genDevices(6, 3)
	org := newTestOrg(t, devs, nil)
	dir := t.TempDir()
	if _, res, err := Migrate(testContext(t), org.client, devs, PlanOptions{}, RunOptions{Dir: dir}); err != nil || !res.OK() {
		t.Fatalf("%+v, %v", res, err)
	}
	for name, change := range map[string]func([]inventory.Device) []inventory.Device{
		"a device added":   func(d []inventory.Device) []inventory.Device { return append(d, genDevices(7, 3)[6]) },
		"a model changed":  func(d []inventory.Device) []inventory.Device { d[2].Model = "T57W"; return d },
		"a device dropped": func(d []inventory.Device) []inventory.Device { return d[1:] },
	} {
		changed := change(append([]inventory.Device(nil), devs...))
		if _, ok := finished(dir, changed, runSteps(RunOptions{})); ok {
			t.Errorf("%s: taken for a finished run", name)
		}
	}
	if _, ok := finished(dir, devs, runSteps(RunOptions{})); !ok {
		t.Error("the unchanged inventory is not recognised as finished")
	}
	if _, ok := finished(dir, devs, runSteps(RunOptions{ExtraSteps: []ExtraStep{{Step: StepRender}}})); ok {
		t.Error("finished although the render step never ran")
	}
}

// TestPlanHalfDoneOrg plans against an org where some devices exist already.
func TestPlanHalfDoneOrg(t *testing.T) {
	devs := genDevices(40, 1)
	var (
		adopt    inventory.Device // exists as the inventory says
		update   inventory.Device // exists with only the owner's line; the inventory adds a shared one
		conflict inventory.Device // the MAC is someone else's
	)
	for _, d := range devs {
		switch {
		case d.Type != inventory.Phone || d.OwnerType != inventory.Person:
		case len(d.Lines) == 2 && update.MAC == "":
			update = d
		case len(d.Lines) == 1 && adopt.MAC == "":
			adopt = d
		case len(d.Lines) == 1 && conflict.MAC == "":
			conflict = d
		}
	}
	if update.MAC == "" || conflict.MAC == "" {
		t.Fatal("generator changed: no device to update or conflict with")
	}
	cat := NewWebexCatalog(webexapi.DefaultModels())
	wm := func(d inventory.Device) string { return cat.Match(d.Make, d.Model, "").Device.Model }
	invalid := inventory.Device{MAC: "0004F2FFFFFF", Type: inventory.Phone, Make: "Acme", Model: "Brick",
		Owner: "user00001@acme.example", OwnerType: inventory.Person,
		Lines: []inventory.Line{{Port: 1, Owner: "user00001@acme.example"}}}
	devs = append(devs, invalid)
	org := newTestOrg(t, devs, func(s *webexapi.Seed) {
		s.Devices = append(s.Devices,
			webexapi.SeedDevice{MAC: adopt.MAC, Model: wm(adopt), Owner: adopt.Owner, Password: "Old#Pass1234"},
			webexapi.SeedDevice{MAC: update.MAC, Model: wm(update), Owner: update.Owner, Password: "Old#Pass5678"},
			webexapi.SeedDevice{MAC: conflict.MAC, Model: wm(conflict), Owner: "ada.lovelace@acme.example", Password: "Ada#Pass9999"},
		)
	})
	dir := t.TempDir()
	plan, err := MakePlan(testContext(t), org.client, devs, PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[Action]int{ActionCreate: 37, ActionAdopt: 1, ActionUpdate: 1, ActionConflict: 1, ActionInvalid: 1}
	if !reflect.DeepEqual(plan.Summary, want) {
		t.Fatalf("summary %v, want %v", plan.Summary, want)
	}
	byMAC := map[string]PlannedDevice{}
	for _, pd := range plan.Devices {
		byMAC[pd.MAC] = pd
	}
	for mac, a := range map[string]Action{adopt.MAC: ActionAdopt, update.MAC: ActionUpdate, conflict.MAC: ActionConflict, invalid.MAC: ActionInvalid} {
		if byMAC[mac].Action != a {
			t.Errorf("%s: %s (%s), want %s", mac, byMAC[mac].Action, byMAC[mac].Reason, a)
		}
	}
	// A conflict names who holds the MAC and as what, not only IDs.
	if r := byMAC[conflict.MAC].Reason; !strings.Contains(r, "ada.lovelace@acme.example") || !strings.Contains(r, wm(conflict)) {
		t.Errorf("conflict reason %q does not name the owner and model", r)
	}
	if !strings.Contains(byMAC[invalid.MAC].Reason, "catalog") {
		t.Errorf("invalid reason %q", byMAC[invalid.MAC].Reason)
	}
	var sum bytes.Buffer
	if err := plan.WriteSummary(&sum); err != nil || !strings.Contains(sum.String(), "conflict   ") {
		t.Errorf("summary table:\n%s", sum.String())
	}

	snap := func() map[string]webexapi.DeviceState {
		m := map[string]webexapi.DeviceState{}
		for _, d := range org.emu.Snapshot().Devices {
			m[d.MAC] = d
		}
		return m
	}
	before := snap()
	conflictPW, _ := org.emu.DevicePassword(conflict.MAC)
	res, err := Run(testContext(t), org.client, plan, devs, RunOptions{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if res.Done != 39 || res.Failed != 0 || res.Conflict != 1 || res.Invalid != 1 || res.Created != 37 || res.OK() {
		t.Fatalf("result %+v", res)
	}
	after := snap()
	if !reflect.DeepEqual(before[conflict.MAC], after[conflict.MAC]) {
		t.Errorf("the conflict device changed:\n%+v\n%+v", before[conflict.MAC], after[conflict.MAC])
	}
	if pw, _ := org.emu.DevicePassword(conflict.MAC); pw != conflictPW {
		t.Error("the conflict device's password changed")
	}
	if _, ok := after[invalid.MAC]; ok {
		t.Error("the invalid device was created")
	}
	if a := after[adopt.MAC]; a.ID != before[adopt.MAC].ID || !reflect.DeepEqual(a.Members, before[adopt.MAC].Members) {
		t.Error("the adopted device was replaced or its lines changed")
	}
	if u := after[update.MAC]; u.ID != before[update.MAC].ID || len(u.Members) != 2 {
		t.Errorf("the updated device: %+v", u)
	}
	sec, _ := OpenSecretsWithKey(dir, "")
	for _, mac := range []string{adopt.MAC, update.MAC} {
		pw, _ := sec.Get(mac)
		if have, _ := org.emu.DevicePassword(mac); have != pw {
			t.Errorf("%s: adopted device's password is not the stored one", mac)
		}
	}

	// Rollback deletes exactly what the run created: adopted devices stay.
	rb, err := Rollback(testContext(t), org.client, dir, RollbackOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rb.Deleted != 37 || rb.Failed != 0 {
		t.Fatalf("rollback %+v", rb)
	}
	left := snap()
	if len(left) != 3 {
		t.Errorf("%d devices left, want the 3 that existed before", len(left))
	}
	for _, mac := range []string{adopt.MAC, update.MAC, conflict.MAC} {
		if _, ok := left[mac]; !ok {
			t.Errorf("rollback deleted pre-existing device %s", mac)
		}
	}
	// Idempotent, and a migrate afterwards creates them again.
	rb, err = Rollback(testContext(t), org.client, dir, RollbackOptions{})
	if err != nil || rb.Deleted != 0 || rb.Failed != 0 {
		t.Fatalf("second rollback %+v, %v", rb, err)
	}
	_, res, err = Migrate(testContext(t), org.client, devs, PlanOptions{}, RunOptions{Dir: dir})
	if err != nil || res.Failed != 0 || res.Created != 37 {
		t.Fatalf("migrate after rollback: %+v, %v", res, err)
	}
}

func TestRollbackTreats404AsGone(t *testing.T) {
	devs := genDevices(5, 2)
	org := newTestOrg(t, devs, nil)
	dir := t.TempDir()
	if _, _, err := Migrate(testContext(t), org.client, devs, PlanOptions{}, RunOptions{Dir: dir}); err != nil {
		t.Fatal(err)
	}
	// Someone deletes one device behind our back.
	st := org.emu.Snapshot()
	if err := org.client.DeleteDevice(testContext(t), st.Devices[0].ID); err != nil {
		t.Fatal(err)
	}
	rb, err := Rollback(testContext(t), org.client, dir, RollbackOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rb.Deleted != 4 || rb.Gone != 1 {
		t.Fatalf("rollback %+v, want 4 deleted and 1 gone", rb)
	}
}

func TestDryRunChangesNothing(t *testing.T) {
	devs := genDevices(20, 3)
	org := newTestOrg(t, devs, nil)
	dir := filepath.Join(t.TempDir(), "run")
	plan, res, err := Migrate(testContext(t), org.client, devs, PlanOptions{}, RunOptions{Dir: dir, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if plan.Summary[ActionCreate] != 20 || len(res.Pending) != 20 || res.Pending[0].Steps[0] != StepCreate {
		t.Fatalf("plan %v, pending %+v", plan.Summary, res.Pending)
	}
	st := org.emu.Snapshot()
	if st.Counts.Devices != 0 {
		t.Fatal("a dry run created devices")
	}
	for route, n := range st.Requests.ByRoute {
		if (strings.HasPrefix(route, "POST") && !strings.Contains(route, "validateMacs")) ||
			strings.HasPrefix(route, "PUT") || strings.HasPrefix(route, "DELETE") {
			t.Errorf("a dry run sent %d × %s", n, route)
		}
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a dry run wrote the run directory: %v", err)
	}
}

func TestOnlyAndWave(t *testing.T) {
	devs := genDevices(12, 4)
	for i := range devs {
		devs[i].Vars = map[string]string{"wave": []string{"one", "two"}[i%2]}
	}
	org := newTestOrg(t, devs, nil)
	plan, err := MakePlan(testContext(t), org.client, devs, PlanOptions{Wave: "TWO"})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Devices) != 6 || plan.Devices[0].MAC != devs[1].MAC || plan.Devices[0].Wave != "TWO" {
		t.Fatalf("wave plan: %d devices", len(plan.Devices))
	}
	plan, err = MakePlan(testContext(t), org.client, devs, PlanOptions{Only: []string{macaddr.MAC(strings.ToLower(devs[3].MAC)).Colons()}})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Devices) != 1 || plan.Devices[0].MAC != devs[3].MAC {
		t.Fatalf("only plan: %+v", plan.Devices)
	}
	dir := t.TempDir()
	if _, err := Run(testContext(t), org.client, plan, devs, RunOptions{Dir: dir}); err != nil {
		t.Fatal(err)
	}
	ev, _ := ReadJournal(filepath.Join(dir, JournalFile))
	for _, e := range ev {
		if e.MAC != devs[3].MAC {
			t.Fatalf("journal mentions %s", e.MAC)
		}
	}
}

// TestResumeAfterUnknownCreate replays a crash after the POST: the journal
// holds a lone started create while Webex holds the device.
func TestResumeAfterUnknownCreate(t *testing.T) {
	devs := genDevices(6, 5)
	devs[0].SIPPassword = "" // the crashed run generated one
	org := newTestOrg(t, devs, nil)
	dir := t.TempDir()
	plan, err := MakePlan(testContext(t), org.client, devs, PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Run 1 "crashes" after device 0's create landed and before device 1's
	// create was sent.
	sec, _ := OpenSecretsWithKey(dir, "")
	sec.Set(devs[0].MAC, "Crash#Pass0001")
	if err := sec.Save(); err != nil {
		t.Fatal(err)
	}
	pd := plan.Devices[0]
	if _, err := org.client.CreateDevice(testContext(t), webex.CreateDeviceRequest{MAC: pd.MAC, Model: pd.WebexModel,
		PersonID: pd.OwnerID, Password: "Crash#Pass0001"}); err != nil {
		t.Fatal(err)
	}
	j, _ := OpenJournal(dir)
	for _, mac := range []string{devs[0].MAC, devs[1].MAC} {
		if err := j.Append(Event{MAC: mac, Step: StepCreate, Status: StatusStarted, Attempt: 1}); err != nil {
			t.Fatal(err)
		}
	}
	j.Close()

	// The stale plan still says create for device 0: the engine must look first.
	res, err := Run(testContext(t), org.client, plan, devs, RunOptions{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if !res.OK() || res.Created != 5 {
		t.Fatalf("result %+v, want all done and 5 created now", res)
	}
	checkProvisioned(t, org, dir, devs)
	states := mustReplay(t, dir)
	if st := states[devs[0].MAC]; !st.Created || st.Step(StepCreate).Detail != "found by MAC after an unknown outcome" {
		t.Errorf("device 0 state %+v", st.Steps[StepCreate])
	}
	if st := states[devs[1].MAC]; st.Step(StepCreate).Attempts != 2 {
		t.Errorf("device 1: %d create attempts, want 2", st.Step(StepCreate).Attempts)
	}

	// The same crash with a fresh plan: device 0 shows as adopt, yet it is
	// ours (the journal says so) and rollback deletes it.
	dir2 := t.TempDir()
	org2 := newTestOrg(t, devs, nil)
	sec2, _ := OpenSecretsWithKey(dir2, "")
	sec2.Set(devs[0].MAC, "Crash#Pass0001")
	_ = sec2.Save()
	if _, err := org2.client.CreateDevice(testContext(t), webex.CreateDeviceRequest{MAC: pd.MAC, Model: pd.WebexModel,
		PersonID: pd.OwnerID, Password: "Crash#Pass0001"}); err != nil {
		t.Fatal(err)
	}
	j, _ = OpenJournal(dir2)
	_ = j.Append(Event{MAC: devs[0].MAC, Step: StepCreate, Status: StatusStarted, Attempt: 1})
	j.Close()
	plan2, res2, err := Migrate(testContext(t), org2.client, devs, PlanOptions{}, RunOptions{Dir: dir2})
	if err != nil {
		t.Fatal(err)
	}
	if plan2.Summary[ActionAdopt] != 1 || !res2.OK() {
		t.Fatalf("plan %v result %+v", plan2.Summary, res2)
	}
	if st := mustReplay(t, dir2)[devs[0].MAC]; !st.Created {
		t.Errorf("device 0 is not recorded as created by the run: %+v", st)
	}
	checkProvisioned(t, org2, dir2, devs)
	rb, err := Rollback(testContext(t), org2.client, dir2, RollbackOptions{})
	if err != nil || rb.Deleted != 6 {
		t.Fatalf("rollback %+v %v", rb, err)
	}
}

func mustReplay(t *testing.T, dir string) map[string]*DeviceState {
	t.Helper()
	ev, err := ReadJournal(filepath.Join(dir, JournalFile))
	if err != nil {
		t.Fatal(err)
	}
	return Replay(ev)
}

// TestFatalStopsRun: a token refused mid-run stops the batch with a fatal
// error, and the journal stays readable.
func TestFatalStopsRun(t *testing.T) {
	devs := genDevices(30, 6)
	org := newTestOrg(t, devs, nil)
	dir := t.TempDir()
	plan, err := MakePlan(testContext(t), org.client, devs, PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	org.emu.SetAdminToken("someone-else")
	res, err := Run(testContext(t), org.client, plan, devs, RunOptions{Dir: dir, Jobs: 4})
	if !webex.IsFatal(err) {
		t.Fatalf("run error %v, want a fatal one", err)
	}
	if res == nil || res.Done != 0 || res.Failed != 0 || res.Interrupted != 30 {
		t.Fatalf("result %+v", res)
	}
	if _, err := ReadJournal(filepath.Join(dir, JournalFile)); err != nil {
		t.Fatal(err)
	}
}

// TestExtraStepsAndFailures: an appended step sees the device info and
// password; a failing step fails its device only, and a rerun retries it.
func TestExtraStepsAndFailures(t *testing.T) {
	devs := genDevices(10, 7)
	org := newTestOrg(t, devs, nil)
	dir := t.TempDir()
	var mu sync.Mutex
	seen := map[string]bool{}
	failOnce := devs[4].MAC
	render := ExtraStep{Step: StepRender, Run: func(_ context.Context, d *DeviceRun) error {
		info, err := d.Info()
		if err != nil {
			return err
		}
		pw, ok := d.Password()
		if !ok || pw == "" || info.SIPUserName == "" {
			return errors.New("no info or password")
		}
		mu.Lock()
		defer mu.Unlock()
		if d.MAC() == failOnce && !seen[failOnce+"!"] {
			seen[failOnce+"!"] = true
			return errors.New("template exploded")
		}
		seen[d.MAC()] = true
		return nil
	}}
	_, res, err := Migrate(testContext(t), org.client, devs, PlanOptions{}, RunOptions{Dir: dir, ExtraSteps: []ExtraStep{render}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed != 1 || res.Done != 9 || len(res.Failures) != 1 || res.Failures[0].Step != StepRender ||
		!strings.Contains(res.Failures[0].Detail, "template exploded") {
		t.Fatalf("result %+v", res)
	}
	_, res, err = Migrate(testContext(t), org.client, devs, PlanOptions{}, RunOptions{Dir: dir, ExtraSteps: []ExtraStep{render}})
	if err != nil || !res.OK() || !seen[failOnce] {
		t.Fatalf("rerun %+v %v", res, err)
	}
	// The rerun read the info file the first run wrote.
	var info json.RawMessage
	b, _ := os.ReadFile(filepath.Join(dir, InfoDir, failOnce+".json"))
	if json.Unmarshal(b, &info) != nil {
		t.Fatal("info file unreadable")
	}
}

func TestPlanReadsPeopleDirectory(t *testing.T) {
	// One job: the listing and one call by ID at a time, still no deadlock.
	for _, jobs := range []int{1, 8} {
		t.Run(fmt.Sprintf("jobs=%d", jobs), func(t *testing.T) { testPlanReadsPeopleDirectory(t, jobs) })
	}
}

func testPlanReadsPeopleDirectory(t *testing.T, jobs int) {
	devs := genDevices(300, 8)
	// 1,000 more people than the inventory names, listed after its own.
	org := newTestOrg(t, devs, func(s *webexapi.Seed) {
		for i := range 1000 {
			s.People = append(s.People, webexapi.SeedPerson{Email: fmt.Sprintf("bystander%04d@example.com", i), Extension: strconv.Itoa(70000 + i)})
		}
	}, webex.WithPageSize(100))
	plan, err := MakePlan(testContext(t), org.client, devs, PlanOptions{Jobs: jobs})
	if err != nil {
		t.Fatal(err)
	}
	if plan.Summary[ActionCreate] != 300 {
		t.Fatalf("summary %v", plan.Summary)
	}
	// The inventory names 407 people (owners, shared lines, ports). The
	// plan reads the directory's pages of 100 until it has seen them (5 of
	// 15 pages), and their calling data in calls of 85 IDs (5); one lookup
	// per e-mail would be 407 requests, the whole directory 20.
	if n := org.emu.Snapshot().Requests.ByRoute["GET /v1/people"]; n != 10 {
		t.Fatalf("%d people requests, want 5 directory pages and 5 calls by ID", n)
	}
	// Every owner got its calling data (the directory alone has none).
	for _, pd := range plan.Devices {
		if pd.LocationID == "" || (pd.OwnerType != inventory.Workspace && pd.OwnerExtension == "") {
			t.Fatalf("device %s planned without calling data: %+v", pd.MAC, pd)
		}
	}
}

// brokenDirectory fails the directory listing after its second page and
// every call by ID, as 5xx answers beyond the client's retries would.
type brokenDirectory struct {
	*webex.Client
	pages int
}

func (b *brokenDirectory) ListDirectoryPages(ctx context.Context, fn func([]webex.Person) bool) error {
	err := b.Client.ListDirectoryPages(ctx, func(page []webex.Person) bool {
		b.pages++
		return fn(page) && b.pages < 2
	})
	if err == nil && b.pages == 2 {
		err = errUnavailable
	}
	return err
}

var errUnavailable = &webex.APIError{Method: "GET", Path: "/people", StatusCode: 503, Message: "Service Unavailable"}

func (b *brokenDirectory) GetPeopleByID(ctx context.Context, ids []string) ([]webex.Person, error) {
	return nil, errUnavailable
}

func TestPlanDirectoryFailureFallsBackToLookups(t *testing.T) {
	devs := genDevices(300, 8)
	org := newTestOrg(t, devs, nil, webex.WithPageSize(100))
	api := &brokenDirectory{Client: org.client}
	plan, err := MakePlan(testContext(t), api, devs, PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if plan.Summary[ActionCreate] != 300 {
		t.Fatalf("summary %v: every owner should still be found by e-mail", plan.Summary)
	}
	// 2 directory pages, then one lookup per person (407).
	if n := org.emu.Snapshot().Requests.ByRoute["GET /v1/people"]; n != 2+407 {
		t.Fatalf("%d people requests, want 2 pages and 407 lookups", n)
	}
}

// engineSteps counts the devices inside an engine (Webex) step at once.
type engineSteps struct {
	nopProgress
	mu        sync.Mutex
	now, peak int
}

func (p *engineSteps) StepStarted(_ string, s Step) {
	if engineStep(s) {
		p.mu.Lock()
		p.now++
		p.peak = max(p.peak, p.now)
		p.mu.Unlock()
	}
}

func (p *engineSteps) StepDone(_ string, s Step, _ error) {
	if engineStep(s) {
		p.mu.Lock()
		p.now--
		p.mu.Unlock()
	}
}

// TestLocalStepsDoNotHoldAJob: --jobs bounds the devices in their Webex
// steps; a device in the extra steps after them (a publisher's group
// commit) lets the next one start. With one job, the extra step below waits
// until every device is inside it at once, which only happens if none of
// them holds the job there.
func TestLocalStepsDoNotHoldAJob(t *testing.T) {
	const n = 6
	devs := genDevices(n, 11)
	org := newTestOrg(t, devs, nil)
	ctx := testContext(t)
	var (
		arrived = make(chan struct{}, n)
		all     = make(chan struct{})
		once    sync.Once
	)
	barrier := ExtraStep{Step: StepPublish, Run: func(ctx context.Context, d *DeviceRun) error {
		arrived <- struct{}{}
		if len(arrived) == n {
			once.Do(func() { close(all) })
		}
		select {
		case <-all:
			return nil
		case <-ctx.Done():
			return fmt.Errorf("%d of %d devices reached the extra step together: %w", len(arrived), n, ctx.Err())
		}
	}}
	prog := &engineSteps{}
	_, res, err := Migrate(ctx, org.client, devs, PlanOptions{}, RunOptions{
		Dir: t.TempDir(), Jobs: 1, Progress: prog, ExtraSteps: []ExtraStep{barrier}})
	if err != nil || !res.OK() || res.Done != n {
		t.Fatalf("result %+v, %v", res, err)
	}
	if prog.peak != 1 {
		t.Errorf("%d devices were in Webex steps at once, want at most --jobs 1", prog.peak)
	}
}
