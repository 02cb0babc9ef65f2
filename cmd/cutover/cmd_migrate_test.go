package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/cutover-dev/cutover/fixtures"
	"github.com/cutover-dev/cutover/migrate"
	"github.com/cutover-dev/cutover/migrate/inventory"
	"github.com/cutover-dev/cutover/simulator/webexapi"
)

// migrateEnv is an emulated org, an inventory file and a run directory.
type migrateEnv struct {
	emu  *webexapi.Server
	url  string
	inv  string
	dir  string
	devs []inventory.Device
}

func newMigrateEnv(t *testing.T, n int) *migrateEnv {
	t.Helper()
	tmp := t.TempDir()
	path := filepath.Join(tmp, "inventory.xlsx")
	var buf bytes.Buffer
	if err := fixtures.Generate(&buf, n, 7); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	inv, err := inventory.Read(path, inventory.Options{})
	if err != nil || !inv.Valid() {
		t.Fatalf("inventory: %v %v", err, inv.Problems)
	}
	seed := webexapi.DefaultSeed()
	seed.AddInventory(inv.Devices)
	emu := webexapi.New(webexapi.WithSeed(seed))
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	return &migrateEnv{emu: emu, url: srv.URL + "/v1", inv: path, dir: filepath.Join(tmp, "run"), devs: inv.Devices}
}

func (e *migrateEnv) args(cmd ...string) []string {
	return append(append([]string{"cutover", "--webex-url", e.url, "--token", e.emu.AdminToken(), "--quiet"}, cmd...), "--rate", "2000")
}

// checkExactlyOnce asserts that Webex holds each inventory device once and
// that no create was ever answered "MAC in use" (a second create of a MAC).
func (e *migrateEnv) checkExactlyOnce(t *testing.T) {
	t.Helper()
	st := e.emu.Snapshot()
	seen := map[string]int{}
	for _, d := range st.Devices {
		seen[d.MAC]++
	}
	for _, d := range e.devs {
		if seen[d.MAC] != 1 {
			t.Errorf("%s: %d devices in Webex, want 1", d.MAC, seen[d.MAC])
		}
	}
	if len(st.Devices) != len(e.devs) {
		t.Errorf("%d devices in Webex, want %d", len(st.Devices), len(e.devs))
	}
	creates := 0
	for _, r := range e.emu.Requests() {
		if r.Route == "POST /v1/devices" {
			if r.Status == 200 {
				creates++
			} else if r.Status == 409 || r.Status == 400 {
				t.Errorf("a create was refused (%d): a MAC was created twice", r.Status)
			}
		}
	}
	if creates != len(e.devs) {
		t.Errorf("%d successful creates, want %d", creates, len(e.devs))
	}
}

func TestMigrateCommandInProcess(t *testing.T) {
	e := newMigrateEnv(t, 30)
	var out, errb bytes.Buffer
	code := run(t.Context(), e.args("plan", e.inv, "--run", e.dir), &out, &errb)
	if code != 0 || !strings.Contains(out.String(), "create         30") {
		t.Fatalf("plan exit %d\n%s\n%s", code, out.String(), errb.String())
	}
	out.Reset()
	code = run(t.Context(), e.args("migrate", e.inv, "--run", e.dir, "--dry-run"), &out, &errb)
	if code != 0 || !strings.Contains(out.String(), "would create") || e.emu.Snapshot().Counts.Devices != 0 {
		t.Fatalf("dry run exit %d\n%s\n%s", code, out.String(), errb.String())
	}
	out.Reset()
	code = run(t.Context(), e.args("migrate", e.inv, "--run", e.dir, "--jobs", "4"), &out, &errb)
	if code != 0 || !strings.Contains(out.String(), "30 done, 0 failed") ||
		!strings.Contains(out.String(), "30 created in Webex by this command") {
		t.Fatalf("migrate exit %d\n%s\n%s", code, out.String(), errb.String())
	}
	e.checkExactlyOnce(t)
	// A dry run of the finished run says so, rather than "adopt 30".
	out.Reset()
	code = run(t.Context(), e.args("migrate", e.inv, "--run", e.dir, "--dry-run"), &out, &errb)
	if code != 0 || !strings.Contains(out.String(), "all 30 devices already done") || strings.Contains(out.String(), "adopt") {
		t.Fatalf("dry run after migrate: exit %d\n%s\n%s", code, out.String(), errb.String())
	}
	// Planned again, the devices this run created read as done, not adopt.
	out.Reset()
	code = run(t.Context(), e.args("plan", e.inv, "--run", e.dir), &out, &errb)
	if code != 0 || !strings.Contains(out.String(), "done           30") || !strings.Contains(out.String(), "adopt           0") {
		t.Fatalf("plan after migrate: exit %d\n%s\n%s", code, out.String(), errb.String())
	}
	out.Reset()
	code = run(t.Context(), e.args("rollback", "--run", e.dir), &out, &errb)
	if code != 0 || !strings.Contains(out.String(), "30 deleted") || e.emu.Snapshot().Counts.Devices != 0 {
		t.Fatalf("rollback exit %d\n%s\n%s", code, out.String(), errb.String())
	}
	if strings.Contains(errb.String()+out.String(), e.emu.AdminToken()) {
		t.Fatal("the token was printed")
	}
}

