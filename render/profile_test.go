package render

import (
	"strconv"
	"strings"
	"testing"
)

func TestModelCapabilities(t *testing.T) {
	for _, c := range []struct {
		vendor, model string
		lines         int
		tls12         Support
	}{
		{VendorYealink, "T57W", 16, Yes},
		{VendorYealink, "t46u", 16, Yes},
		{VendorGrandstream, "GXP1782", 4, Yes},
		{VendorAudioCodes, "MP-118", 8, Unsure},
		{VendorAudioCodes, "mp 114", 4, Unsure},
		{VendorAudioCodes, "MP-124", 24, Unsure},
	} {
		p, err := ProfileFor(c.vendor)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Caps(c.model); got.Lines != c.lines || got.TLS12 != c.tls12 || got.Source == "" {
			t.Errorf("%s %s: %+v, want %d lines, TLS 1.2 %s", c.vendor, c.model, got, c.lines, c.tls12)
		}
	}
}

func TestProfileCheck(t *testing.T) {
	yl, _ := ProfileFor(VendorYealink)
	ports := make([]int, 17)
	for i := range ports {
		ports[i] = i + 1
	}
	probs := yl.Check("T57W", ports, map[int]string{3: "Front\ndesk"}, "Gr8!secret")
	if len(probs) != 2 || probs[0].Rule != RuleLines || probs[0].Port != 17 || probs[1].Rule != RuleLabel || probs[1].Port != 3 {
		t.Fatalf("problems %+v", probs)
	}
	if probs := yl.Check("T57W", ports[:16], nil, "Gr8!secret"); len(probs) != 0 {
		t.Fatalf("16 accounts on a T57W: %+v", probs)
	}
	ac, _ := ProfileFor(VendorAudioCodes)
	probs = ac.Check("MP-114", []int{1}, nil, `Ab1!"quote9`)
	if len(probs) != 1 || probs[0].Rule != RulePassword || strings.Contains(probs[0].Detail, "quote9") {
		t.Fatalf("problems %+v", probs)
	}
	// A model known not to reach TLS 1.2 is refused.
	old := &Profile{Vendor: "x", Name: "X", Models: []ModelCaps{{Prefix: "OLD", TLS12: No, Source: "test datasheet"}}}
	if probs := old.Check("OLD-1", []int{1}, nil, "pw"); len(probs) != 1 || probs[0].Rule != RuleTLS12 {
		t.Fatalf("problems %+v", probs)
	}
	// Render refuses what Check refuses.
	d := samples()[VendorYealink]
	d.Info.Lines[0].Label = "Front\ndesk"
	if _, err := newRenderer(t).Render(d); err == nil || !strings.Contains(err.Error(), "line break") {
		t.Fatalf("label with a line break rendered: %v", err)
	}
}

func TestDetectByNameThenContent(t *testing.T) {
	for _, c := range []struct{ name, data, want string }{
		{"001565a1b2c3.cfg", "#!version:1.0.0.1\n", VendorYealink},
		{"001565a1b2c3.cfg", "<?xml version=\"1.0\"?><APPLICATION CONFIG_FILES=\"x\"/>", VendorPoly},
		{"001565a1b2c3-phone.cfg", "", VendorPoly},
		{"cfg001565a1b2c3.xml", "", VendorGrandstream},
		{"001565A1B2C3.ini", "", VendorAudioCodes},
		{"001565a1b2c3.sip.conf", "", VendorGeneric},
		{"anything.txt", "# cutover generic SIP profile, version 1\n", VendorGeneric},
	} {
		p, err := detect(c.name, []byte(c.data))
		if err != nil || p.Vendor != c.want {
			t.Errorf("detect(%s) = %v, %v; want %s", c.name, p, err, c.want)
		}
	}
	if _, err := detect("001565a1b2c3.cfg", []byte("hello")); err == nil || !strings.Contains(err.Error(), "Poly or Yealink") {
		t.Errorf("ambiguous .cfg: %v", err)
	}
}

// TestReadErrorsNameTheLine: a value the reader cannot interpret is an
// error naming the file and the line.
func TestReadErrorsNameTheLine(t *testing.T) {
	r := newRenderer(t)
	for vendor, c := range map[string]struct{ old, new string }{
		VendorYealink:     {"static.security.default_ssl_method = 5", "static.security.default_ssl_method = 9"},
		VendorPoly:        {`sec.TLS.protocol.sip="TLSv1_2"`, `sec.TLS.protocol.sip="TLSv9"`},
		VendorGrandstream: {"<P103>1</P103>", "<P103>7</P103>"},
		VendorAudioCodes:  {"ProxyDNSQueryType = 1", "ProxyDNSQueryType = 5"},
		VendorGeneric:     {"expires = 3600", "expires = soon"},
	} {
		files := mustRender(t, r, samples()[vendor])
		f := files[len(files)-1]
		text := string(f.Data)
		if !strings.Contains(text, c.old) {
			t.Fatalf("%s: %q not rendered", vendor, c.old)
		}
		line := strings.Count(text[:strings.Index(text, c.old)], "\n") + 1
		_, err := Read(vendor, f.Name, []byte(strings.Replace(text, c.old, c.new, 1)))
		want := f.Name + ": line " + itoa(line) + ":"
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want an error at %q", vendor, err, want)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
