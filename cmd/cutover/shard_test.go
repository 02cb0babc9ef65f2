package main

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/urfave/cli/v2"
	"github.com/xuri/excelize/v2"

	"github.com/cutover-dev/cutover/certify"
	"github.com/cutover-dev/cutover/fixtures"
	"github.com/cutover-dev/cutover/migrate"
	"github.com/cutover-dev/cutover/render/publish"
	"github.com/cutover-dev/cutover/reports"
	"github.com/cutover-dev/cutover/shard"
	"github.com/cutover-dev/cutover/simulator/webexapi"
	"github.com/cutover-dev/cutover/webex"
)

// fleetView is what a report says about a fleet, without what differs from
// one run to another of the same work: timestamps, durations, generated
// Webex IDs and the run's name.
func fleetView(d *reports.Data) string {
	var b strings.Builder
	s := d.Summary
	fmt.Fprintf(&b, "planned %d certified %d passed %d failed %d cases %d/%d/%d/%d\n", s.Planned, s.Certified, s.CertPassed,
		s.CertFailed, s.CasesPassed, s.CasesFailed, s.CasesSkipped, s.CasesBlocked)
	for _, st := range reports.AllStatuses {
		fmt.Fprintf(&b, "status %s %d\n", st, s.ByStatus[st])
	}
	actions := slices.Sorted(maps.Keys(s.ByAction))
	for _, a := range actions {
		fmt.Fprintf(&b, "action %s %d\n", a, s.ByAction[a])
	}
	for _, st := range d.Steps {
		fmt.Fprintf(&b, "step %s done %d failed %d skipped %d\n", st.Step, st.Done, st.Failed, st.Skipped)
	}
	for _, dev := range d.Devices {
		fmt.Fprintf(&b, "device %s %s %s %s %s %s lines %d action %s status %s step %s cert %q reason %q outcomes %v\n",
			dev.MAC, dev.Type, dev.Make, dev.Model, dev.Owner, dev.Location, dev.Lines, dev.Action, dev.Status, dev.Step,
			dev.Cert, dev.Reason, dev.Outcomes)
	}
	for _, g := range d.Groups {
		fmt.Fprintf(&b, "cause %s %s %s %d %v\n", g.Source, g.Where, g.Remedy, g.Count, g.MACs)
	}
	return b.String()
}

