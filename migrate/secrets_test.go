package migrate

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestSecretsPlainRoundTrip(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenSecretsWithKey(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	s.Set("0004F2A1B2C3", "Xy7#abcdEFG")
	if err := s.Save(); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, SecretsFile))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", st.Mode().Perm())
	}
	s2, err := OpenSecretsWithKey(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if pw, ok := s2.Get("0004F2A1B2C3"); !ok || pw != "Xy7#abcdEFG" {
		t.Fatal("password not read back")
	}
	if !s2.Used("Xy7#abcdEFG") {
		t.Fatal("Used misses a stored password")
	}
	left, _ := filepath.Glob(filepath.Join(dir, "*.tmp"))
	if len(left) > 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}

func TestSecretsEncrypted(t *testing.T) {
	defer func(n int) { pbkdf2Iterations = n }(pbkdf2Iterations)
	pbkdf2Iterations = 1000
	dir := t.TempDir()
	s, err := OpenSecretsWithKey(dir, "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	s.Set("0004F2A1B2C3", "Secret#Pass9")
	if err := s.Save(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, SecretsFile))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte("Secret#Pass9")) || bytes.Contains(raw, []byte("0004F2A1B2C3")) {
		t.Fatal("the encrypted file shows the password or the MAC")
	}
	if _, err := OpenSecretsWithKey(dir, ""); !errors.Is(err, ErrSecretKey) {
		t.Fatalf("open without key: %v, want ErrSecretKey", err)
	}
	if _, err := OpenSecretsWithKey(dir, "wrong"); !errors.Is(err, ErrSecretKey) {
		t.Fatalf("open with a wrong key: %v, want ErrSecretKey", err)
	}
	t.Setenv(SecretKeyEnv, "correct horse")
	s2, err := OpenSecrets(dir)
	if err != nil {
		t.Fatal(err)
	}
	if pw, _ := s2.Get("0004F2A1B2C3"); pw != "Secret#Pass9" {
		t.Fatal("password not decrypted")
	}
	// A second save under the same key still opens, whatever the default
	// work factor is now.
	pbkdf2Iterations = 2000
	s2.Set("0004F2000001", "Other#Pass9")
	if err := s2.Save(); err != nil {
		t.Fatal(err)
	}
	s3, err := OpenSecretsWithKey(dir, "correct horse")
	if err != nil || s3.Len() != 2 {
		t.Fatalf("reopen: %v, %d passwords", err, s3.Len())
	}
}

func TestSecretsCorruptFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, SecretsFile), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenSecretsWithKey(dir, ""); err == nil {
		t.Fatal("a corrupt secrets file opened")
	}
}

// A run given CUTOVER_SECRET_KEY on a directory whose secrets.json is plain
// encrypts it when it starts, even when it has no new password to save:
// it never silently stays plaintext.
func TestRunEncryptsPlainSecretsWhenKeyIsSet(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenSecretsWithKey(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	s.Set("0004F2A1B2C3", "Xy7#abcdEFG")
	if err := s.Save(); err != nil {
		t.Fatal(err)
	}
	t.Setenv(SecretKeyEnv, "correct horse battery staple")
	// A run with nothing to do: an empty plan.
	if _, err := Run(t.Context(), nil, &Plan{}, nil, RunOptions{Dir: dir}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, SecretsFile))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte("Xy7#abcdEFG")) || !bytes.Contains(b, []byte("ciphertext")) {
		t.Fatalf("secrets.json still plain after a run with %s set", SecretKeyEnv)
	}
	s2, err := OpenSecretsWithKey(dir, "correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if pw, _ := s2.Get("0004F2A1B2C3"); pw != "Xy7#abcdEFG" {
		t.Fatal("password lost in the encryption")
	}
	if _, err := OpenSecretsWithKey(dir, ""); !errors.Is(err, ErrSecretKey) {
		t.Fatalf("open without the key: %v, want ErrSecretKey", err)
	}
}
