// Package jsonl reads and appends files of one JSON value per line, the format
// of the run journal and the certification results. A crash can tear only the
// last line, which readers ignore.
package jsonl

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// ReadFile decodes every line of path as a T. A missing file holds nothing; a
// torn last line is ignored; a malformed line elsewhere is an error naming it.
func ReadFile[T any](path string) ([]T, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Decode[T](f, path)
}

// Decode decodes one T per line of r; name is used in errors.
func Decode[T any](r io.Reader, name string) ([]T, error) {
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
			pending = fmt.Errorf("%s: line %d: %w", name, line, err)
			continue
		}
		out = append(out, v)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return out, nil
}
