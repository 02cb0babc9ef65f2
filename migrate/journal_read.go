package migrate

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// ReadJournal reads every event of a journal file. A torn last line (a crash
// mid-write) is ignored; a malformed line elsewhere is an error naming it.
// A missing file is an empty journal.
func ReadJournal(path string) ([]Event, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading journal: %w", err)
	}
	defer f.Close()
	return decodeJSONLines[Event](f, path)
}

// decodeJSONLines decodes one T per line, tolerating a torn final line.
func decodeJSONLines[T any](r io.Reader, name string) ([]T, error) {
	var (
		out     []T
		pending error
		line    int
	)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	for sc.Scan() {
		line++
		if pending != nil {
			return nil, pending
		}
		b := sc.Bytes()
		if len(b) == 0 {
			continue
		}
		var v T
		if err := json.Unmarshal(b, &v); err != nil {
			pending = fmt.Errorf("reading %s: line %d: %w", name, line, err)
			continue
		}
		out = append(out, v)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	return out, nil
}