func mustShard(t *testing.T, s string) shard.Spec {
	t.Helper()
	sp, err := shard.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

// TestShardsMergeToTheUnshardedRun is the shard test of issue 15: N
// `cutover migrate --shard K/N` processes against one Webex emulator, each in
// its own run directory as the Kubernetes Indexed Job runs them, then
// `cutover report` merging their directories; the merged report equals the
// report of one unsharded run of the same inventory against a fresh org.
func TestShardsMergeToTheUnshardedRun(t *testing.T) {
	const n, devices = 3, 45
	e := newMigrateEnv(t, devices)
	shareOwner(t, e)
	root := t.TempDir()
	shardDirs := make([]string, n)
	cmds := make([]*exec.Cmd, n)
	outs := make([]*bytes.Buffer, n)
	for k := range n {
		shardDirs[k] = filepath.Join(root, fmt.Sprintf("shard-%d", k))
		// Every shard publishes into the one provisioning directory the
		// phones read, as the shards of a real night do.
		cmds[k], outs[k] = startCutover(t, e.args("migrate", e.inv, "--run", shardDirs[k], "--shard", fmt.Sprintf("%d/%d", k, n), "--jobs", "4",
			"--publish", "dir://"+filepath.Join(root, "prov")))
	}
	for k, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("shard %d/%d: %v\n%s", k, n, err, outs[k].String())
		}
	}
	checkCreatedOnce(t, e) // every device created once, by exactly one shard
	total := 0
	for k, dir := range shardDirs {
		p, err := migrate.ReadPlan(dir)
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("%d/%d", k, n); p.Shard != want {
			t.Errorf("%s/plan.json records shard %q, want %q", dir, p.Shard, want)
		}
		if len(p.Devices) == 0 || len(p.Devices) == devices {
			t.Errorf("shard %d/%d planned %d of %d devices", k, n, len(p.Devices), devices)
		}
		total += len(p.Devices)
	}
	if total != devices {
		t.Errorf("the shards planned %d devices together, want %d", total, devices)
	}

	merged := filepath.Join(root, "merged")
	var out, errb bytes.Buffer
	args := append([]string{"cutover", "report", "--out", merged, "--run", shardDirs[0]}, shardDirs[1:]...) // as a shell glob gives them
	if code := run(t.Context(), args, &out, &errb); code != 0 {
		t.Fatalf("report merge: exit %d\n%s%s", code, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), fmt.Sprintf("merged %d runs: %d devices", n, devices)) {
		t.Errorf("report merge output:\n%s", out.String())
	}
	for _, f := range []string{"report.html", "report.xlsx", "junit.xml"} {
		if fi, err := os.Stat(filepath.Join(merged, f)); err != nil || fi.Size() == 0 {
			t.Errorf("merged %s: %v", f, err)
		}
	}
	got, err := reports.LoadRuns(shardDirs)
	if err != nil {
		t.Fatal(err)
	}

	// The same inventory, unsharded, against a fresh org.
	whole := newMigrateEnv(t, devices)
	shareOwner(t, whole)
	wholeProv := filepath.Join(t.TempDir(), "prov")
	if code := run(t.Context(), whole.args("migrate", whole.inv, "--run", whole.dir, "--jobs", "4", "--publish", "dir://"+wholeProv), &out, &errb); code != 0 {
		t.Fatalf("unsharded migrate: exit %d\n%s%s", code, out.String(), errb.String())
	}
	want, err := reports.Load(whole.dir)
	if err != nil {
		t.Fatal(err)
	}
	if g, w := fleetView(got), fleetView(want); g != w {
		t.Fatalf("the merged shards report differently from the unsharded run:\n--- merged\n%s\n--- unsharded\n%s", g, w)
	}
	if !strings.Contains(fleetView(got), "step publish done 45") {
		t.Errorf("not every device was published:\n%s", fleetView(got))
	}
	// The shared provisioning directory lists every device's files once,
	// the same files the unsharded run published.
	if g, w := manifestNames(t, filepath.Join(root, "prov")), manifestNames(t, wholeProv); !slices.Equal(g, w) || len(g) < devices {
		t.Errorf("the shards published %d files, the unsharded run %d (want the same names, at least one per device)", len(g), len(w))
	}
	// Broken on purpose: without one shard the merge is not the fleet, and
	// the report says which shard is missing.
	out.Reset()
	errb.Reset()
	if code := run(t.Context(), []string{"cutover", "report", "--out", merged, "--run", shardDirs[0], "--run", shardDirs[2]}, &out, &errb); code != 0 {
		t.Fatalf("report of 2 shards: exit %d\n%s", code, errb.String())
	}
	if !strings.Contains(errb.String(), fmt.Sprintf("lacks shard 1/%d", n)) {
		t.Errorf("a merge missing shard 1 says:\n%s", errb.String())
	}
	part, err := reports.LoadRuns([]string{shardDirs[0], shardDirs[2]})
	if err != nil {
		t.Fatal(err)
	}
	if fleetView(part) == fleetView(want) {
		t.Fatal("two shards of three report the same as the whole fleet")
	}
}

