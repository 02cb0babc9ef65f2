// Package golden compares what a test produced with a reviewed file under
// testdata, and rewrites the file instead when the tests run with -update
// (go test ./... -update, then review the diff). Importing it defines the
// -update flag for the test binary.
package golden

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// Check compares got with the file at path. With -update it writes got
// there, creating the directory. A difference fails t with the first line
// that differs.
func Check(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run go test -update to create it): %v", err)
	}
	if bytes.Equal(got, want) {
		return
	}
	gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := range min(len(gl), len(wl)) {
		if gl[i] != wl[i] {
			t.Errorf("%s differs at line %d:\n got %.300s\nwant %.300s\n(run go test -update if the change is intended, and review the diff)", path, i+1, gl[i], wl[i])
			return
		}
	}
	t.Errorf("%s differs in length: %d lines, want %d (run go test -update if the change is intended, and review the diff)", path, len(gl), len(wl))
}
