package macaddr

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{"00:04:F2:A1:B2:C3", "0004F2A1B2C3", ""},
		{"00-04-f2-a1-b2-c3", "0004F2A1B2C3", ""},
		{"0004.f2a1.b2c3", "0004F2A1B2C3", ""},
		{"0004f2a1b2c3", "0004F2A1B2C3", ""},
		{"\u00a0 0004F2A1B2C3\t\u200b", "0004F2A1B2C3", ""},
		{"", "", "empty MAC"},
		{"0004F2A1B2C", "", "has 11 hex digits, not 12"},
		{"0004F2A1B2C3D4", "", "has 14 hex digits, not 12"},
		{"0004F2A1B2CZ", "", "has a non-hex character 'Z'"},
		{"00 04 F2 A1 B2 C3", "", "has a non-hex character ' '"},
		{"00:04:F2:A1:B2", "", `has 5 groups separated by ":", not 6`},
		{"0:04:F2:A1:B2:C3:", "", `has 7 groups separated by ":", not 6`},
		{"000:4:F2:A1:B2:C3", "", `group "000" is not 2 hex digits`},
		{"0004.f2a1b2c3", "", "has 2 groups separated by '.', not 3"},
		{"00:04-F2:A1:B2:C3", "", "mixes ':' and '-' separators"},
		{"01:00:5E:00:00:01", "", "is a multicast address (first octet 01 is odd)"},
		{"33:33:00:00:00:01", "", "is a multicast address (first octet 33 is odd)"},
		{"000000000000", "", "is all zeros"},
		{"ffffffffffff", "", "is the broadcast address"},
		{"0004F2A1B2C\xff", "", "has a non-hex character U+FFFD at position 12"},
	} {
		got, err := Parse(tc.in)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("Parse(%q) = %q, %v; want error %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || string(got) != tc.want {
			t.Errorf("Parse(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestParseErrorWrapsErrInvalid(t *testing.T) {
	if _, err := Parse("nope"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("error %v does not wrap ErrInvalid", err)
	}
	if _, err := Parse("0004F2A1B2C3"); err != nil {
		t.Fatal(err)
	}
}

func TestForms(t *testing.T) {
	m := Must("00-04-f2-a1-b2-c3")
	if m.Colons() != "00:04:F2:A1:B2:C3" || m.Lower() != "0004f2a1b2c3" || !Valid(m.String()) || Valid("00:04:F2:A1:B2:C3") {
		t.Errorf("forms of %s wrong: %s %s", m, m.Colons(), m.Lower())
	}
}

// A huge group is clipped in the error, never echoed whole.
func TestParseClipsHugeInput(t *testing.T) {
	big := make([]byte, 1<<20)
	for i := range big {
		big[i] = 'a'
	}
	_, err := Parse("00:" + string(big) + ":00:00:00:00")
	if err == nil || len(err.Error()) > 100 {
		t.Fatalf("error of %d bytes, want a short one", len(err.Error()))
	}
}

var twelveHex = regexp.MustCompile(`^[0-9A-F]{12}$`)

func FuzzParse(f *testing.F) {
	for _, s := range []string{"00:04:F2:A1:B2:C3", "0004.f2a1.b2c3", "00-04-f2-a1-b2-c3", "0004F2A1B2C3", "1.34E+15", "\u00a0", "ff:ff:ff:ff:ff:ff", "::::::"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := Parse(s)
		if err != nil {
			if got != "" {
				t.Fatalf("Parse(%q) returned %q with error %v", s, got, err)
			}
			return
		}
		if !twelveHex.MatchString(string(got)) {
			t.Fatalf("Parse(%q) = %q: not 12 upper-case hex digits", s, got)
		}
		if b := got[1]; strings.IndexByte("13579BDF", b) >= 0 {
			t.Fatalf("Parse(%q) = %q: multicast accepted", s, got)
		}
		// Parsing is idempotent.
		if again, err := Parse(string(got)); err != nil || again != got {
			t.Fatalf("Parse(%q) = %q, %v; not idempotent", got, again, err)
		}
	})
}
