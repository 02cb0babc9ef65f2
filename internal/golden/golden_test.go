package golden

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorder is a testing.TB that keeps the failure instead of failing.
type recorder struct {
	testing.TB
	msg string
}

func (r *recorder) Helper()                   {}
func (r *recorder) Errorf(f string, a ...any) { r.msg = fmt.Sprintf(f, a...) }

func TestCheckNamesTheFirstDifferingLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.golden")
	if err := os.WriteFile(path, []byte("a\nb\nc\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := &recorder{TB: t}
	Check(r, path, []byte("a\nb\nc\n"))
	if r.msg != "" {
		t.Fatalf("equal content failed: %s", r.msg)
	}
	Check(r, path, []byte("a\nB\nc\n"))
	if !strings.Contains(r.msg, "differs at line 2") || !strings.Contains(r.msg, "got B") {
		t.Errorf("changed line: %q", r.msg)
	}
	r.msg = ""
	Check(r, path, []byte("a\nb\nc\nd\n"))
	if !strings.Contains(r.msg, "differs at line 4") {
		t.Errorf("added line: %q", r.msg)
	}
	r.msg = ""
	Check(r, path, []byte("a\nb\nc\n\n"))
	if !strings.Contains(r.msg, "differs in length: 5 lines, want 4") {
		t.Errorf("added blank line: %q", r.msg)
	}
}

func TestCheckUpdateWrites(t *testing.T) {
	*update = true
	defer func() { *update = false }()
	path := filepath.Join(t.TempDir(), "testdata", "new.golden")
	Check(t, path, []byte("fresh\n"))
	if b, err := os.ReadFile(path); err != nil || string(b) != "fresh\n" {
		t.Fatalf("-update wrote %q, %v", b, err)
	}
}