// shareOwner gives the first 15 devices of e's inventory one owner, so that
// its devices fall in every shard and the shards' processes create for it
// at once (Webex takes one create at a time per owner), and slows the
// emulator's answers so that those creates overlap.
func shareOwner(t *testing.T, e *migrateEnv) {
	t.Helper()
	f, err := excelize.OpenFile(e.inv)
	if err != nil {
		t.Fatal(err)
	}
	sheet := f.GetSheetName(0)
	for row := 2; row <= 16; row++ {
		for col, v := range map[string]string{"E": fixtures.GeneratedOwner(1), "F": "person"} {
			if err := f.SetCellValue(sheet, fmt.Sprintf("%s%d", col, row), v); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := f.Save(); err != nil {
		t.Fatal(err)
	}
	_ = f.Close()
	e.emu.SetFaults(webexapi.Faults{LatencyMin: time.Millisecond, LatencyMax: 4 * time.Millisecond})
}

// checkCreatedOnce asserts that Webex holds each inventory device once and
// that there were as many successful creates as devices. Unlike
// checkExactlyOnce it allows refused creates: shards creating for one owner
// at once draw 409s ("another device is being created for this owner"),
// which the client retries.
func checkCreatedOnce(t *testing.T, e *migrateEnv) {
	t.Helper()
	seen := map[string]int{}
	for _, d := range e.emu.Snapshot().Devices {
		seen[d.MAC]++
	}
	for _, d := range e.devs {
		if seen[d.MAC] != 1 {
			t.Errorf("%s: %d devices in Webex, want 1", d.MAC, seen[d.MAC])
		}
	}
	creates, refused := 0, 0
	for _, r := range e.emu.Requests() {
		if r.Route == "POST /v1/devices" {
			if r.Status == 200 {
				creates++
			} else {
				refused++
			}
		}
	}
	if creates != len(e.devs) || len(seen) != len(e.devs) {
		t.Errorf("%d successful creates and %d devices in Webex, want %d", creates, len(seen), len(e.devs))
	}
	t.Logf("%d creates refused and retried (one owner's creates from several shards at once)", refused)
}

// manifestNames lists the files a dir:// target's manifest holds.
func manifestNames(t *testing.T, dir string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, publish.ManifestName))
	if err != nil {
		t.Fatal(err)
	}
	m, err := publish.ParseManifest(b)
	if err != nil {
		t.Fatal(err)
	}
	return slices.Sorted(maps.Keys(m.Files))
}

// TestShardRunDirectoryIsOneShards: a shard's run directory refuses a
// resume with another --shard, or none, before anything is sent.
func TestShardRunDirectoryIsOneShards(t *testing.T) {
	e := newMigrateEnv(t, 12)
	var out, errb bytes.Buffer
	if code := run(t.Context(), e.args("migrate", e.inv, "--run", e.dir, "--shard", "1/2"), &out, &errb); code != 0 {
		t.Fatalf("shard 1/2: exit %d\n%s", code, errb.String())
	}
	before := len(e.emu.Requests())
	for _, sh := range [][]string{{"--shard", "0/2"}, {"--shard", "1/3"}, nil} {
		for _, cmd := range []string{"migrate", "plan"} {
			errb.Reset()
			args := append([]string{cmd, e.inv, "--run", e.dir}, sh...)
			code := run(t.Context(), e.args(args...), &out, &errb)
			if code != exitUsage || !strings.Contains(errb.String(), "was planned for shard 1/2") {
				t.Errorf("%v: exit %d, want 2 naming shard 1/2\n%s", args, code, errb.String())
			}
		}
	}
	if after := len(e.emu.Requests()); after != before {
		t.Errorf("a refused resume sent %d requests to Webex", after-before)
	}
	// The right shard resumes: everything is done already.
	out.Reset()
	if code := run(t.Context(), e.args("migrate", e.inv, "--run", e.dir, "--shard", "1/2"), &out, &errb); code != 0 || !strings.Contains(out.String(), "already done") {
		t.Errorf("resume of shard 1/2: exit %d\n%s%s", code, out.String(), errb.String())
	}
	// An unsharded directory refuses a shard, too.
	plain := t.TempDir()
	if code := run(t.Context(), e.args("plan", e.inv, "--run", plain), &out, &errb); code != 0 {
		t.Fatalf("plan: exit %d\n%s", code, errb.String())
	}
	errb.Reset()
	if code := run(t.Context(), e.args("migrate", e.inv, "--run", plain, "--shard", "0/2"), &out, &errb); code != exitUsage ||
		!strings.Contains(errb.String(), "the whole inventory") {
		t.Errorf("shard on an unsharded directory: exit %d\n%s", code, errb.String())
	}
}

