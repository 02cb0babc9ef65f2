package publish

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/cutover-dev/cutover/macaddr"
	"github.com/icholy/digest"
)

// Credential is one device's provisioning login.
type Credential struct {
	User     string
	Password string
}

// Users maps a device (its MAC, 12 upper-case hex digits) or a single file
// name to the credential that may fetch it.
type Users map[string]Credential

// ReadUsers reads a users file: one entry a line, "KEY USER:PASSWORD", where
// KEY is a MAC (any common notation) or a published file name; blank lines
// and lines starting with '#' are ignored. Errors name the file and line,
// never the password.
func ReadUsers(path string) (Users, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading users: %w", err)
	}
	defer f.Close()
	u := Users{}
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, cred, ok := strings.Cut(line, " ")
		if !ok {
			key, cred, ok = strings.Cut(line, "\t")
		}
		user, pass, ok2 := strings.Cut(strings.TrimSpace(cred), ":")
		if !ok || !ok2 || user == "" || pass == "" {
			return nil, fmt.Errorf("reading users: %s:%d: expected KEY USER:PASSWORD", path, n)
		}
		if mac, err := normalizeMAC(key); err == nil {
			key = mac
		} else if err := CheckName(key); err != nil {
			return nil, fmt.Errorf("reading users: %s:%d: key %q: expected a MAC or a file name", path, n, key)
		}
		if _, dup := u[key]; dup {
			return nil, fmt.Errorf("reading users: %s:%d: %s listed twice", path, n, key)
		}
		u[key] = Credential{User: user, Password: pass}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading users: %s: %w", path, err)
	}
	return u, nil
}

func normalizeMAC(s string) (string, error) {
	m, err := macaddr.Parse(s)
	return string(m), err
}

// macIn finds the 12-hex-digit MAC inside a config file name.
func macIn(name string) string {
	for i := 0; i+12 <= len(name); i++ {
		if m, err := normalizeMAC(name[i : i+12]); err == nil {
			if i+12 == len(name) || !isHex(name[i+12]) {
				return m
			}
		}
	}
	return ""
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

// ServerOption configures a ConfigServer.
type ServerOption func(*ConfigServer)

// WithServerLogger sets the server's logger (default: discard).
func WithServerLogger(l *slog.Logger) ServerOption { return func(s *ConfigServer) { s.log = l } }

// WithRealm sets the authentication realm (default "cutover").
func WithRealm(r string) ServerOption { return func(s *ConfigServer) { s.realm = r } }

// nonceLifetime bounds how long a digest nonce is accepted.
const nonceLifetime = 5 * time.Minute

// ConfigServer is an http.Handler serving a published directory to lab
// devices: only the files its manifest.json lists, each only to the
// credential for that device (HTTP Basic, or Digest with MD5 or SHA-256 and
// qop=auth). A listed file that no device owns and that holds nothing but
// PEM certificates (the CA the configs name, render's trust file) is public:
// served to every device without a login. Anything else is 404, including
// the directory itself and the manifest. With no users every listed file is
// served without a login.
type ConfigServer struct {
	dir   string
	users Users
	realm string
	key   []byte
	log   *slog.Logger

	mu      sync.Mutex
	manMod  time.Time
	manSize int64
	files   map[string]ManifestEntry
}

// NewConfigServer serves dir, which must hold a manifest.json (as a dir://
// publish leaves it).
func NewConfigServer(dir string, users Users, opts ...ServerOption) (*ConfigServer, error) {
	s := &ConfigServer{dir: dir, users: users, realm: "cutover", key: make([]byte, 32)}
	for _, o := range opts {
		o(s)
	}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if _, err := rand.Read(s.key); err != nil {
		return nil, fmt.Errorf("starting config server: %w", err)
	}
	if _, err := s.manifest(); err != nil {
		return nil, fmt.Errorf("starting config server: %w", err)
	}
	return s, nil
}

// manifest returns the listed files, re-reading manifest.json when it changes
// (a publish while the server runs).
func (s *ConfigServer) manifest() (map[string]ManifestEntry, error) {
	path := filepath.Join(s.dir, ManifestName)
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.files != nil && fi.ModTime().Equal(s.manMod) && fi.Size() == s.manSize {
		return s.files, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	m, err := ParseManifest(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	s.files, s.manMod, s.manSize = m.Files, fi.ModTime(), fi.Size()
	return s.files, nil
}

// ServeHTTP implements http.Handler.
func (s *ConfigServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	name := strings.TrimPrefix(r.URL.Path, "/")
	files, err := s.manifest()
	if err != nil {
		s.log.Error("reading manifest", "err", err)
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
		return
	}
	entry, listed := files[name]
	if CheckName(name) != nil || !listed {
		http.NotFound(w, r)
		return
	}
	data, err := os.ReadFile(filepath.Join(s.dir, name))
	if err != nil || int64(len(data)) != entry.Size || sumHex(data) != entry.SHA256 {
		// A file changed behind the manifest is not served half-updated.
		s.log.Error("published file does not match the manifest", "file", name)
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
		return
	}
	if s.users != nil {
		cred, ok := s.users[name]
		if !ok {
			cred, ok = s.users[macIn(name)]
		}
		switch {
		case !ok && onlyCertificates(data):
			// The CA the configs point devices at (render's trust file) is
			// public: every device fetches it, with or without a login.
		case !ok:
			// A file no credential may fetch is, to a device, not there.
			http.NotFound(w, r)
			return
		default:
			if stale, ok := s.authorized(r, cred); !ok {
				s.challenge(w, stale)
				s.log.Info("refused", "file", name, "remote", r.RemoteAddr)
				return
			}
		}
	}
	w.Header().Set("Content-Type", contentType(name))
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("ETag", `"`+entry.SHA256+`"`)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(data))
	s.log.Info("served", "file", name, "remote", r.RemoteAddr)
}

// onlyCertificates reports whether data is PEM holding certificates and
// nothing else (no key, no other text): a public file.
func onlyCertificates(data []byte) bool {
	n := 0
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" || len(b.Headers) > 0 {
			return false
		}
		n++
	}
	return n > 0 && len(bytes.TrimSpace(data)) == 0
}

