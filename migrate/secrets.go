package migrate

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"sort"
	"sync"

	"github.com/cutover-dev/cutover/internal/atomicfile"
	"github.com/cutover-dev/cutover/rundir"
)

// SecretKeyEnv names the environment variable whose value, when set, encrypts
// DIR/secrets.json.
const SecretKeyEnv = "CUTOVER_SECRET_KEY"

// ErrSecretKey is returned when secrets.json is encrypted and the key is
// missing or wrong.
var ErrSecretKey = errors.New("secrets.json is encrypted: " + SecretKeyEnv + " is missing or wrong")

// Secrets is DIR/secrets.json: the SIP password of every device of a run,
// by MAC. The file is mode 0600 and replaced atomically (temp file, fsync,
// rename). Two formats:
//
// Plain (no key):
//
//	{"version": 1, "passwords": {"0004F2A1B2C3": "..."}}
//
// Encrypted (CUTOVER_SECRET_KEY set): the plain document above, sealed with
// AES-256-GCM under a key derived from CUTOVER_SECRET_KEY with PBKDF2-HMAC-SHA256:
//
//	{"version": 1, "kdf": "pbkdf2-sha256", "iterations": 600000,
//	 "salt": "<base64, 16 bytes>", "nonce": "<base64, 12 bytes>",
//	 "ciphertext": "<base64>"}
//
// A Secrets is safe for concurrent use.
type Secrets struct {
	mu   sync.Mutex
	path string
	key  []byte // nil: plain
	salt []byte
	iter int // the PBKDF2 work factor key was derived with
	pw   map[string]string
	used map[string]bool
	// plainOnDisk says the file exists unencrypted while a key is set: the
	// lock's holder encrypts it at once (EncryptNow), never silently later.
	plainOnDisk bool
}

type secretsDoc struct {
	Version    int               `json:"version"`
	Passwords  map[string]string `json:"passwords,omitempty"`
	KDF        string            `json:"kdf,omitempty"`
	Iterations int               `json:"iterations,omitempty"`
	Salt       []byte            `json:"salt,omitempty"`
	Nonce      []byte            `json:"nonce,omitempty"`
	Ciphertext []byte            `json:"ciphertext,omitempty"`
}

// pbkdf2Iterations is the work factor of new files (OWASP 2023 for
// PBKDF2-HMAC-SHA256); a file records its own. Tests lower it.
var pbkdf2Iterations = 600_000

// OpenSecrets opens dir/secrets.json (a missing file is an empty store),
// taking the encryption key from CUTOVER_SECRET_KEY. It returns ErrSecretKey
// when the file is encrypted and the key does not open it.
func OpenSecrets(dir string) (*Secrets, error) {
	return OpenSecretsWithKey(dir, os.Getenv(SecretKeyEnv))
}

// OpenSecretsWithKey is OpenSecrets with an explicit passphrase ("" for a
// plain file).
func OpenSecretsWithKey(dir, passphrase string) (*Secrets, error) {
	s := &Secrets{path: rundir.Path(dir, rundir.SecretsFile), pw: map[string]string{}, used: map[string]bool{}}
	b, err := os.ReadFile(s.path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if passphrase != "" {
			s.salt, s.iter = make([]byte, 16), pbkdf2Iterations
			rand.Read(s.salt)
			if s.key, err = deriveKey(passphrase, s.salt, s.iter); err != nil {
				return nil, err
			}
		}
		return s, nil
	case err != nil:
		return nil, fmt.Errorf("opening secrets: %w", err)
	}
	var doc secretsDoc
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("opening secrets: %s: %w", s.path, err)
	}
	if doc.Version != 1 {
		return nil, fmt.Errorf("opening secrets: %s: version %d: expected 1", s.path, doc.Version)
	}
	if doc.Ciphertext != nil {
		if passphrase == "" {
			return nil, fmt.Errorf("opening secrets: %s: %w", s.path, ErrSecretKey)
		}
		if doc.KDF != "pbkdf2-sha256" || doc.Iterations <= 0 || len(doc.Nonce) != 12 {
			return nil, fmt.Errorf("opening secrets: %s: unsupported encryption %q", s.path, doc.KDF)
		}
		key, err := deriveKey(passphrase, doc.Salt, doc.Iterations)
		if err != nil {
			return nil, err
		}
		gcm, err := newGCM(key)
		if err != nil {
			return nil, err
		}
		plain, err := gcm.Open(nil, doc.Nonce, doc.Ciphertext, []byte(SecretsFile))
		if err != nil {
			return nil, fmt.Errorf("opening secrets: %s: %w", s.path, ErrSecretKey)
		}
		var inner secretsDoc
		if err := json.Unmarshal(plain, &inner); err != nil {
			return nil, fmt.Errorf("opening secrets: %s: decrypted document: %w", s.path, err)
		}
		doc.Passwords = inner.Passwords
		s.key, s.salt, s.iter = key, doc.Salt, doc.Iterations
	} else if passphrase != "" {
		// A plain file under a key: the run encrypts it before doing
		// anything else (EncryptNow).
		s.plainOnDisk = true
		s.salt, s.iter = make([]byte, 16), pbkdf2Iterations
		rand.Read(s.salt)
		if s.key, err = deriveKey(passphrase, s.salt, s.iter); err != nil {
			return nil, err
		}
	}
	for mac, pw := range doc.Passwords {
		s.pw[mac] = pw
		s.used[pw] = true
	}
	return s, nil
}