func TestShardFlagRefusesBadSpecs(t *testing.T) {
	e := newMigrateEnv(t, 3)
	for _, sh := range []string{"3/3", "1", "x/2", "0/0", "$(JOB_COMPLETION_INDEX)/4"} {
		for _, cmd := range [][]string{{"migrate", e.inv, "--run", e.dir}, {"plan", e.inv, "--run", e.dir}, {"certify", "--run", e.dir}} {
			var out, errb bytes.Buffer
			args := e.args(append(cmd, "--shard", sh)...)
			if cmd[0] == "certify" { // no Webex, no --rate
				args = append([]string{"cutover"}, append(cmd, "--shard", sh)...)
			}
			code := run(t.Context(), args, &out, &errb)
			if code != exitUsage || !strings.Contains(errb.String(), "--shard") {
				t.Errorf("%s --shard %s: exit %d, stderr %q; want 2 naming --shard", cmd[0], sh, code, errb.String())
			}
		}
	}
	if len(e.emu.Requests()) != 0 {
		t.Error("a bad --shard reached Webex")
	}
}

// TestShardSplitsTheRate: each shard's client keeps to rate/N, and says so.
func TestShardSplitsTheRate(t *testing.T) {
	for _, tc := range []struct {
		shard string
		rate  float64
		want  float64
	}{{"", 100, 100}, {"0/1", 100, 100}, {"1/4", 100, 25}, {"2/3", 10, 10.0 / 3}} {
		var got float64
		app := &cli.App{Flags: []cli.Flag{rateFlag(), shardFlag(), onlyFlag(), jobsFlag(), runDirFlag()},
			Action: func(c *cli.Context) error {
				f, err := parseRunFlags(c)
				if err != nil {
					return err
				}
				client, err := webex.New("http://127.0.0.1:1/v1", webex.StaticToken("t"), f.rate...)
				if err != nil {
					return err
				}
				got = client.Stats().Rate
				if f.rateLimit != tc.want {
					return fmt.Errorf("rateLimit %g", f.rateLimit)
				}
				return nil
			}}
		args := []string{"x", "--run", "d", "--rate", fmt.Sprint(tc.rate)}
		if tc.shard != "" {
			args = append(args, "--shard", tc.shard)
		}
		if err := app.Run(args); err != nil || math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("--shard %q --rate %g: client rate %g, %v; want %g", tc.shard, tc.rate, got, err, tc.want)
		}
	}
	if got := shardNote(mustShard(t, "1/4"), 30, 120, 100); got != "shard 1/4: 30 of the inventory's 120 devices, at most 25 requests/s (--rate 100 split 4 ways)" {
		t.Errorf("shard note: %q", got)
	}
}

// TestBadRowStopsEveryShard: the inventory is checked whole before the
// shard is selected, so a bad row stops every shard alike, with the same
// located error, whichever shard its MAC would fall in; with --skip-invalid
// every shard goes on with its own valid rows and says the row was skipped.
func TestBadRowStopsEveryShard(t *testing.T) {
	e := newMigrateEnv(t, 8)
	f, err := excelize.OpenFile(e.inv)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.SetCellValue(f.GetSheetName(0), "D3", "Brick 9000"); err != nil {
		t.Fatal(err)
	}
	if err := f.Save(); err != nil {
		t.Fatal(err)
	}
	_ = f.Close()
	var first string
	for k := range 2 {
		var out, errb bytes.Buffer
		code := run(t.Context(), e.args("migrate", e.inv, "--run", filepath.Join(t.TempDir(), "s"), "--shard", fmt.Sprintf("%d/2", k)), &out, &errb)
		if code != exitUsage || !strings.Contains(errb.String(), ":3:D: ") {
			t.Fatalf("shard %d/2: exit %d, want 2 with the located error\n%s", k, code, errb.String())
		}
		if first == "" {
			first = errb.String()
		} else if errb.String() != first {
			t.Errorf("shard 1/2 says\n%s\nshard 0/2 said\n%s", errb.String(), first)
		}
	}
	if n := e.emu.Snapshot().Counts.Devices; n != 0 {
		t.Fatalf("%d devices created by blocked shards", n)
	}
	done := 0
	for k := range 2 {
		var out, errb bytes.Buffer
		dir := filepath.Join(t.TempDir(), "s")
		code := run(t.Context(), e.args("migrate", e.inv, "--run", dir, "--shard", fmt.Sprintf("%d/2", k), "--skip-invalid"), &out, &errb)
		if code != exitFailed || !strings.Contains(out.String(), "skipping 1 invalid rows") {
			t.Fatalf("shard %d/2 --skip-invalid: exit %d, want 1 saying the row was skipped\n%s%s", k, code, out.String(), errb.String())
		}
		p, err := migrate.ReadPlan(dir)
		if err != nil {
			t.Fatal(err)
		}
		done += len(p.Devices)
	}
	if done != 7 || e.emu.Snapshot().Counts.Devices != 7 {
		t.Errorf("the shards planned %d devices and Webex holds %d; want the 7 valid ones", done, e.emu.Snapshot().Counts.Devices)
	}
}

