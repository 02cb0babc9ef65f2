package render

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cutover-dev/cutover/internal/identrust"
)

type mapSecrets map[string]string

func (m mapSecrets) Get(mac string) (string, bool) { pw, ok := m[mac]; return pw, ok }

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestRenderRun(t *testing.T) {
	dir := t.TempDir()
	s := samples()
	secrets := mapSecrets{}
	var planned []map[string]string
	for _, v := range []string{VendorYealink, VendorPoly, VendorAudioCodes} {
		d := s[v]
		planned = append(planned, map[string]string{"mac": d.Info.MAC, "make": d.Make, "model": d.Model, "vendor": v, "action": "create"})
		writeJSON(t, filepath.Join(dir, "info", d.Info.MAC+".json"), d.Info)
		secrets[d.Info.MAC] = d.Password
	}
	// Not migrated yet, a conflict, and one whose password is missing.
	planned = append(planned,
		map[string]string{"mac": "0004F2000001", "make": "Poly", "model": "VVX450", "vendor": "poly", "action": "create"},
		map[string]string{"mac": "0004F2000002", "make": "Poly", "model": "VVX450", "vendor": "poly", "action": "conflict"},
		map[string]string{"mac": "000B82A1B2C3", "make": "Grandstream", "model": "GRP2614", "vendor": "grandstream", "action": "adopt"},
	)
	writeJSON(t, filepath.Join(dir, "info", "000B82A1B2C3.json"), s[VendorGrandstream].Info)
	writeJSON(t, filepath.Join(dir, "plan.json"), map[string]any{"devices": planned})

	res, err := RenderRun(context.Background(), dir, RunOptions{Secrets: secrets, Jobs: 2})
	if err != nil {
		t.Fatal(err)
	}
	if res.Rendered != 3 || res.Files != 4 || res.Pending != 1 || res.Skipped != 1 || len(res.Failed) != 1 || res.Failed[0].MAC != "000B82A1B2C3" {
		t.Fatalf("result %+v", res)
	}
	if !strings.Contains(res.Failed[0].Error(), "no SIP password") {
		t.Errorf("failure %v", res.Failed[0])
	}
	for _, name := range []string{"001565a1b2c3.cfg", "0004f2a1b2c3.cfg", "0004f2a1b2c3-phone.cfg", "00908FA1B2C3.ini"} {
		fi, err := os.Stat(filepath.Join(dir, "configs", name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v, want 0600", name, fi.Mode().Perm())
		}
		if _, err := ReadFile(filepath.Join(dir, "configs", name)); err != nil {
			t.Error(err)
		}
	}
	again, err := RenderRun(context.Background(), dir, RunOptions{Secrets: secrets})
	if err != nil {
		t.Fatal(err)
	}
	if again.Rendered != 0 || again.Unchanged != 3 {
		t.Errorf("second run %+v, want everything unchanged", again)
	}
}

func TestRenderRunNeedsAPlan(t *testing.T) {
	_, err := RenderRun(context.Background(), t.TempDir(), RunOptions{Secrets: mapSecrets{}})
	if err == nil || !strings.Contains(err.Error(), "plan.json") {
		t.Fatalf("got %v", err)
	}
}

// TestWriteTrust: the CA's PEM goes beside the configs (0600, as every file
// there) and the run records where devices fetch it; a malformed record is
// an error naming the file, a missing one wraps os.ErrNotExist.
func TestWriteTrust(t *testing.T) {
	dir := t.TempDir()
	if _, err := ReadProvisioning(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("no record: %v, want os.ErrNotExist", err)
	}
	r := newRenderer(t, WithProvisioningURL("https://prov.example.com/cutover"))
	if err := r.WriteTrust(dir); err != nil {
		t.Fatal(err)
	}
	f, _ := r.TrustFile()
	path := filepath.Join(dir, "configs", f.Name)
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("%s: %v, mode %v", path, err, fi.Mode())
	}
	if b, _ := os.ReadFile(path); string(b) != string(identrust.CommercialRootCA1) {
		t.Error("the published CA is not IdenTrust Commercial Root CA 1")
	}
	p, err := ReadProvisioning(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := Provisioning{URL: "https://prov.example.com/cutover/", TrustFile: f.Name,
		TrustURL: "https://prov.example.com/cutover/" + f.Name, TrustName: "IdenTrust Commercial Root CA 1"}
	if p != want {
		t.Errorf("record %+v, want %+v", p, want)
	}
	writeJSON(t, filepath.Join(dir, "provisioning.json"), Provisioning{TrustFile: "../secrets.json"})
	if _, err := ReadProvisioning(dir); err == nil || !strings.Contains(err.Error(), "provisioning.json") {
		t.Errorf("a record naming a path: %v, want an error naming the file", err)
	}
}
