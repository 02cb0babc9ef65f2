package main

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/cutover-dev/cutover/certify"
)

// A hostile SBC's reason phrase (an ESC sequence that would clear the
// screen and retitle the window) reaches the terminal without its control
// characters.
func TestCertifySummaryStripsControlCharacters(t *testing.T) {
	hostile := "Forbidden\x1b[2J\x1b]0;pwned\x07 \u202eevil\u009b31m\r\nnext"
	var out bytes.Buffer
	printCertifySummary(&out, []certify.Result{{MAC: "0004F2A1B2C3", Case: "register", Outcome: certify.Fail, Reason: hostile, Remedy: "check\x1b[31m"}}, "x")
	s := out.String()
	for _, bad := range []string{"\x1b", "\x07", "\u202e", "\u009b", "\r"} {
		if strings.Contains(s, bad) {
			t.Errorf("summary holds %q:\n%q", bad, s)
		}
	}
	if !strings.Contains(s, "Forbidden[2J]0;pwned evil31m  next") {
		t.Errorf("the printable text should stay:\n%q", s)
	}
	if terminalSafe("plain ascii, ünïcode") != "plain ascii, ünïcode" {
		t.Error("clean text changed")
	}
}

// An inventory header holding control characters (which the header
// match ignores as spaces: VT, NEL) is quoted in problems without them.
func TestValidateStripsControlCharactersFromHeaders(t *testing.T) {
	t.Chdir(t.TempDir())
	csv := "mac,make,model,own\x0b\u0085er\n805EC0000001,Yealink,T54W,\n"
	if err := os.WriteFile("inv.csv", []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, _ := runValidateCmd(t, "inv.csv")
	if code != exitFailed || !strings.Contains(out, "owner is empty") || strings.ContainsAny(out, "\x0b\u0085") {
		t.Fatalf("exit %d, output %q", code, out)
	}
}

func TestSafeLinesKeepsNewlines(t *testing.T) {
	var b bytes.Buffer
	n, err := safeLines{&b}.Write([]byte("a\x1b[31mb\nc\x07\n"))
	if err != nil || n != 11 || b.String() != "a[31mb\nc\n" {
		t.Fatalf("wrote %d %v %q", n, err, b.String())
	}
}
