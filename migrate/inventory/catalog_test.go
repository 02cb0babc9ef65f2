package inventory

import (
	"strings"
	"testing"
)

func TestDefaultCatalog(t *testing.T) {
	c := DefaultCatalog()
	if n := len(c.Models()); n != 10 {
		t.Fatalf("%d models, want 10", n)
	}
	for _, tc := range []struct{ make, model, webex string }{
		{"Yealink", "T54W", "Yealink T54W"},
		{" yealink ", "t54w", "Yealink T54W"},
		{"POLY", "vvx450", "Poly VVX 450"},
		{"Poly", "Edge-E350", "Poly Edge E350"},
		{"AudioCodes", "MP114", "AudioCodes MP-114"},
		{"audiocodes", "mp_1288", "AudioCodes MP-1288"},
		{"Generic", "SIP Phone", "Generic SIP Phone"},
	} {
		m, ok := c.Lookup(tc.make, tc.model)
		if !ok || m.Make+" "+m.Model != tc.webex {
			t.Errorf("Lookup(%q, %q) = %+v, %v; want %s", tc.make, tc.model, m, ok, tc.webex)
		}
	}
	if m, _ := c.Lookup("AudioCodes", "MP-1288"); m.MaxLines != 288 || m.Type != Gateway || m.Vendor != "audiocodes" {
		t.Errorf("MP-1288 = %+v", m)
	}
	if _, ok := c.Lookup("Yealink", "T99"); ok {
		t.Error("unknown model found")
	}
	// Models is a copy.
	c.Models()[0].Make = "changed"
	if c.Models()[0].Make != "Yealink" {
		t.Error("Models exposes the catalog's slice")
	}
}

func TestLoadCatalogRefusesBadEntries(t *testing.T) {
	for _, tc := range []struct{ json, err string }{
		{`[{"make":"A","model":"B","type":"fax","webexModel":"A B","vendor":"a","maxLines":1}]`, `reading model catalog: A B: type "fax" (expected phone or gateway)`},
		{`[{"make":"A","model":"B","type":"phone","webexModel":"A B","vendor":"a","maxLines":0}]`, "reading model catalog: A B: maxLines 0 (expected at least 1)"},
		{`[{"make":"","model":"B","type":"phone","webexModel":"A B","vendor":"a","maxLines":1}]`, "reading model catalog: entry 1: make and model are required"},
		{`[{"make":"A","model":"B","type":"phone","webexModel":"A B","vendor":"a","maxLines":1},{"make":"a","model":"b","type":"phone","webexModel":"A B","vendor":"a","maxLines":1}]`, "reading model catalog: a b listed twice"},
		{`[{"make":"A","model":"B","typo":1}]`, `reading model catalog: json: unknown field "typo"`},
	} {
		_, err := LoadCatalog(strings.NewReader(tc.json))
		if err == nil || err.Error() != tc.err {
			t.Errorf("LoadCatalog(%s) = %v, want %q", tc.json, err, tc.err)
		}
	}
}

func TestCustomCatalog(t *testing.T) {
	inTemp(t)
	c, err := LoadCatalog(strings.NewReader(`[{"make":"Acme","model":"P1","type":"phone","webexModel":"Acme P1","vendor":"generic","maxLines":2}]`))
	if err != nil {
		t.Fatal(err)
	}
	r := okRow(1)
	r[2], r[3], r[7] = "Acme", "P1", "a@acme-dental.example;b@acme-dental.example"
	inv := mustRead(t, xlsxFile(t, "inv.xlsx", [][]string{stdHeader, r}), Options{Catalog: c})
	wantProblems(t, inv, "inv.xlsx:Devices:2:H: lines: Acme P1 has 3 lines (expected at most 2 lines on Acme P1, its number of line ports)")
}
