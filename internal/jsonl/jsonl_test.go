package jsonl

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type rec struct {
	N int `json:"n"`
}

func TestDecodeIgnoresTornLastLine(t *testing.T) {
	got, err := Decode[rec](strings.NewReader("{\"n\":1}\n\n{\"n\":2}\n{\"n\":"), "j")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[1].N != 2 {
		t.Fatalf("got %+v", got)
	}
}

func TestDecodeRejectsCorruptMiddleLine(t *testing.T) {
	_, err := Decode[rec](strings.NewReader("{\"n\":1}\nnot json\n{\"n\":3}\n"), "journal.jsonl")
	if err == nil || !strings.Contains(err.Error(), "journal.jsonl: line 2") {
		t.Fatalf("err = %v, want it to name line 2", err)
	}
}

func TestReadFileMissingIsEmpty(t *testing.T) {
	got, err := ReadFile[rec](filepath.Join(t.TempDir(), "none.jsonl"))
	if err != nil || len(got) != 0 {
		t.Fatalf("got %v, %v", got, err)
	}
	p := filepath.Join(t.TempDir(), "x.jsonl")
	if err := os.WriteFile(p, []byte("{\"n\":7}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := ReadFile[rec](p); err != nil || len(got) != 1 || got[0].N != 7 {
		t.Fatalf("got %v, %v", got, err)
	}
}
