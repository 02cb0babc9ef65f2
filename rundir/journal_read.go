package rundir

import (
	"fmt"

	"github.com/cutover-dev/cutover/internal/jsonl"
)

// ReadJournal reads every event of a journal file. A torn last line (a crash
// mid-write) is ignored; a malformed line elsewhere is an error naming it.
// A missing file is an empty journal.
func ReadJournal(path string) ([]Event, error) {
	ev, err := jsonl.ReadFile[Event](path)
	if err != nil {
		return nil, fmt.Errorf("reading journal: %w", err)
	}
	return ev, nil
}
