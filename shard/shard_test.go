package shard

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Spec
	}{
		{"", Spec{}},
		{"  ", Spec{}},
		{"0/1", Spec{0, 1}},
		{"0/4", Spec{0, 4}},
		{"3/4", Spec{3, 4}},
		{" 2 / 8 ", Spec{2, 8}},
		{"99999/100000", Spec{99999, 100000}},
	} {
		got, err := Parse(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("Parse(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
		if tc.in != "" && strings.TrimSpace(tc.in) != "" {
			if back, err := Parse(got.String()); err != nil || back != got {
				t.Errorf("Parse(%q.String()) = %v, %v", tc.in, back, err)
			}
		}
	}
}

func TestParseRefuses(t *testing.T) {
	for _, tc := range []struct{ in, says string }{
		{"4", "expected K/N"},
		{"4/4", "the last of 4 shards is 3/4"},
		{"5/4", "from 0 to 3"},
		{"-1/4", "from 0 to 3"},
		{"1/0", "from 1 to 100000"},
		{"0/100001", "from 1 to 100000"},
		{"a/4", "K must be"},
		{"1/b", "N must be"},
		{"$(JOB_COMPLETION_INDEX)/4", "K must be"}, // a manifest whose variable was not expanded
		{"1/2/3", "N must be"},
	} {
		_, err := Parse(tc.in)
		if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("Parse(%q) = %v; want an ErrInvalid saying %q", tc.in, err, tc.says)
		}
	}
}

// TestIndexIsPinned pins the rule: FNV-1a 64 of the canonical MAC, modulo
// N. The figures were computed outside Go (a ten-line FNV-1a in Python); a
// change of hash, of key form or of modulus breaks this test, as it would
// break every shard run directory already written.
func TestIndexIsPinned(t *testing.T) {
	for _, tc := range []struct {
		mac    string
		n4, n7 int
		n1000  int
	}{
		{"0004F2A1B2C3", 1, 4, 861},
		{"805EC0A1B2C3", 0, 1, 524},
		{"001565A1B2C3", 2, 0, 950},
		{"000B82000001", 2, 5, 778},
		{"00908F123456", 1, 2, 641},
	} {
		if got := [3]int{Index(tc.mac, 4), Index(tc.mac, 7), Index(tc.mac, 1000)}; got != [3]int{tc.n4, tc.n7, tc.n1000} {
			t.Errorf("Index(%s) mod 4, 7, 1000 = %v; want %v", tc.mac, got, [3]int{tc.n4, tc.n7, tc.n1000})
		}
	}
}

func TestHasIgnoresNotation(t *testing.T) {
	s := Spec{K: 1, N: 4} // 0004F2A1B2C3 is in shard 1 of 4
	for _, m := range []string{"0004F2A1B2C3", "00:04:f2:a1:b2:c3", "00-04-F2-A1-B2-C3", "0004.f2a1.b2c3", " 0004f2a1b2c3 "} {
		if !s.Has(m) {
			t.Errorf("%q is not in shard 1/4", m)
		}
		if (Spec{K: 0, N: 4}).Has(m) {
			t.Errorf("%q is also in shard 0/4", m)
		}
	}
}

// TestShardsPartition: every MAC is in exactly one shard of a split, and a
// split of a fleet leaves no shard empty or far above its share.
func TestShardsPartition(t *testing.T) {
	const fleet = 20000
	for _, n := range []int{1, 2, 3, 4, 16} {
		counts := make([]int, n)
		for i := range fleet {
			mac := fmt.Sprintf("0004F2%06X", i)
			in := 0
			for k := range n {
				if (Spec{K: k, N: n}).Has(mac) {
					in++
					counts[k]++
				}
			}
			if in != 1 {
				t.Fatalf("%s is in %d shards of %d", mac, in, n)
			}
		}
		for k, c := range counts {
			if share := fleet / n; c < share*9/10 || c > share*11/10 {
				t.Errorf("shard %d/%d holds %d of %d devices; want within 10%% of %d", k, n, c, fleet, share)
			}
		}
	}
}

func TestZeroSpecIsEverything(t *testing.T) {
	var s Spec
	if !s.All() || !s.Has("0004F2A1B2C3") || !s.Has("not a mac") || s.String() != "" || s.Share(100) != 100 {
		t.Errorf("zero Spec: All %v, String %q, Share %g", s.All(), s.String(), s.Share(100))
	}
	if (Spec{K: 0, N: 4}).All() || (Spec{K: 2, N: 4}).Share(100) != 25 {
		t.Error("a 4-way shard is not everything, and takes a quarter of the rate")
	}
}

func ExampleParse() {
	s, err := Parse("2/4")
	if err != nil {
		panic(err)
	}
	fmt.Println(s, s.Has("00:15:65:A1:B2:C3"), s.Share(100))
	// Output: 2/4 true 25
}
