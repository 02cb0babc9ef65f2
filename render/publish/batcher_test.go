package publish

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/cutover-dev/cutover/render"
)

// recordingTarget records every batch; a batch holding a file named "bad"
// fails as a whole. The first Publish blocks until release is closed, so
// that requests queue up behind it.
type recordingTarget struct {
	mu      sync.Mutex
	batches [][]string
	release chan struct{}
	first   sync.Once
}

func (t *recordingTarget) Publish(_ context.Context, files []render.File) (Result, error) {
	t.first.Do(func() { <-t.release })
	names := make([]string, len(files))
	var err error
	for i, f := range files {
		names[i] = f.Name
		if f.Name == "bad" {
			err = errors.New("target refused bad")
		}
	}
	t.mu.Lock()
	t.batches = append(t.batches, names)
	t.mu.Unlock()
	return Result{Written: len(files)}, err
}

func TestBatcherGroupsAndReportsPerBatch(t *testing.T) {
	tgt := &recordingTarget{release: make(chan struct{})}
	b := NewBatcher(tgt, 3)
	defer b.Close()

	const callers = 20
	errs := make([]error, callers)
	var wg sync.WaitGroup
	for i := 0; i < callers; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			name := fmt.Sprintf("dev%02d.cfg", i)
			if i == 7 {
				name = "bad"
			}
			errs[i] = b.Publish(context.Background(), []render.File{{Name: name}})
		}(i)
	}
	close(tgt.release)
	wg.Wait()

	seen := map[string]int{}
	badBatch := map[string]bool{}
	for _, batch := range tgt.batches {
		if len(batch) > 3 {
			t.Errorf("batch of %d files exceeds the limit of 3: %v", len(batch), batch)
		}
		hasBad := false
		for _, n := range batch {
			seen[n]++
			hasBad = hasBad || n == "bad"
		}
		for _, n := range batch {
			badBatch[n] = hasBad
		}
	}
	if len(seen) != callers {
		t.Fatalf("%d distinct files published, want %d", len(seen), callers)
	}
	for n, c := range seen {
		if c != 1 {
			t.Errorf("%s published %d times", n, c)
		}
	}
	for i, err := range errs {
		name := fmt.Sprintf("dev%02d.cfg", i)
		if i == 7 {
			name = "bad"
		}
		if got, want := err != nil, badBatch[name]; got != want {
			t.Errorf("caller %d (%s): err = %v, want failure %v (its batch's outcome)", i, name, err, want)
		}
	}
}

func TestBatcherClosedRefuses(t *testing.T) {
	b := NewBatcher(&recordingTarget{release: closedChan()}, 10)
	b.Close()
	if err := b.Publish(context.Background(), []render.File{{Name: "a"}}); err == nil {
		t.Fatal("publish after Close succeeded")
	}
}

func closedChan() chan struct{} { c := make(chan struct{}); close(c); return c }
