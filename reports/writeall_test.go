package reports

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// WriteAll writes a big fleet's reports one after another and a small
// one's at once; either way the three files hold the same bytes.
func TestWriteAllAtOnceOrInTurn(t *testing.T) {
	d := synth(40, 7).data()
	at, turn := t.TempDir(), t.TempDir()
	if err := writeAll(at, d, Paths{}, true); err != nil {
		t.Fatal(err)
	}
	if err := writeAll(turn, d, Paths{}, false); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{HTMLFile, XLSXFile, JUnitFile} {
		a, errA := os.ReadFile(filepath.Join(at, name))
		b, errB := os.ReadFile(filepath.Join(turn, name))
		if errA != nil || errB != nil || len(a) == 0 {
			t.Fatalf("%s: %v %v (%d bytes)", name, errA, errB, len(a))
		}
		if name == XLSXFile {
			// A workbook is a zip whose entries carry the time of writing.
			a, b = zipContents(t, a), zipContents(t, b)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between the two ways of writing", name)
		}
	}
}

// zipContents is every entry of a zip, name and bytes, by name (excelize
// writes them in no fixed order).
func zipContents(t *testing.T, data []byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	files := slices.SortedFunc(slices.Values(zr.File), func(a, b *zip.File) int { return strings.Compare(a.Name, b.Name) })
	var out bytes.Buffer
	for _, f := range files {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		out.WriteString(f.Name + "\n")
		if _, err := io.Copy(&out, rc); err != nil {
			t.Fatal(err)
		}
		rc.Close()
	}
	return out.Bytes()
}
