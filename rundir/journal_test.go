package rundir

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func TestJournalAppendReadBack(t *testing.T) {
	dir := t.TempDir()
	j, err := OpenJournal(dir, SyncEvery(3), SyncInterval(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				mac := fmt.Sprintf("0004F2%06X", w*100+i)
				ev := Event{MAC: mac, Step: StepCreate, Status: StatusStarted, Attempt: 1}
				var err error
				if i%7 == 0 {
					err = j.AppendDurable(ev)
				} else {
					err = j.Append(ev)
				}
				if err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	ev, err := ReadJournal(filepath.Join(dir, JournalFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(ev) != 400 {
		t.Fatalf("read %d events, want 400", len(ev))
	}
	for _, e := range ev {
		if e.TS.IsZero() {
			t.Fatalf("event without a time: %+v", e)
		}
	}
}

func TestJournalDurableIsOnDiskBeforeReturn(t *testing.T) {
	dir := t.TempDir()
	// Nothing but a durable append may put bytes in the file: batching is
	// effectively off.
	j, err := OpenJournal(dir, SyncEvery(1_000_000), SyncInterval(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if err := j.Append(Event{MAC: "A", Step: StepInfo, Status: StatusDone}); err != nil {
		t.Fatal(err)
	}
	if err := j.AppendDurable(Event{MAC: "B", Step: StepCreate, Status: StatusStarted}); err != nil {
		t.Fatal(err)
	}
	ev, err := ReadJournal(filepath.Join(dir, JournalFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(ev) != 2 || ev[1].MAC != "B" {
		t.Fatalf("file holds %+v, want both events", ev)
	}
}

func TestOpenJournalCutsTornLine(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, JournalFile)
	whole := `{"mac":"A","step":"create","status":"started","attempt":1}` + "\n"
	if err := os.WriteFile(path, []byte(whole+`{"mac":"B","step":"cre`), 0o644); err != nil {
		t.Fatal(err)
	}
	j, err := OpenJournal(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Append(Event{MAC: "C", Step: StepCreate, Status: StatusDone}); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	ev, err := ReadJournal(path)
	if err != nil {
		t.Fatalf("journal unreadable after repair: %v", err)
	}
	if len(ev) != 2 || ev[0].MAC != "A" || ev[1].MAC != "C" {
		t.Fatalf("events %+v, want A then C", ev)
	}
}

func TestJournalDiskFullIsSticky(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full")
	}
	dir := t.TempDir()
	if err := os.Symlink("/dev/full", filepath.Join(dir, JournalFile)); err != nil {
		t.Fatal(err)
	}
	j, err := OpenJournal(dir, SyncInterval(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	err = j.AppendDurable(Event{MAC: "A", Step: StepCreate, Status: StatusStarted})
	if !errors.Is(err, ErrJournal) {
		t.Fatalf("durable append on a full disk: %v, want ErrJournal", err)
	}
	if err := j.Append(Event{MAC: "B", Step: StepCreate, Status: StatusStarted}); !errors.Is(err, ErrJournal) {
		t.Fatalf("append after the error: %v, want the sticky ErrJournal", err)
	}
	j.Close()
}

func TestReplay(t *testing.T) {
	ev := []Event{
		{MAC: "A", Step: StepCreate, Status: StatusStarted, Attempt: 1},
		{MAC: "B", Step: StepCreate, Status: StatusStarted, Attempt: 1},
		{MAC: "A", Step: StepCreate, Status: StatusDone, Attempt: 1, IDs: map[string]string{"deviceId": "D-A"}},
		{MAC: "A", Step: StepPassword, Status: StatusSkipped, Attempt: 1},
		{MAC: "A", Step: StepMembers, Status: StatusStarted, Attempt: 1},
		{MAC: "A", Step: StepMembers, Status: StatusFailed, Attempt: 1, Detail: "boom"},
		{MAC: "C", Step: StepCreate, Status: StatusStarted, Attempt: 1},
		{MAC: "C", Step: StepCreate, Status: StatusSkipped, Attempt: 1, Detail: DetailAdopted, IDs: map[string]string{"deviceId": "D-C"}},
		{MAC: "D", Step: StepCreate, Status: StatusDone, Attempt: 1, IDs: map[string]string{"deviceId": "D-D"}},
		{MAC: "D", Step: StepInfo, Status: StatusDone, Attempt: 1},
		{MAC: "D", Step: StepDelete, Status: StatusStarted, Attempt: 1},
		{MAC: "D", Step: StepDelete, Status: StatusDone, Attempt: 1},
	}
	s := Replay(ev)
	a := s["A"]
	if !a.Created || a.IDs["deviceId"] != "D-A" || !a.Step(StepCreate).Done() || !a.Step(StepPassword).Done() {
		t.Errorf("A: %+v", a)
	}
	if st, detail := a.Failed(); st != StepMembers || detail != "boom" {
		t.Errorf("A failed at %q %q, want members boom", st, detail)
	}
	if b := s["B"]; !b.Step(StepCreate).Unknown() || b.Created || b.Step(StepCreate).Attempts != 1 {
		t.Errorf("B: %+v, want an unknown create", b)
	}
	if c := s["C"]; !c.Adopted || c.Created || c.IDs["deviceId"] != "D-C" {
		t.Errorf("C: %+v, want adopted", c)
	}
	if d := s["D"]; !d.Deleted || d.Created || d.Step(StepCreate).Done() || d.Step(StepInfo).Done() || d.IDs["deviceId"] != "" {
		t.Errorf("D: %+v, want reset by the delete", d)
	}
}

func TestRunDirLockRefusesSecondHolder(t *testing.T) {
	dir := t.TempDir()
	l, err := Acquire(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Acquire(dir); !errors.Is(err, ErrBusy) {
		t.Fatalf("second lock: err = %v, want ErrBusy", err)
	}
	l.Release()
	l.Release() // twice is fine
	again, err := Acquire(dir)
	if err != nil {
		t.Fatalf("lock after unlock: %v", err)
	}
	again.Release()
}

// The first done StepConnected wins (a later watch run re-seeing the device
// does not move it), a journal round trip keeps it, and a delete forgets it
// (a device created again has not connected yet).
func TestReplayFirstConnected(t *testing.T) {
	t1 := time.Date(2026, 12, 2, 20, 0, 0, 0, time.UTC)
	t2 := t1.Add(time.Hour)
	dir := t.TempDir()
	j, err := OpenJournal(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range []Event{
		{MAC: "A", Step: StepCreate, Status: StatusDone, IDs: map[string]string{IDDevice: "D-A"}},
		{MAC: "A", Step: StepConnected, Status: StatusDone, TS: t1, Detail: "firstSeen 2026-12-02T19:59:58Z"},
		{MAC: "A", Step: StepConnected, Status: StatusDone, TS: t2},
		{MAC: "B", Step: StepCreate, Status: StatusDone, IDs: map[string]string{IDDevice: "D-B"}},
		{MAC: "C", Step: StepCreate, Status: StatusDone, IDs: map[string]string{IDDevice: "D-C"}},
		{MAC: "C", Step: StepConnected, Status: StatusDone, TS: t1},
		{MAC: "C", Step: StepDelete, Status: StatusDone},
	} {
		if err := j.Append(ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	evs, err := ReadJournal(Path(dir, JournalFile))
	if err != nil {
		t.Fatal(err)
	}
	s := Replay(evs)
	if got := s["A"].FirstConnected; !got.Equal(t1) {
		t.Errorf("A first connected %v, want %v (the first event)", got, t1)
	}
	if got := s["B"].FirstConnected; !got.IsZero() {
		t.Errorf("B first connected %v, want zero (never seen connected)", got)
	}
	if got := s["C"].FirstConnected; !got.IsZero() {
		t.Errorf("C first connected %v after its delete, want zero", got)
	}
	if st, _ := s["A"].Failed(); st != "" {
		t.Errorf("A failed at %q: a connected event is no failure", st)
	}
}
