package inventory

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ErrWeakPassword is wrapped by CheckPassword's errors.
var ErrWeakPassword = errors.New("weak SIP password")

// MinPasswordLength is the shortest SIP password the policy accepts.
const MinPasswordLength = 8

// PasswordPolicy describes the policy CheckPassword enforces, for messages.
const PasswordPolicy = "at least 8 characters with an upper-case letter, a lower-case letter, a digit and a special character, no spaces"

// CheckPassword enforces the SIP password policy: at least 8 characters, an
// upper-case letter, a lower-case letter, a digit and a special character,
// and no spaces or control characters (they break device configs). The
// error wraps ErrWeakPassword and says what is missing; it never contains
// the password.
func CheckPassword(pw string) error {
	var missing []string
	n := utf8.RuneCountInString(pw)
	if n < MinPasswordLength {
		missing = append(missing, fmt.Sprintf("is %d characters long, not at least %d", n, MinPasswordLength))
	}
	var upper, lower, digit, special, space bool
	for _, r := range pw {
		switch {
		case r == utf8.RuneError || unicode.IsControl(r) || isSpace(r):
			space = true
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsLower(r):
			lower = true
		case unicode.IsDigit(r):
			digit = true
		case unicode.IsPunct(r) || unicode.IsSymbol(r):
			special = true
		}
	}
	if !upper {
		missing = append(missing, "has no upper-case letter")
	}
	if !lower {
		missing = append(missing, "has no lower-case letter")
	}
	if !digit {
		missing = append(missing, "has no digit")
	}
	if !special {
		missing = append(missing, "has no special character")
	}
	if space {
		missing = append(missing, "contains a space or control character")
	}
	if len(missing) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrWeakPassword, strings.Join(missing, ", "))
}
