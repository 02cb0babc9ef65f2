package sbc

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/icholy/digest"
)

// Nonces are stateless: the issue time and an HMAC over it under a key that
// lives only in this process. Verifying needs no shared table, so the
// registration hot path takes no lock for nonces; a nonce older than the TTL
// is answered with a fresh challenge marked stale=true (RFC 2617 3.2.1).
// Replays within the TTL are accepted, as many SBCs do for REGISTER.

const nonceMACLen = 16

type nonceIssuer struct {
	key []byte
	ttl time.Duration
}

func (n nonceIssuer) mac(ts []byte, realm string) []byte {
	h := hmac.New(sha256.New, n.key)
	h.Write(ts)
	h.Write([]byte(realm))
	return h.Sum(nil)[:nonceMACLen]
}

func (n nonceIssuer) issue(now time.Time, realm string) string {
	var ts [8]byte
	binary.BigEndian.PutUint64(ts[:], uint64(now.UnixNano()))
	buf := make([]byte, 0, 8+nonceMACLen)
	buf = append(buf, ts[:]...)
	buf = append(buf, n.mac(ts[:], realm)...)
	return hex.EncodeToString(buf)
}

var (
	errNonceInvalid = errors.New("nonce not issued by this SBC")
	errNonceStale   = errors.New("nonce expired")
)

func (n nonceIssuer) check(nonce string, now time.Time, realm string) error {
	raw, err := hex.DecodeString(nonce)
	if err != nil || len(raw) != 8+nonceMACLen {
		return errNonceInvalid
	}
	if !hmac.Equal(raw[8:], n.mac(raw[:8], realm)) {
		return errNonceInvalid
	}
	issued := time.Unix(0, int64(binary.BigEndian.Uint64(raw[:8])))
	if now.Sub(issued) > n.ttl || issued.After(now.Add(time.Minute)) {
		return errNonceStale
	}
	return nil
}

// challenge renders a WWW-Authenticate / Proxy-Authenticate value.
func challenge(realm, nonce, opaque string, stale bool) string {
	c := digest.Challenge{
		Realm:     realm,
		Nonce:     nonce,
		Opaque:    opaque,
		Algorithm: "MD5",
		QOP:       []string{"auth"},
		Stale:     stale,
	}
	return c.String()
}

// authResult is the outcome of checking an Authorization header.
type authResult int

const (
	authOK         authResult = iota
	authMalformed             // unparsable header or missing fields: 400
	authChallenge             // not for us (other realm, foreign or stale nonce): challenge again
	authStale                 // our nonce, expired: challenge with stale=true
	authWrongCreds            // unknown user or wrong password
)

// credentials are the parts of a Digest Authorization header the SBC uses.
type credentials struct {
	digest.Credentials
	rawNC string
}

func parseCredentials(h string) (*credentials, error) {
	c, err := digest.ParseCredentials(h)
	if err != nil {
		return nil, err
	}
	if c.Username == "" || c.Nonce == "" || c.URI == "" || c.Response == "" {
		return nil, errors.New("digest credentials lack username, nonce, uri or response")
	}
	cr := &credentials{Credentials: *c}
	if c.QOP != "" {
		// RFC 2617: nc is exactly 8 hex digits, and it enters the hash as
		// sent; re-format the parsed value the same way.
		cr.rawNC = strconv.FormatInt(int64(c.Nc), 16)
		cr.rawNC = strings.Repeat("0", max(0, 8-len(cr.rawNC))) + cr.rawNC
	}
	return cr, nil
}

// digestResponse computes the RFC 2617 MD5 response for method with
// password, using the fields the client sent (qop=auth or none).
func digestResponse(c *credentials, method, password string) (string, bool) {
	switch strings.ToUpper(c.Algorithm) {
	case "", "MD5":
	default:
		return "", false
	}
	ha1 := md5hex(c.Username, ":", c.Realm, ":", password)
	ha2 := md5hex(method, ":", c.URI)
	switch strings.ToLower(c.QOP) {
	case "":
		return md5hex(ha1, ":", c.Nonce, ":", ha2), true
	case "auth":
		if c.Cnonce == "" {
			return "", false
		}
		return md5hex(ha1, ":", c.Nonce, ":", c.rawNC, ":", c.Cnonce, ":auth:", ha2), true
	default:
		return "", false
	}
}

func md5hex(parts ...string) string {
	h := md5.New()
	for _, p := range parts {
		h.Write([]byte(p))
	}
	var sum [md5.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0]))
}

// verify checks credentials against users for method. It never logs or
// returns the password.
func (s *SBC) verify(c *credentials, method string, now time.Time) authResult {
	if c.Realm != s.realm {
		return authChallenge
	}
	switch s.nonces.check(c.Nonce, now, s.realm) {
	case nil:
	case errNonceStale:
		return authStale
	default:
		return authChallenge
	}
	if c.Opaque != "" && c.Opaque != s.opaque {
		return authChallenge
	}
	password, ok := s.users.Lookup(c.Username)
	if !ok {
		return authWrongCreds
	}
	want, ok := digestResponse(c, method, password)
	if !ok {
		return authMalformed
	}
	if subtle.ConstantTimeCompare([]byte(want), []byte(strings.ToLower(c.Response))) != 1 {
		return authWrongCreds
	}
	return authOK
}
