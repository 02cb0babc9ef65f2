package publish

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// A file that cannot be written fails the Publish, and the manifest lists
// exactly the files that did land, with the bytes now on disk.
func TestDirPublishRecordsWhatLanded(t *testing.T) {
	dir := t.TempDir()
	files := testFiles(40)
	bad := files[17].Name
	// A directory in the way: the rename over it fails.
	if err := os.MkdirAll(filepath.Join(dir, bad, "x"), 0o700); err != nil {
		t.Fatal(err)
	}
	target, err := Open("dir://"+dir, WithJobs(3))
	if err != nil {
		t.Fatal(err)
	}
	res, err := target.Publish(context.Background(), files)
	if err == nil {
		t.Fatal("published over a directory without an error")
	}
	man := readManifest(t, dir)
	if _, ok := man.Files[bad]; ok {
		t.Errorf("manifest lists %s, which was never written", bad)
	}
	if res.Written != len(man.Files) || res.Written >= len(files) {
		t.Errorf("written %d, manifest holds %d of %d files", res.Written, len(man.Files), len(files))
	}
	var total int64
	for name, e := range man.Files {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("manifest lists %s: %v", name, err)
		}
		if sum(data) != e.SHA256 || int64(len(data)) != e.Size {
			t.Errorf("%s on disk differs from its manifest entry", name)
		}
		total += e.Size
	}
	if res.Bytes != total {
		t.Errorf("bytes %d, manifest sizes add up to %d", res.Bytes, total)
	}
	// Once the way is clear, the next Publish writes only what is missing.
	if err := os.RemoveAll(filepath.Join(dir, bad)); err != nil {
		t.Fatal(err)
	}
	res2, err := target.Publish(context.Background(), files)
	if err != nil {
		t.Fatal(err)
	}
	if res2.Written != len(files)-res.Written || res2.Skipped != res.Written {
		t.Errorf("second publish: %+v after %+v", res2, res)
	}
}

func TestManifestMarshalMatchesEncodingJSON(t *testing.T) {
	for _, files := range []map[string]ManifestEntry{
		{},
		{"a.cfg": {SHA256: "00ff", Size: 0}},
		{"b<&>\"q.cfg": {SHA256: "ab", Size: 12345678901}, "a.xml": {SHA256: "cd", Size: 7}, "é\u2028.cfg": {SHA256: "\x01", Size: -1}},
	} {
		m := &Manifest{Version: 1, Files: files}
		want, err := json.MarshalIndent(m, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if got := string(m.marshal()); got != string(want)+"\n" {
			t.Errorf("marshal:\n%s\nencoding/json:\n%s", got, want)
		}
		// A directory target reuses the buffer of its last write.
		if got := string(m.appendTo([]byte("a longer manifest written before")[:0])); got != string(want)+"\n" {
			t.Errorf("appendTo a used buffer:\n%s", got)
		}
	}
}
