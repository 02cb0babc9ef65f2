package rundir

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Replay follows file order, not timestamps: a clock stepped back between
// two events must not resurrect a failure that a later retry fixed, nor
// hide a failure that came after a success.
func TestReplayIgnoresTimestampOrder(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	ev := []Event{
		{TS: t0, MAC: "A", Step: StepCreate, Status: StatusStarted, Attempt: 1},
		{TS: t0.Add(time.Second), MAC: "A", Step: StepCreate, Status: StatusFailed, Attempt: 1, Detail: "boom"},
		// The clock stepped back an hour; the retry happened after.
		{TS: t0.Add(-time.Hour), MAC: "A", Step: StepCreate, Status: StatusStarted, Attempt: 2},
		{TS: t0.Add(-time.Hour), MAC: "A", Step: StepCreate, Status: StatusDone, Attempt: 2, DurationMS: 7},
		{TS: t0.Add(time.Hour), MAC: "B", Step: StepInfo, Status: StatusDone, Attempt: 1},
		{TS: t0, MAC: "B", Step: StepInfo, Status: StatusFailed, Attempt: 2, Detail: "disk"},
	}
	s := Replay(ev)
	if st := s["A"].Step(StepCreate); !st.Done() || st.Attempts != 2 || st.DurationMS != 7 {
		t.Errorf("A create = %+v, want done after 2 attempts (the later line wins)", st)
	}
	if s["A"].Attempt != 2 {
		t.Errorf("A attempt %d, want 2", s["A"].Attempt)
	}
	if step, detail := s["B"].Failed(); step != StepInfo || detail != "disk" {
		t.Errorf("B failed = %q %q, want info disk (the last line wins)", step, detail)
	}
}

func TestPipelineOrder(t *testing.T) {
	if StepCreate.Index() != 0 || StepPublish.Index() != len(Pipeline)-1 || StepDelete.Index() != -1 {
		t.Errorf("indexes %d %d %d", StepCreate.Index(), StepPublish.Index(), StepDelete.Index())
	}
}

func TestWritePlanNeedsTheLock(t *testing.T) {
	dir := t.TempDir()
	if err := WritePlan(nil, map[string]int{"a": 1}); err == nil {
		t.Fatal("wrote a plan without the lock")
	}
	l, err := Acquire(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := WritePlan(l, map[string]int{"a": 1}); err != nil {
		t.Fatal(err)
	}
	l.Release()
	if err := WritePlan(l, map[string]int{"a": 2}); err == nil {
		t.Fatal("wrote a plan after releasing the lock")
	}
	var got map[string]int
	if err := ReadPlan(dir, &got); err != nil || got["a"] != 1 {
		t.Fatalf("read %v, %v; want the plan written under the lock", got, err)
	}
	if fi, _ := os.Stat(Path(dir, PlanFile)); fi.Mode().Perm() != ModePublic {
		t.Errorf("plan mode %v", fi.Mode().Perm())
	}
	os.WriteFile(Path(dir, PlanFile), []byte("{"), 0o644)
	if err := ReadPlan(dir, &got); err == nil || !strings.Contains(err.Error(), PlanFile) {
		t.Errorf("malformed plan: %v, want an error naming %s", err, PlanFile)
	}
}

func TestOpenResultsTightensMode(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(Path(dir, ResultsFile), []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := OpenResults(dir)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if fi, _ := os.Stat(Path(dir, ResultsFile)); fi.Mode().Perm() != ModeSecret {
		t.Errorf("results mode %v, want 0600", fi.Mode().Perm())
	}
}

// holderEnv makes the test binary, re-executed, a second process holding a
// run directory's lock until its stdin closes.
const holderEnv = "RUNDIR_TEST_HOLD"

func TestMain(m *testing.M) {
	if dir := os.Getenv(holderEnv); dir != "" {
		l, err := Acquire(dir)
		if err != nil {
			os.Stdout.WriteString("error " + err.Error() + "\n")
			os.Exit(1)
		}
		os.Stdout.WriteString("held\n")
		buf := make([]byte, 1)
		os.Stdin.Read(buf)
		l.Release()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestLockAcrossProcesses(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), holderEnv+"="+dir)
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 5)
	if _, err := out.Read(buf); err != nil || string(buf) != "held\n" {
		t.Fatalf("holder said %q, %v", buf, err)
	}
	if _, err := Acquire(dir); !errors.Is(err, ErrBusy) {
		t.Errorf("lock held by another process: err = %v, want ErrBusy", err)
	}
	in.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	l, err := Acquire(dir)
	if err != nil {
		t.Fatalf("after the other process ended: %v", err)
	}
	l.Release()
}

func TestReadInfoRefusesOtherMACsAndPaths(t *testing.T) {
	dir := t.TempDir()
	if err := WriteFile(dir, filepath.Join(InfoDir, "0004F2A1B2C3.json"), []byte(`{"mac":"0004F2A1B2C4"}`), ModePublic, false); err != nil {
		t.Fatal(err)
	}
	var v struct{ MAC string }
	if err := ReadInfo(dir, "0004F2A1B2C3", &v); err == nil || !strings.Contains(err.Error(), "describes MAC") {
		t.Errorf("info of another MAC: %v", err)
	}
	if err := ReadInfo(dir, "../../etc/passwd", &v); err == nil || !strings.Contains(err.Error(), "not a MAC") {
		t.Errorf("a path for a MAC: %v", err)
	}
	if err := ReadInfo(dir, "0004F2A1B2C5", &v); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing info: %v, want ErrNotExist", err)
	}
	if err := WriteFile(dir, filepath.Join(InfoDir, "0004F2A1B2C3.json"), []byte(`{"mac":"0004F2A1B2C3"}`), ModePublic, false); err != nil {
		t.Fatal(err)
	}
	if err := ReadInfo(dir, "0004F2A1B2C3", &v); err != nil || v.MAC != "0004F2A1B2C3" {
		t.Errorf("good info: %+v, %v", v, err)
	}
}
