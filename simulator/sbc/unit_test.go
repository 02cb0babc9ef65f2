package sbc

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

func TestParseFaults(t *testing.T) {
	for spec, want := range map[string]Fault{
		"":                  {},
		"none":              {},
		"down":              {Down: true},
		"503":               {Register503: true},
		"503=45s":           {Register503: true, RetryAfter: 45 * time.Second},
		"slow=2s":           {Slow: 2 * time.Second},
		"tls13":             {TLS13Only: true},
		"wrong-host":        {WrongHostCert: true},
		"expired":           {ExpiredCert: true},
		" 503 , slow=500ms": {Register503: true, Slow: 500 * time.Millisecond},
	} {
		got, err := ParseFaults(spec)
		if err != nil {
			t.Errorf("%q: %v", spec, err)
			continue
		}
		if got != want {
			t.Errorf("%q: got %+v, want %+v", spec, got, want)
		}
		// String round-trips.
		again, err := ParseFaults(got.String())
		if err != nil || again != got {
			t.Errorf("%q: String %q does not round-trip: %+v %v", spec, got.String(), again, err)
		}
	}
	for spec, want := range map[string]string{
		"sideways":           "unknown fault",
		"slow":               "needs a delay",
		"slow=fast":          "positive duration",
		"slow=-1s":           "positive duration",
		"down=1":             "takes no value",
		"wrong-host,expired": "cannot be combined",
	} {
		if _, err := ParseFaults(spec); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want an error mentioning %q", spec, err, want)
		}
	}
}

func FuzzParseFaults(f *testing.F) {
	for _, s := range []string{"down", "503=1s,slow=2s", "tls13,wrong-host", "x=y=z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		got, err := ParseFaults(spec)
		if err != nil {
			return
		}
		again, err := ParseFaults(got.String())
		if err != nil || again != got {
			t.Fatalf("%q -> %+v -> %q -> %+v, %v", spec, got, got.String(), again, err)
		}
	})
}

func TestLoadUsers(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	u, err := LoadUsers(write("u.csv", "\ufeffSIP User,Sip_Password,mac\n1001,\"pa,ss\",x\n\n1002,two\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := u.Lookup("1001"); !ok || p != "pa,ss" {
		t.Fatalf("1001: %q %v", p, ok)
	}
	if _, ok := u.Lookup("1003"); ok {
		t.Fatal("unknown user found")
	}
	u, err = LoadUsers(write("u.json", `{"1001": "one", "1002": "two"}`))
	if err != nil || len(u) != 2 {
		t.Fatalf("JSON object: %v %v", u, err)
	}
	u, err = LoadUsers(write("l.json", `[{"user": "1001", "password": "one"}, {"username": "1002", "password": "two"}]`))
	if err != nil || u["1002"] != "two" {
		t.Fatalf("JSON array: %v %v", u, err)
	}
	for name, tc := range map[string]struct{ body, want string }{
		"dup.csv":   {"user,password\n1001,a\n1001,b\n", "line 3: user \"1001\": listed twice"},
		"empty.csv": {"user,password\n1001,\n", "line 2: user \"1001\": empty password"},
		"short.csv": {"x,user,password\n1001\n", "line 2: 1 fields"},
		"none.csv":  {"", "empty file"},
		"bad.json":  {"{", "parsing JSON"},
	} {
		_, err := LoadUsers(write(name, tc.body))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: %v, want an error naming the file and %q", name, err, tc.want)
		}
	}
	// Passwords never appear in errors.
	_, err = LoadUsers(write("leak.csv", "user,password\n,Sup3rSecret!\n"))
	if err == nil || strings.Contains(err.Error(), "Sup3rSecret") {
		t.Fatalf("error %v leaks the password or is missing", err)
	}
}

func FuzzParseUsersCSV(f *testing.F) {
	f.Add("user,password\n1001,x\n")
	f.Add("password,user\n\"a\"\"b\",c\n")
	f.Fuzz(func(t *testing.T, body string) {
		u, err := ParseUsersCSV(strings.NewReader(body))
		if err != nil {
			return
		}
		for name, p := range u {
			if name == "" || p == "" {
				t.Fatalf("accepted empty user or password: %q", name)
			}
		}
	})
}

func TestMutableUsers(t *testing.T) {
	var u MutableUsers
	if _, ok := u.Lookup("a"); ok {
		t.Fatal("zero value has a user")
	}
	u.Set("a", "1")
	if p, ok := u.Lookup("a"); !ok || p != "1" {
		t.Fatal("Set not seen")
	}
	u.Delete("a")
	if _, ok := u.Lookup("a"); ok {
		t.Fatal("Delete not seen")
	}
}