func TestMigrateCommandUsage(t *testing.T) {
	e := newMigrateEnv(t, 3)
	for _, args := range [][]string{
		{"migrate", e.inv},                                 // no --run
		{"migrate", "--run", e.dir},                        // no inventory
		{"migrate", e.inv, "--run", e.dir, "--jobs", "0"},  // bad jobs
		{"migrate", e.inv, "--run", e.dir, "--only", "zz"}, // bad MAC
		{"migrate", filepath.Join(e.dir, "missing.xlsx"), "--run", e.dir},
		{"rollback", "--run", e.dir, "extra"},
	} {
		var out, errb bytes.Buffer
		if code := run(t.Context(), e.args(args...), &out, &errb); code != exitUsage {
			t.Errorf("%v: exit %d, want 2\n%s", args, code, errb.String())
		}
	}
	var out, errb bytes.Buffer
	code := run(t.Context(), e.args("migrate", e.inv, "--run", e.dir), &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	// Run again, the finished run says so without asking Webex.
	out.Reset()
	code = run(t.Context(), e.args("migrate", e.inv, "--run", e.dir), &out, &errb)
	if code != 0 || !strings.Contains(out.String(), "all 3 devices already done") {
		t.Fatalf("finished run: exit %d\n%s%s", code, out.String(), errb.String())
	}
	// A revoked token is fatal: exit 3 (in a run that has work left).
	code = run(t.Context(), []string{"cutover", "--webex-url", e.url, "--token", "not-a-valid-token",
		"migrate", e.inv, "--run", t.TempDir()}, &out, &errb)
	if code != exitFatal {
		t.Fatalf("revoked token: exit %d, want 3\n%s", code, errb.String())
	}
}

// TestCutoverHelperProcess is the cutover binary for the crash tests: it
// runs only when re-executed with CUTOVER_HELPER_PROCESS=1, with the command
// line after "--".
func TestCutoverHelperProcess(t *testing.T) {
	if os.Getenv("CUTOVER_HELPER_PROCESS") != "1" {
		t.Skip("helper process for the crash tests")
	}
	args := os.Args
	for i, a := range args {
		if a == "--" {
			args = append([]string{"cutover"}, args[i+1:]...)
			break
		}
	}
	// CUTOVER_HELPER_CPUPROFILE=FILE profiles the child (BenchmarkMigrateCLI10k).
	if f := os.Getenv("CUTOVER_HELPER_CPUPROFILE"); f != "" {
		if out, err := os.Create(f); err == nil {
			_ = pprof.StartCPUProfile(out)
		}
	}
	ctx, stop := signalContext()
	code := run(ctx, args, os.Stdout, os.Stderr)
	stop()
	pprof.StopCPUProfile() // a no-op unless started
	os.Exit(code)
}

// startCutover runs the cutover command line args in a child process.
func startCutover(t *testing.T, args []string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"-test.run=^TestCutoverHelperProcess$", "--"}, args[1:]...)...)
	cmd.Env = append(os.Environ(), "CUTOVER_HELPER_PROCESS=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, &out
}

// journalLines counts the complete lines of the run's journal.
func journalLines(dir string) int {
	b, _ := os.ReadFile(filepath.Join(dir, migrate.JournalFile))
	return bytes.Count(b, []byte{'\n'})
}

// waitLines waits until the journal has at least n lines or the child ends.
func waitLines(t *testing.T, cmd *exec.Cmd, dir string, n int, exited <-chan struct{}) bool {
	t.Helper()
	deadline := time.After(40 * time.Second)
	for {
		if journalLines(dir) >= n {
			return true
		}
		select {
		case <-exited:
			return false
		case <-deadline:
			t.Fatalf("journal stuck at %d lines, waiting for %d", journalLines(dir), n)
		case <-time.After(2 * time.Millisecond):
		}
	}
}

