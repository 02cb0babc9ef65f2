package reports

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cutover-dev/cutover/certify"
	"github.com/cutover-dev/cutover/migrate"
	"github.com/cutover-dev/cutover/shard"
)

// splitRun splits r into n shard runs the way migrate --shard K/N would have
// made them: each plan holds its shard's devices and records the shard.
func splitRun(r *synthRun, n int) []*synthRun {
	out := make([]*synthRun, n)
	for k := range out {
		p := *r.Plan
		p.Shard, p.Devices, p.Summary = shard.Spec{K: k, N: n}.String(), nil, map[migrate.Action]int{}
		out[k] = &synthRun{Plan: &p}
	}
	for _, d := range r.Plan.Devices {
		s := out[shard.Index(d.MAC, n)]
		s.Plan.Devices = append(s.Plan.Devices, d)
		s.Plan.Summary[d.Action]++
	}
	for _, e := range r.Events {
		s := out[shard.Index(e.MAC, n)]
		s.Events = append(s.Events, e)
	}
	for _, res := range r.Results {
		s := out[shard.Index(res.MAC, n)]
		s.Results = append(s.Results, res)
	}
	return out
}

func writeShards(t testing.TB, runs []*synthRun) []string {
	t.Helper()
	root := t.TempDir()
	dirs := make([]string, len(runs))
	for k, r := range runs {
		dirs[k] = filepath.Join(root, fmt.Sprintf("shard-%d", k))
		if err := os.Mkdir(dirs[k], 0o755); err != nil {
			t.Fatal(err)
		}
		r.writeRun(t, dirs[k])
	}
	return dirs
}

// normalised is what a report says about a fleet, without the run's name.
func normalised(t *testing.T, d *Data) string {
	t.Helper()
	c := *d
	c.Run = ""
	b, err := json.MarshalIndent(&c, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	var j bytes.Buffer
	if err := WriteJUnit(&j, &c); err != nil {
		t.Fatal(err)
	}
	return string(b) + j.String()
}

// TestMergedShardsEqualTheWholeRun: a run split into shards and merged back
// reports what the whole run reports (devices, outcomes, counts, causes,
// JUnit); the same merge missing one shard does not.
func TestMergedShardsEqualTheWholeRun(t *testing.T) {
	whole := synth(300, 7)
	wdir := t.TempDir()
	whole.writeRun(t, wdir)
	want, err := Load(wdir, WithClock(func() time.Time { return fixedNow }))
	if err != nil {
		t.Fatal(err)
	}
	dirs := writeShards(t, splitRun(whole, 4))
	got, err := LoadRuns(dirs, WithClock(func() time.Time { return fixedNow }))
	if err != nil {
		t.Fatal(err)
	}
	if g, w := normalised(t, got), normalised(t, want); g != w {
		t.Fatalf("merged shards differ from the whole run:\n%s", firstDiff(g, w))
	}
	// The fleet failover figures (certify.Fleet over the results) are part
	// of what was compared: the whole run has them.
	if want.FleetFailover.Devices == 0 || got.FleetFailover.Devices != want.FleetFailover.Devices {
		t.Errorf("fleet failover over %d devices merged, %d whole", got.FleetFailover.Devices, want.FleetFailover.Devices)
	}
	if got.Run != "shard-0 + shard-1 + shard-2 + shard-3" {
		t.Errorf("Run = %q", got.Run)
	}
	if n := mergedName([]string{"s0", "s1", "s2", "s3", "s4"}); n != "s0 + … + s4 (5 runs)" {
		t.Errorf("five runs are named %q", n)
	}
	// Broken on purpose: three of four shards are not the fleet.
	part, err := LoadRuns(dirs[:3], WithClock(func() time.Time { return fixedNow }))
	if err != nil {
		t.Fatal(err)
	}
	if normalised(t, part) == normalised(t, want) {
		t.Fatal("three shards of four report the same as the whole run")
	}
	sh, err := ShardsOf(dirs[:3])
	if err != nil || sh.N != 4 || fmt.Sprint(sh.Missing()) != "[3]" {
		t.Errorf("ShardsOf(3 of 4) = %+v, missing %v, %v", sh, sh.Missing(), err)
	}
}

func TestMergeRefuses(t *testing.T) {
	whole := synth(60, 3)
	four := writeShards(t, splitRun(whole, 4))
	two := writeShards(t, splitRun(whole, 2))
	plain := t.TempDir()
	whole.writeRun(t, plain)
	moved := splitRun(whole, 4)
	// A plan edited by hand (or a shard made by another rule): a device of
	// shard 0 in shard 1's plan.
	moved[1].Plan.Devices = append(moved[1].Plan.Devices, moved[0].Plan.Devices[0])
	movedDirs := writeShards(t, moved[1:2])
	// A certify --inventory results directory holding a shard's device.
	certOnly := t.TempDir()
	writeJSONL(t, filepath.Join(certOnly, ResultsFile), []certify.Result{{MAC: whole.Plan.Devices[0].MAC, Case: certify.CaseRegister, Outcome: certify.Pass}})
	for name, tc := range map[string]struct {
		dirs []string
		says string
	}{
		"same directory twice": {[]string{four[0], four[1], four[0]}, "are both shard 0/4"},
		"different splits":     {[]string{four[0], two[1]}, "shards of different splits"},
		"shard and whole run":  {[]string{four[0], plain}, "planned no shard"},
		"device in two runs":   {[]string{plain, certOnly}, "is in both"},
		"device of another":    {movedDirs, "belongs to shard"},
		"no run data":          {[]string{four[0], t.TempDir()}, "no plan, journal"},
	} {
		t.Run(name, func(t *testing.T) {
			if name == "device of another" {
				tc.dirs = append(tc.dirs, four[2])
			}
			_, err := LoadRuns(tc.dirs)
			if err == nil || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("LoadRuns = %v; want an error saying %q", err, tc.says)
			}
			if name != "no run data" && !errors.Is(err, ErrMerging) {
				t.Errorf("%v does not wrap ErrMerging", err)
			}
		})
	}
}

func TestGenerateRunsWritesIntoOut(t *testing.T) {
	dirs := writeShards(t, splitRun(synth(40, 5), 2))
	out := filepath.Join(t.TempDir(), "merged")
	p, err := GenerateRuns(dirs, out)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{p.HTML, p.XLSX, p.JUnit} {
		if filepath.Dir(f) != out {
			t.Errorf("%s is not in %s", f, out)
		}
		if _, err := os.Stat(f); err != nil {
			t.Error(err)
		}
	}
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, HTMLFile)); err == nil {
			t.Errorf("a report was written into the shard %s", d)
		}
	}
	if _, err := GenerateRuns(dirs, ""); !errors.Is(err, ErrMerging) {
		t.Errorf("GenerateRuns without out = %v; want ErrMerging", err)
	}
}

// firstDiff shows the first line where a and b differ.
func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(al), len(bl)) {
		if al[i] != bl[i] {
			return fmt.Sprintf("line %d:\n got  %s\n want %s", i+1, al[i], bl[i])
		}
	}
	return fmt.Sprintf("lengths %d and %d lines", len(al), len(bl))
}