// TestCertifyShardTargets: certify --shard keeps the shard's devices, and
// refuses another shard on a shard's run directory.
func TestCertifyShardTargets(t *testing.T) {
	e := newMigrateEnv(t, 10)
	var targets []certify.Target
	for _, d := range e.devs {
		targets = append(targets, certify.Target{MAC: d.MAC})
	}
	kept, err := shardTargets("", mustShard(t, "1/3"), targets)
	if err != nil {
		t.Fatal(err)
	}
	for _, tg := range kept {
		if shard.Index(tg.MAC, 3) != 1 {
			t.Errorf("%s kept by shard 1/3", tg.MAC)
		}
	}
	if all, _ := shardTargets("", shard.Spec{}, targets); len(all) != 10 || len(kept) == 0 || len(kept) == 10 {
		t.Errorf("kept %d of 10 for 1/3, %d without a shard", len(kept), len(all))
	}
	var out, errb bytes.Buffer
	if code := run(t.Context(), e.args("plan", e.inv, "--run", e.dir, "--shard", "1/3"), &out, &errb); code != 0 {
		t.Fatalf("plan: exit %d\n%s", code, errb.String())
	}
	if _, err := shardTargets(e.dir, mustShard(t, "0/3"), targets); !errors.Is(err, migrate.ErrShardMismatch) {
		t.Errorf("shard 0/3 on shard 1/3's directory: %v", err)
	}
	if _, err := shardTargets(e.dir, mustShard(t, "1/3"), targets); err != nil {
		t.Errorf("shard 1/3 on its own directory: %v", err)
	}
}

// TestReportRefusesRunsThatDoNotMerge: shards of different splits, or one
// shard given twice, are a usage error naming the directories, and no
// merged report is written.
func TestReportRefusesRunsThatDoNotMerge(t *testing.T) {
	e := newMigrateEnv(t, 10)
	root := t.TempDir()
	dirs := map[string]string{}
	for _, sh := range []string{"0/2", "1/3"} {
		dirs[sh] = filepath.Join(root, strings.ReplaceAll(sh, "/", "of"))
		var out, errb bytes.Buffer
		if code := run(t.Context(), e.args("plan", e.inv, "--run", dirs[sh], "--shard", sh), &out, &errb); code != 0 {
			t.Fatalf("plan --shard %s: exit %d\n%s", sh, code, errb.String())
		}
	}
	merged := filepath.Join(root, "merged")
	for _, tc := range []struct {
		runs []string
		says string
	}{
		{[]string{dirs["0/2"], dirs["1/3"]}, "shards of different splits"},
		{[]string{dirs["0/2"], dirs["0/2"]}, "are both shard 0/2"},
	} {
		var out, errb bytes.Buffer
		args := []string{"cutover", "report", "--out", merged}
		for _, r := range tc.runs {
			args = append(args, "--run", r)
		}
		if code := run(t.Context(), args, &out, &errb); code != exitUsage || !strings.Contains(errb.String(), tc.says) {
			t.Errorf("report %v: exit %d, stderr %q; want 2 saying %q", tc.runs, code, errb.String(), tc.says)
		}
		if _, err := os.Stat(merged); err == nil {
			t.Errorf("a refused merge wrote %s", merged)
		}
	}
}