// TestMigrateSurvivesKill kills `cutover migrate` with SIGKILL at several
// points; each run resumes the last, and in the end every device exists
// exactly once.
func TestMigrateSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess crash test")
	}
	e := newMigrateEnv(t, 120)
	// Slow answers so that kills land in the middle of calls.
	e.emu.SetFaults(webexapi.Faults{LatencyMin: 2 * time.Millisecond, LatencyMax: 15 * time.Millisecond})
	args := e.args("migrate", e.inv, "--run", e.dir, "--jobs", "8")
	for _, at := range []int{1, 30, 150, 400, 700} {
		cmd, out := startCutover(t, args)
		exited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(exited) }()
		if waitLines(t, cmd, e.dir, journalLines(e.dir)+at, exited) {
			_ = cmd.Process.Signal(syscall.SIGKILL)
		}
		<-exited
		t.Logf("killed after %d more journal lines: journal %d lines, Webex %d devices", at,
			journalLines(e.dir), e.emu.Snapshot().Counts.Devices)
		if strings.Contains(out.String(), "panic") {
			t.Fatalf("child panicked:\n%s", out.String())
		}
	}
	cmd, out := startCutover(t, args)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("final run: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "120 done") {
		t.Fatalf("final run:\n%s", out.String())
	}
	e.checkExactlyOnce(t)
	ev, err := migrate.ReadJournal(filepath.Join(e.dir, migrate.JournalFile))
	if err != nil {
		t.Fatal(err)
	}
	resolved := 0
	for mac, st := range migrate.Replay(ev) {
		if !st.Created || st.IDs["deviceId"] == "" {
			t.Errorf("%s: not recorded as created: %+v", mac, st)
		}
		if st.Step(migrate.StepCreate).Attempts > 1 {
			resolved++
		}
	}
	t.Logf("%d devices had more than one create attempt journaled (intents or unknown outcomes resolved by MAC)", resolved)
}

// TestMigrateInterrupt: SIGINT stops the run cleanly with exit 130, the
// journal is whole, and running again completes it.
func TestMigrateInterrupt(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	e := newMigrateEnv(t, 80)
	e.emu.SetFaults(webexapi.Faults{LatencyMin: 5 * time.Millisecond, LatencyMax: 20 * time.Millisecond})
	args := e.args("migrate", e.inv, "--run", e.dir, "--jobs", "4")
	cmd, out := startCutover(t, args)
	exited := make(chan struct{})
	var werr error
	go func() { werr = cmd.Wait(); close(exited) }()
	if !waitLines(t, cmd, e.dir, 60, exited) {
		t.Fatalf("finished before the interrupt:\n%s", out.String())
	}
	_ = cmd.Process.Signal(syscall.SIGINT)
	<-exited
	if code := cmd.ProcessState.ExitCode(); code != exitInterrupted {
		t.Fatalf("exit %d (%v), want 130\n%s", code, werr, out.String())
	}
	// It says how to go on, and counts the devices cut short as
	// interrupted, not failed.
	if o := out.String(); !strings.Contains(o, "interrupted: re-run the same command to resume") ||
		strings.Contains(o, "context canceled") || !strings.Contains(o, " 0 failed") {
		t.Errorf("after Ctrl-C:\n%s", o)
	}
	b, _ := os.ReadFile(filepath.Join(e.dir, migrate.JournalFile))
	if len(b) == 0 || b[len(b)-1] != '\n' {
		t.Fatal("journal not flushed to a whole line on interrupt")
	}
	if e.emu.Snapshot().Counts.Devices == len(e.devs) {
		t.Fatal("interrupt came too late to test anything")
	}
	cmd, out = startCutover(t, args)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("resume: %v\n%s", err, out.String())
	}
	e.checkExactlyOnce(t)
}

func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

func TestMigrateSkipInvalid(t *testing.T) {
	e := newMigrateEnv(t, 6)
	// One row made invalid offline: its model is in no catalog.
	f, err := excelize.OpenFile(e.inv)
	if err != nil {
		t.Fatal(err)
	}
	sheet := f.GetSheetName(0)
	if err := f.SetCellValue(sheet, "D3", "Brick 9000"); err != nil {
		t.Fatal(err)
	}
	if err := f.Save(); err != nil {
		t.Fatal(err)
	}
	_ = f.Close()

	// Without --skip-invalid the row blocks the run, and the message says
	// the flag exists.
	var out, errb bytes.Buffer
	code := run(t.Context(), e.args("migrate", e.inv, "--run", e.dir), &out, &errb)
	if code != exitUsage || !strings.Contains(errb.String(), "--skip-invalid") {
		t.Fatalf("exit %d, want 2 naming --skip-invalid\n%s", code, errb.String())
	}
	if n := e.emu.Snapshot().Counts.Devices; n != 0 {
		t.Fatalf("%d devices created by a blocked run", n)
	}

	// With it, the five valid rows are migrated, the invalid one is marked
	// in the errors workbook, and the exit says not everything is done.
	out.Reset()
	errb.Reset()
	marked := filepath.Join(t.TempDir(), "skipped.xlsx")
	code = run(t.Context(), e.args("migrate", e.inv, "--run", e.dir, "--skip-invalid", "--errors", marked), &out, &errb)
	if code != exitFailed {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "skipping 1 invalid rows") || !strings.Contains(out.String(), "5 devices: 5 done") {
		t.Errorf("output:\n%s", out.String())
	}
	if n := e.emu.Snapshot().Counts.Devices; n != 5 {
		t.Errorf("%d devices in Webex, want the 5 valid ones", n)
	}
	fi, err := os.Stat(marked)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("errors workbook: %v, %v", fi, err)
	}
	wb, err := excelize.OpenFile(marked)
	if err != nil {
		t.Fatal(err)
	}
	defer wb.Close()
	rows, err := wb.GetRows("Errors")
	if err != nil || len(rows) < 2 || !strings.Contains(strings.Join(rows[1], " "), "Brick 9000") && !strings.Contains(strings.Join(rows[1], " "), "catalog") {
		t.Errorf("Errors sheet: %v, %v", rows, err)
	}

	// --errors alone is a usage error: it only goes with --skip-invalid.
	if code := run(t.Context(), e.args("migrate", e.inv, "--run", e.dir, "--errors", marked), &out, &errb); code != exitUsage {
		t.Errorf("--errors without --skip-invalid: exit %d", code)
	}
}