func sumHex(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func (s *ConfigServer) authorized(r *http.Request, c Credential) (stale, ok bool) {
	h := r.Header.Get("Authorization")
	if user, pass, isBasic := r.BasicAuth(); isBasic {
		return false, equal(user, c.User) && equal(pass, c.Password)
	}
	if !digest.IsDigest(h) {
		return false, false
	}
	cr, err := digest.ParseCredentials(h)
	if err != nil || cr.Userhash || cr.Realm != s.realm || cr.Opaque != s.opaque() {
		return false, false
	}
	if cr.URI != r.URL.RequestURI() && cr.URI != r.URL.Path {
		return false, false
	}
	fresh, valid := s.checkNonce(cr.Nonce)
	if !valid {
		return false, false
	}
	var hf func() hash.Hash
	switch strings.ToUpper(cr.Algorithm) {
	case "", "MD5":
		hf = md5.New
	case "SHA-256":
		hf = sha256.New
	default:
		return false, false
	}
	hj := func(parts ...string) string {
		h := hf()
		io.WriteString(h, strings.Join(parts, ":"))
		return hex.EncodeToString(h.Sum(nil))
	}
	ha1 := hj(c.User, s.realm, c.Password)
	ha2 := hj(r.Method, cr.URI)
	var want string
	switch cr.QOP {
	case "auth":
		want = hj(ha1, cr.Nonce, fmt.Sprintf("%08x", cr.Nc), cr.Cnonce, cr.QOP, ha2)
	case "":
		want = hj(ha1, cr.Nonce, ha2)
	default:
		return false, false
	}
	if !equal(cr.Username, c.User) || !equal(cr.Response, want) {
		return false, false
	}
	if !fresh {
		return true, false // right password, expired nonce: ask again with stale=true
	}
	return false, true
}

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// challenge answers 401 offering Digest (SHA-256, then MD5 for older
// firmware) and Basic.
func (s *ConfigServer) challenge(w http.ResponseWriter, stale bool) {
	nonce := s.newNonce(time.Now())
	for _, alg := range []string{"SHA-256", "MD5"} {
		c := digest.Challenge{Realm: s.realm, Nonce: nonce, Opaque: s.opaque(), Algorithm: alg, QOP: []string{"auth"}, Stale: stale}
		w.Header().Add("WWW-Authenticate", c.String())
	}
	w.Header().Add("WWW-Authenticate", `Basic realm="`+s.realm+`", charset="UTF-8"`)
	http.Error(w, "unauthorized", http.StatusUnauthorized)
}

func (s *ConfigServer) opaque() string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte("opaque"))
	return hex.EncodeToString(m.Sum(nil)[:8])
}

// newNonce is the issue time and an HMAC of it: verifiable without state.
func (s *ConfigServer) newNonce(t time.Time) string {
	b := make([]byte, 8, 24)
	binary.BigEndian.PutUint64(b, uint64(t.UnixNano()))
	m := hmac.New(sha256.New, s.key)
	m.Write(b)
	return base64.RawURLEncoding.EncodeToString(append(b, m.Sum(nil)[:16]...))
}

func (s *ConfigServer) checkNonce(n string) (fresh, valid bool) {
	b, err := base64.RawURLEncoding.DecodeString(n)
	if err != nil || len(b) != 24 {
		return false, false
	}
	m := hmac.New(sha256.New, s.key)
	m.Write(b[:8])
	if !hmac.Equal(m.Sum(nil)[:16], b[8:]) {
		return false, false
	}
	age := time.Since(time.Unix(0, int64(binary.BigEndian.Uint64(b[:8]))))
	return age >= -time.Minute && age <= nonceLifetime, true
}
