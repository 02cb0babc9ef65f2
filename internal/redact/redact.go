// Package redact masks credentials in free text before it leaves the
// program: in reports, which are handed to customers, and on the terminal.
// It is the one place that knows what a credential looks like in text.
package redact

import (
	"regexp"
	"strings"
	"unicode"
)

// secretPattern finds what might be a credential that slipped into free
// text (an event detail, a reason): a bearer token, or a value after a key
// naming a secret (password=x, "sipPassword": "x", token: x). Inputs are
// not supposed to hold any; reports are handed to customers, so they are
// masked again wherever
// text leaves the program (reports, the terminal). Groups: 1 what precedes the key, 2 the key, 3 the
// separator, 4 an opening quote, 5 the value.
var secretPattern = regexp.MustCompile(`(?i)(^|[^a-z0-9_])(bearer|["']?(?:access_token|refresh_token|client_secret|clientsecret|sip_password|sippassword|password|passwd|token|secret)["']?)(\s*[:=]\s*|\s+)(["']?)([^\s"'&,;}]+)`)

// String masks the values that look like credentials in s. Only the value
// is replaced, never the words around it: "register-bad-password: did not
// check" is prose about a case, not a password, and stays as it is. A
// value is masked when it is bound tightly (password=x, token:x) or
// quoted; one after a space (password: x, Bearer x) only when it holds
// something other than letters, as every generated secret does.
func String(s string) string {
	if s == "" {
		return s
	}
	ms := secretPattern.FindAllStringSubmatchIndex(s, -1)
	if ms == nil {
		return s
	}
	var b strings.Builder
	last := 0
	for _, m := range ms {
		key := strings.ToLower(s[m[4]:m[5]])
		sep, quote, val := s[m[6]:m[7]], s[m[8]:m[9]], s[m[10]:m[11]]
		isBearer := key == "bearer"
		if isBearer != (strings.TrimSpace(sep) == "") {
			continue // "bearer: x" or "password x": not a credential's shape
		}
		tight := !isBearer && !strings.ContainsAny(sep, " \t") && s[m[2]:m[3]] != "-"
		if !tight && quote == "" && onlyLetters(val) {
			continue
		}
		b.WriteString(s[last:m[10]])
		b.WriteString("[redacted]")
		last = m[11]
	}
	b.WriteString(s[last:])
	return b.String()
}

func onlyLetters(s string) bool {
	for _, r := range s {
		if !unicode.IsLetter(r) {
			return false
		}
	}
	return true
}
