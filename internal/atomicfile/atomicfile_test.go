package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteReplacesAndLeavesNoTemp(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.cfg")
	if err := Write(p, []byte("one"), 0o600, true); err != nil {
		t.Fatal(err)
	}
	if err := Write(p, []byte("two"), 0o600, false); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil || string(b) != "two" {
		t.Fatalf("read %q, %v", b, err)
	}
	fi, _ := os.Stat(p)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("directory holds %d entries, want only a.cfg", len(ents))
	}
}

// A writer killed half-way leaves its temporary file behind; the next
// process must still write (the bug this package was made for).
func TestWriteSurvivesLeftoverTemp(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.cfg")
	if err := os.WriteFile(filepath.Join(dir, ".tmp-a.cfg"+tmpSuffix), []byte("torn"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".tmp-a.cfg.1"), []byte("torn"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Write(p, []byte("whole"), 0o600, false); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "whole" {
		t.Fatalf("read %q", b)
	}
}

func TestWriteIfChanged(t *testing.T) {
	p := filepath.Join(t.TempDir(), "a.cfg")
	for i, tc := range []struct {
		data string
		want bool
	}{{"x", true}, {"x", false}, {"y", true}} {
		got, err := WriteIfChanged(p, []byte(tc.data), 0o600, false)
		if err != nil || got != tc.want {
			t.Errorf("write %d (%q): changed=%v err=%v, want %v", i, tc.data, got, err, tc.want)
		}
	}
}

// Same bytes under a looser mode is not "unchanged": the rewrite gives the
// file the mode asked for.
func TestWriteIfChangedRewritesAWrongMode(t *testing.T) {
	p := filepath.Join(t.TempDir(), "a.cfg")
	if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, 0o644); err != nil { // whatever the umask
		t.Fatal(err)
	}
	if got, err := WriteIfChanged(p, []byte("x"), 0o600, false); err != nil || !got {
		t.Fatalf("changed=%v err=%v, want a rewrite", got, err)
	}
	if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	if got, err := WriteIfChanged(p, []byte("x"), 0o600, false); err != nil || got {
		t.Fatalf("changed=%v err=%v, want no write", got, err)
	}
}

// A leftover temporary file that is world-readable must not carry its mode
// over to a secret written through it.
func TestWriteTightensLeftoverTempMode(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "secrets.json")
	if err := os.WriteFile(tempName(p), []byte("torn"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Write(p, []byte("s3cret"), 0o600, true); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
}

func TestWriteFuncKeepsOldFileOnError(t *testing.T) {
	p := filepath.Join(t.TempDir(), "report.html")
	if err := WriteFunc(p, 0o644, false, func(w io.Writer) error { _, err := io.WriteString(w, "old"); return err }); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	if err := WriteFunc(p, 0o644, true, func(w io.Writer) error { io.WriteString(w, "half"); return boom }); !errors.Is(err, boom) {
		t.Fatalf("error %v, want boom", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "old" {
		t.Errorf("read %q after a failed write, want the old bytes", b)
	}
	ents, _ := os.ReadDir(filepath.Dir(p))
	if len(ents) != 1 {
		t.Errorf("%d entries, want the temporary file removed", len(ents))
	}
}

// A reader that opened the old file reads the old bytes to the end: the
// new file replaces the name, never the old file's contents.
func TestWriteKeepsAnOpenReadersFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "a.cfg")
	if err := Write(p, []byte("old bytes"), 0o600, false); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := Write(p, []byte("new"), 0o600, false); err != nil {
		t.Fatal(err)
	}
	if b, _ := io.ReadAll(f); string(b) != "old bytes" {
		t.Errorf("the open reader read %q, want the old bytes", b)
	}
	if b, _ := os.ReadFile(p); string(b) != "new" {
		t.Errorf("path holds %q, want the new bytes", b)
	}
}

// Writing into a directory that is not there is an error naming the path.
func TestWriteIntoAMissingDirectory(t *testing.T) {
	p := filepath.Join(t.TempDir(), "gone", "a.cfg")
	if err := Write(p, []byte("x"), 0o600, false); err == nil || !strings.Contains(err.Error(), p) {
		t.Fatalf("error %v, want one naming %s", err, p)
	}
}