// TestSecondProcessLeavesPlanAlone: while one `cutover migrate` process
// runs a directory, a second `plan` and a second `migrate` (other
// processes, on a one-device selection) are refused before they plan or
// write anything: plan.json stays byte for byte the first run's.
func TestSecondProcessLeavesPlanAlone(t *testing.T) {
	e := newMigrateEnv(t, 100)
	// Slow enough that the first run outlasts the two others by far.
	e.emu.SetFaults(webexapi.Faults{LatencyMin: 20 * time.Millisecond, LatencyMax: 40 * time.Millisecond})
	first, firstOut := startCutover(t, e.args("migrate", e.inv, "--run", e.dir, "--jobs", "1"))
	exited := make(chan struct{})
	go func() { _ = first.Wait(); close(exited) }()
	if !waitLines(t, first, e.dir, 5, exited) {
		t.Fatalf("first migrate ended before the second process ran:\n%s", firstOut.String())
	}
	before, err := os.ReadFile(filepath.Join(e.dir, migrate.PlanFile))
	if err != nil {
		t.Fatal(err)
	}
	one := e.devs[0].MAC
	for _, cmd := range [][]string{
		{"plan", e.inv, "--run", e.dir, "--only", one},
		{"migrate", e.inv, "--run", e.dir, "--only", one},
	} {
		second, out := startCutover(t, e.args(cmd...))
		_ = second.Wait()
		select {
		case <-exited:
			t.Fatalf("the first run ended before the second %s was refused: nothing was tested", cmd[0])
		default:
		}
		if code := second.ProcessState.ExitCode(); code != exitFatal || !strings.Contains(out.String(), "in use") {
			t.Errorf("second %s: exit %d, want 3 and 'in use'\n%s", cmd[0], code, out.String())
		}
		after, _ := os.ReadFile(filepath.Join(e.dir, migrate.PlanFile))
		if !bytes.Equal(before, after) {
			t.Fatalf("second %s rewrote plan.json while the first run held the directory", cmd[0])
		}
	}
	_ = first.Process.Signal(syscall.SIGINT)
	<-exited
	p, err := migrate.ReadPlan(e.dir)
	if err != nil || len(p.Devices) != 100 {
		t.Fatalf("plan after both: %v, %v; want the first run's 100 devices", p, err)
	}
}

// TestMigrateWritesReportsAlsoOnFailure: migrate ends by writing the
// three reports into the run directory, also when devices failed (here the
// publish target cannot be written, so every device fails at publish).
func TestMigrateWritesReportsAlsoOnFailure(t *testing.T) {
	e := newMigrateEnv(t, 4)
	blocker := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	code := run(t.Context(), e.args("migrate", e.inv, "--run", e.dir, "--publish", "dir://"+filepath.Join(blocker, "configs")), &out, &errb)
	if code == 0 {
		t.Fatalf("migrate publishing under a file: exit 0\n%s", out.String())
	}
	for _, name := range []string{"report.html", "report.xlsx", "junit.xml"} {
		fi, err := os.Stat(filepath.Join(e.dir, name))
		if err != nil || fi.Size() == 0 {
			t.Errorf("%s after a failed migrate: %v (exit %d)\n%s\n%s", name, err, code, out.String(), errb.String())
		}
	}
	junit, _ := os.ReadFile(filepath.Join(e.dir, "junit.xml"))
	if !bytes.Contains(junit, []byte("failure")) {
		t.Errorf("junit.xml shows no failure:\n%.2000s", junit)
	}
}
