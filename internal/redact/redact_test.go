package redact

import (
	"strings"
	"testing"
)

const planted = "Hunter2!Secret"

func TestString(t *testing.T) {
	for _, in := range []string{
		"password=" + planted, `"sipPassword": "` + planted + `"`, "Bearer " + planted,
		"client_secret=" + planted, "Authorization: Bearer " + planted, "password: " + planted,
		"sip_password:" + planted, "GET /x?access_token=" + planted + "&a=b", "X-Auth-Token: " + planted,
		`{"token":"` + planted + `"}`,
	} {
		got := String(in)
		if strings.Contains(got, planted) || !strings.Contains(got, "[redacted]") {
			t.Errorf("String(%q) = %q", in, got)
		}
		// Only the value goes: the key before it stays readable.
		if i := strings.Index(in, planted); got != in[:i]+"[redacted]"+in[i+len(planted):] {
			t.Errorf("String(%q) = %q: it must replace the value alone", in, got)
		}
	}
	// Prose about passwords and tokens is not a credential: words stay.
	for _, in := range []string{
		"register-bad-password: could not check: sbc1.example:5061 did not answer",
		"register-bad-password: did not check",
		"password-policy: the SIP password is shared with 2 other device(s): 0004F2000001, 0004F2000002",
		"the token: expired, renew it",
		"bearer token refused",
	} {
		if got := String(in); got != in {
			t.Errorf("String(%q) = %q, want it unchanged", in, got)
		}
	}
}
