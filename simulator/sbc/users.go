package sbc

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// Users is where the SBC finds a digest user's password. It is declared
// here, by its consumer, so that a caller can plug in anything (a
// provisioned device list, a migration run directory).
type Users interface {
	// Lookup returns the plain-text password of the digest user name.
	Lookup(user string) (password string, ok bool)
}

// StaticUsers maps digest user names to passwords. It is not safe to change
// while the SBC reads it; use MutableUsers for that.
type StaticUsers map[string]string

// Lookup implements Users.
func (u StaticUsers) Lookup(user string) (string, bool) {
	p, ok := u[user]
	return p, ok
}

// MutableUsers is a Users set that may change while the SBC runs, for
// password-rotation tests. The zero value is empty and ready.
type MutableUsers struct {
	mu sync.RWMutex
	m  map[string]string
}

// Lookup implements Users.
func (u *MutableUsers) Lookup(user string) (string, bool) {
	u.mu.RLock()
	defer u.mu.RUnlock()
	p, ok := u.m[user]
	return p, ok
}

// Set adds or replaces a user's password.
func (u *MutableUsers) Set(user, password string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.m == nil {
		u.m = make(map[string]string)
	}
	u.m[user] = password
}

// Delete removes a user.
func (u *MutableUsers) Delete(user string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	delete(u.m, user)
}

// LoadUsers reads a users file: JSON (an object {"user": "password"} or an
// array [{"user": "...", "password": "..."}]) when the name ends in .json,
// otherwise CSV with a header row naming the columns user (or username,
// sip_user) and password (or sip_password). Errors name the file and line,
// never a password.
func LoadUsers(path string) (StaticUsers, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading users file: %w", err)
	}
	if strings.EqualFold(filepath.Ext(path), ".json") {
		u, err := parseUsersJSON(data)
		if err != nil {
			return nil, fmt.Errorf("reading users file %s: %w", path, err)
		}
		return u, nil
	}
	u, err := ParseUsersCSV(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("reading users file %s: %w", path, err)
	}
	return u, nil
}

func parseUsersJSON(data []byte) (StaticUsers, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && trimmed[0] == '[' {
		var list []struct {
			User     string `json:"user"`
			Username string `json:"username"`
			Password string `json:"password"`
		}
		if err := json.Unmarshal(trimmed, &list); err != nil {
			return nil, fmt.Errorf("parsing JSON: %w", err)
		}
		u := make(StaticUsers, len(list))
		for i, e := range list {
			name := e.User
			if name == "" {
				name = e.Username
			}
			if err := addUser(u, name, e.Password); err != nil {
				return nil, fmt.Errorf("entry %d: %w", i+1, err)
			}
		}
		return u, nil
	}
	var m map[string]string
	if err := json.Unmarshal(trimmed, &m); err != nil {
		return nil, fmt.Errorf("parsing JSON: expected {\"user\": \"password\"} or [{\"user\":...,\"password\":...}]: %w", err)
	}
	u := make(StaticUsers, len(m))
	for name, p := range m {
		if err := addUser(u, name, p); err != nil {
			return nil, err
		}
	}
	return u, nil
}

// ParseUsersCSV reads users from CSV with a header row (see LoadUsers).
func ParseUsersCSV(r io.Reader) (StaticUsers, error) {
	cr := csv.NewReader(r)
	cr.TrimLeadingSpace = true
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("line 1: empty file, expected a header row with user,password")
	}
	if err != nil {
		return nil, fmt.Errorf("line 1: %w", err)
	}
	userCol, passCol := -1, -1
	for i, h := range header {
		switch normalizeHeader(h) {
		case "user", "username", "sipuser", "authuser", "authid":
			userCol = i
		case "password", "sippassword", "secret":
			passCol = i
		}
	}
	if userCol < 0 || passCol < 0 {
		return nil, fmt.Errorf("line 1: expected columns user and password in the header, found %s", strings.Join(header, " | "))
	}
	u := StaticUsers{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			// A *csv.ParseError names its line already.
			return nil, err
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if userCol >= len(rec) || passCol >= len(rec) {
			return nil, fmt.Errorf("line %d: %d fields, expected at least %d", line, len(rec), max(userCol, passCol)+1)
		}
		if err := addUser(u, strings.TrimSpace(rec[userCol]), rec[passCol]); err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
	}
	return u, nil
}

func normalizeHeader(h string) string {
	h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
	return strings.NewReplacer(" ", "", "_", "", "-", "").Replace(h)
}

func addUser(u StaticUsers, name, password string) error {
	if name == "" {
		return errors.New("empty user name")
	}
	if password == "" {
		return fmt.Errorf("user %q: empty password", name)
	}
	if _, dup := u[name]; dup {
		return fmt.Errorf("user %q: listed twice", name)
	}
	u[name] = password
	return nil
}