func deriveKey(passphrase string, salt []byte, iter int) ([]byte, error) {
	k, err := pbkdf2.Key(sha256.New, passphrase, salt, iter, 32)
	if err != nil {
		return nil, fmt.Errorf("deriving secrets key: %w", err)
	}
	return k, nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	blk, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("secrets cipher: %w", err)
	}
	return cipher.NewGCM(blk)
}

// EncryptNow rewrites a plain secrets.json encrypted when a key is set (a
// run given CUTOVER_SECRET_KEY on a directory that was first run without
// it); it is a no-op otherwise. Only the run directory's lock holder calls
// it: a reader rewriting the file could drop a password saved meanwhile.
func (s *Secrets) EncryptNow() error {
	s.mu.Lock()
	need := s.plainOnDisk
	s.mu.Unlock()
	if !need {
		return nil
	}
	if err := s.Save(); err != nil {
		return fmt.Errorf("encrypting plain %s: %w", s.path, err)
	}
	s.mu.Lock()
	s.plainOnDisk = false
	s.mu.Unlock()
	return nil
}

// Encrypted reports whether the store is (or will be saved) encrypted.
func (s *Secrets) Encrypted() bool { return s.key != nil }

// Get returns the SIP password stored for mac.
func (s *Secrets) Get(mac string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	pw, ok := s.pw[mac]
	return pw, ok
}

// Len returns how many passwords the store holds.
func (s *Secrets) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.pw)
}

// Used reports whether pw is already some device's password.
func (s *Secrets) Used(pw string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.used[pw]
}

// Set records mac's password in memory; Save writes it. Callers make sure a
// password is saved before it is sent anywhere.
func (s *Secrets) Set(mac, pw string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.pw[mac]; ok {
		delete(s.used, old)
	}
	s.pw[mac] = pw
	s.used[pw] = true
}

// Save writes the store atomically with mode 0600.
func (s *Secrets) Save() error {
	s.mu.Lock()
	pw := maps.Clone(s.pw)
	s.mu.Unlock()
	doc := secretsDoc{Version: 1, Passwords: pw}
	b, err := json.Marshal(doc)
	if err != nil {
		return fmt.Errorf("saving secrets: %w", err)
	}
	if s.key != nil {
		gcm, err := newGCM(s.key)
		if err != nil {
			return err
		}
		nonce := make([]byte, gcm.NonceSize())
		rand.Read(nonce)
		ct := gcm.Seal(nil, nonce, b, []byte(SecretsFile))
		clear(b)
		b, err = json.Marshal(secretsDoc{Version: 1, KDF: "pbkdf2-sha256", Iterations: s.iter,
			Salt: s.salt, Nonce: nonce, Ciphertext: ct})
		if err != nil {
			return fmt.Errorf("saving secrets: %w", err)
		}
	}
	if err := atomicfile.Write(s.path, b, rundir.ModeSecret, true); err != nil {
		return fmt.Errorf("saving secrets: %w", err)
	}
	return nil
}

// MACs returns the MACs the store holds, sorted.
func (s *Secrets) MACs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.pw))
	for m := range s.pw {
		out = append(out, m)
	}
	sort.Strings(out)
	return out
}
