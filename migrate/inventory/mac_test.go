package inventory

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

// NormalizeMAC is macaddr.Parse (whose tests hold the table of forms and
// errors) returning a string.
func TestNormalizeMACIsMacaddr(t *testing.T) {
	if got, err := NormalizeMAC("00-04-f2-a1-b2-c3"); err != nil || got != "0004F2A1B2C3" {
		t.Errorf("NormalizeMAC = %q, %v", got, err)
	}
	if got, err := NormalizeMAC("01:00:5E:00:00:01"); err == nil || got != "" {
		t.Errorf("NormalizeMAC of a multicast MAC = %q, %v; want an error", got, err)
	}
}

var twelveHex = regexp.MustCompile(`^[0-9A-F]{12}$`)

// FuzzReadCSV feeds arbitrary bytes to the reader: it must never panic, and
// every device it keeps must carry a normalised MAC and a policy-abiding
// password.
func FuzzReadCSV(f *testing.F) {
	f.Add([]byte("mac,make,model,owner\n805EC0000001,Yealink,T54W,a@acme-dental.example\n"))
	f.Add([]byte("\ufeffmac;type;make;model;owner;lines;sip_password\n0004.f2a1.b2c3;phone;Poly;VVX 450;Lobby;a@b.example;x\n"))
	f.Add([]byte("mac,type,make,model,owner,owner_type,lines\n00908F000001,gateway,AudioCodes,MP-114,Fax,workspace,\"a;b;c;d;e\"\n"))
	f.Add([]byte("mac\n\"unterminated\n"))
	f.Add([]byte("mac,sip_password,make,model,owner\n1.34E+15,Str0ng!Pw,Yealink,T54W,a@b.example\n805EC0000001,Str0ng!Pw,Yealink,T54W,a@b.example\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		inv, err := ReadFrom(bytes.NewReader(data), "fuzz.csv", Options{})
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, d := range inv.Devices {
			if !twelveHex.MatchString(d.MAC) {
				t.Fatalf("device MAC %q is not 12 upper-case hex digits", d.MAC)
			}
			if seen[d.MAC] {
				t.Fatalf("MAC %s kept twice", d.MAC)
			}
			seen[d.MAC] = true
			if d.SIPPassword != "" && CheckPassword(d.SIPPassword) != nil {
				t.Fatalf("device kept with a weak password")
			}
			if len(d.Lines) == 0 || d.Lines[0].Port != 1 || len(d.Lines) > d.Type.MaxLines() {
				t.Fatalf("device lines %+v", d.Lines)
			}
		}
		for _, p := range inv.Problems {
			if p.Pos.File != "fuzz.csv" || p.Pos.Row < 1 {
				t.Fatalf("problem not located: %+v", p)
			}
		}
	})
}

func TestCheckPassword(t *testing.T) {
	for _, tc := range []struct{ pw, err string }{
		{"Str0ng!Pw", ""},
		{"Ünïcødé#9x", ""},
		{"", "weak SIP password: is 0 characters long, not at least 8, has no upper-case letter, has no lower-case letter, has no digit, has no special character"},
		{"Sh0rt!", "weak SIP password: is 6 characters long, not at least 8"},
		{"alllower1!", "weak SIP password: has no upper-case letter"},
		{"ALLUPPER1!", "weak SIP password: has no lower-case letter"},
		{"NoDigits!!", "weak SIP password: has no digit"},
		{"NoSpecial12", "weak SIP password: has no special character"},
		{"With Space1!", "weak SIP password: contains a space or control character"},
		{"Tab\tbed1!x", "weak SIP password: contains a space or control character"},
	} {
		err := CheckPassword(tc.pw)
		if tc.err == "" {
			if err != nil {
				t.Errorf("CheckPassword(%q) = %v, want nil", tc.pw, err)
			}
			continue
		}
		if err == nil || err.Error() != tc.err {
			t.Errorf("CheckPassword(%q) = %v, want %q", tc.pw, err, tc.err)
		}
		if tc.pw != "" && err != nil && strings.Contains(err.Error(), tc.pw) {
			t.Errorf("error echoes the password: %v", err)
		}
	}
}