// testSBC is an SBC with settings but no network, for the auth hot path.
func testSBC(t testing.TB) *SBC {
	s, err := New(WithCA(labCA(t)), WithUsers(StaticUsers{"1001": "S3cret!pass"}), WithRealm("example.test"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// clientCredentials answers a challenge as a device would (icholy/digest,
// the library sipgo's client uses).
func clientCredentials(t testing.TB, s *SBC, now time.Time, user, password string) *credentials {
	chal, err := digest.ParseChallenge(challenge(s.realm, s.nonces.issue(now, s.realm), s.opaque, false))
	if err != nil {
		t.Fatal(err)
	}
	cred, err := digest.Digest(chal, digest.Options{Method: "REGISTER", URI: "sip:example.test", Username: user, Password: password, Count: 1})
	if err != nil {
		t.Fatal(err)
	}
	c, err := parseCredentials(cred.String())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestVerify(t *testing.T) {
	s := testSBC(t)
	now := time.Now()
	if got := s.verify(clientCredentials(t, s, now, "1001", "S3cret!pass"), "REGISTER", now); got != authOK {
		t.Fatalf("right password: %v", got)
	}
	if got := s.verify(clientCredentials(t, s, now, "1001", "wrong"), "REGISTER", now); got != authWrongCreds {
		t.Fatalf("wrong password: %v", got)
	}
	if got := s.verify(clientCredentials(t, s, now, "1001", "S3cret!pass"), "INVITE", now); got != authWrongCreds {
		t.Fatalf("credentials replayed for another method: %v", got)
	}
	if got := s.verify(clientCredentials(t, s, now, "9999", "x"), "REGISTER", now); got != authWrongCreds {
		t.Fatalf("unknown user: %v", got)
	}
	if got := s.verify(clientCredentials(t, s, now, "1001", "S3cret!pass"), "REGISTER", now.Add(DefaultNonceTTL+time.Second)); got != authStale {
		t.Fatalf("old nonce: %v", got)
	}
	forged := clientCredentials(t, s, now, "1001", "S3cret!pass")
	forged.Nonce = strings.Repeat("0", len(forged.Nonce))
	if got := s.verify(forged, "REGISTER", now); got != authChallenge {
		t.Fatalf("forged nonce: %v", got)
	}
	other := testSBC(t) // another SBC's nonce key
	if got := s.verify(clientCredentials(t, other, now, "1001", "S3cret!pass"), "REGISTER", now); got != authChallenge {
		t.Fatalf("nonce from another SBC: %v", got)
	}
	// RFC 2069 style (no qop) is still verified.
	c := clientCredentials(t, s, now, "1001", "S3cret!pass")
	c.QOP, c.Cnonce, c.rawNC = "", "", ""
	c.Response = md5hex(md5hex("1001:example.test:S3cret!pass"), ":", c.Nonce, ":", md5hex("REGISTER:sip:example.test"))
	if got := s.verify(c, "REGISTER", now); got != authOK {
		t.Fatalf("no-qop credentials: %v", got)
	}
}

func FuzzParseCredentials(f *testing.F) {
	f.Add(`Digest username="1001", realm="example.test", nonce="00", uri="sip:x", response="ab", qop=auth, nc=00000001, cnonce="c"`)
	f.Add(`Digest username=`)
	f.Fuzz(func(t *testing.T, h string) {
		c, err := parseCredentials(h)
		if err != nil {
			return
		}
		s := testSBC(t)
		_ = s.verify(c, "REGISTER", time.Now())
	})
}

func BenchmarkSBCDigestVerify(b *testing.B) {
	s := testSBC(b)
	now := time.Now()
	c := clientCredentials(b, s, now, "1001", "S3cret!pass")
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	const n = 100_000
	for range b.N {
		for range n {
			if s.verify(c, "REGISTER", now) != authOK {
				b.Fatal("verify failed")
			}
		}
	}
	b.ReportMetric(float64(n*b.N)/time.Since(start).Seconds(), "verifies/s")
}

func FuzzContactChanges(f *testing.F) {
	f.Add("REGISTER sip:example.test SIP/2.0\r\nVia: SIP/2.0/TLS 127.0.0.1:5099;branch=z9hG4bK1\r\nTo: <sip:1001@example.test>\r\nFrom: <sip:1001@example.test>;tag=1\r\nCall-ID: a\r\nCSeq: 1 REGISTER\r\nContact: <sip:1001@127.0.0.1:5099;transport=tls>;expires=120, <sip:1001@127.0.0.2>\r\nExpires: 60\r\nContent-Length: 0\r\n\r\n")
	f.Add("REGISTER sip:example.test SIP/2.0\r\nVia: SIP/2.0/TLS 127.0.0.1:5099;branch=z9hG4bK1\r\nContact: *\r\nExpires: 0\r\nContent-Length: 0\r\n\r\n")
	s := testSBC(f)
	f.Fuzz(func(t *testing.T, raw string) {
		msg, err := sip.ParseMessage([]byte(raw))
		if err != nil {
			return
		}
		req, ok := msg.(*sip.Request)
		if !ok {
			return
		}
		changes, wildcard, ok := s.contactChanges(req)
		if !ok {
			return
		}
		if wildcard && len(changes) > 0 {
			t.Fatal("wildcard with contacts accepted")
		}
		for _, c := range changes {
			if c.expires < 0 || c.expires > s.maxExp || (c.expires > 0 && c.expires < s.minExp) {
				t.Fatalf("expiry %s outside [%s, %s]", c.expires, s.minExp, s.maxExp)
			}
		}
	})
}
