package dns

import (
	"strings"
	"testing"
)

func TestParseSRVSpecs(t *testing.T) {
	got, err := ParseSRVSpecs("_sips._tcp.example.test=10 60 5061 sbc1.example.test, _sips._tcp.example.test=20 40 5061 sbc2.example.test.")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Priority != 10 || got[0].Weight != 60 || got[0].Port != 5061 || got[1].Target != "sbc2.example.test." {
		t.Fatalf("%+v", got)
	}
	for spec, want := range map[string]string{
		"_sips._tcp.x=10 60 5061":             "expected 4 fields",
		"=10 60 5061 a":                       "expected NAME=",
		"_sips._tcp.x=10 60 70000 a":          "port",
		"_sips._tcp.x=10 60 0 a":              "port 0",
		"_sips._tcp.x=a 60 5061 a":            "priority",
		"_sips._tcp.x=10 60 5061 bad..name":   "not a domain name",
		"bad name=10 60 5061 sbc.example":     "not a domain name",
		"_sips._tcp.x 10 60 5061 sbc.example": "expected NAME=",
	} {
		_, err := ParseSRVSpecs(spec)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want one mentioning %q", spec, err, want)
		}
	}
}

func TestParseASpecs(t *testing.T) {
	got, err := ParseASpecs("sbc1.example.test=127.0.0.11,sbc2.example.test=127.0.0.12")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[1].IP != "127.0.0.12" {
		t.Fatalf("%+v", got)
	}
	for _, spec := range []string{"sbc1=::1", "sbc1", "=1.2.3.4", "sbc1=1.2.3"} {
		if _, err := ParseASpecs(spec); err == nil {
			t.Errorf("%q accepted", spec)
		}
	}
}

func FuzzParseSRVSpecs(f *testing.F) {
	f.Add("_sips._tcp.example.test=10 60 5061 sbc1.example.test")
	f.Add("a=1 2 3 b,c=4 5 6 d")
	f.Add("=,,")
	f.Fuzz(func(t *testing.T, spec string) {
		recs, err := ParseSRVSpecs(spec)
		if err != nil {
			return
		}
		s := NewServer()
		for _, r := range recs {
			if r.Port == 0 || checkName(r.Target) != nil {
				t.Fatalf("accepted invalid record %+v", r)
			}
			s.AddSRV(r.Name, r.Priority, r.Weight, r.Port, r.Target)
		}
	})
}

func FuzzAnswer(f *testing.F) {
	f.Add([]byte{0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 4, 's', 'b', 'c', '1', 0, 0, 1, 0, 1})
	f.Fuzz(func(t *testing.T, wire []byte) {
		s := NewServer(WithSRV("_sips._tcp.example.test", 10, 60, 5061, "sbc1.example.test"), WithA("sbc1.example.test", "127.0.0.11"))
		req := new(mdnsMsg)
		if err := req.Unpack(wire); err != nil {
			return
		}
		if _, err := s.answer(req).Pack(); err != nil {
			t.Fatalf("packing answer to %v: %v", req, err)
		}
	})
}
