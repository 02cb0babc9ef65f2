package migrate

import (
	"crypto/rand"
	"errors"
	"math/big"
	"strings"
)

// Password alphabet. The specials avoid characters that need escaping in
// XML, INI or shell-quoted vendor configs (<>&"'\ and space).
const (
	pwUpper   = "ABCDEFGHJKLMNPQRSTUVWXYZ"
	pwLower   = "abcdefghijkmnopqrstuvwxyz"
	pwDigit   = "23456789"
	pwSpecial = "!#%+-=@^_~*"
	pwLength  = 16
)

// generatePassword returns a random SIP password of pwLength characters from
// crypto/rand with at least one upper-case letter, lower-case letter, digit
// and special character, that contains none of avoid (the owner's extension,
// the SIP user name) and for which used returns false.
func generatePassword(avoid []string, used func(string) bool) (string, error) {
	all := pwUpper + pwLower + pwDigit + pwSpecial
	for range 100 {
		b := make([]byte, pwLength)
		classes := []string{pwUpper, pwLower, pwDigit, pwSpecial}
		for i := range b {
			set := all
			if i < len(classes) {
				set = classes[i]
			}
			c, err := randIndex(len(set))
			if err != nil {
				return "", err
			}
			b[i] = set[c]
		}
		// Shuffle so that the guaranteed classes are not always in front.
		for i := len(b) - 1; i > 0; i-- {
			k, err := randIndex(i + 1)
			if err != nil {
				return "", err
			}
			b[i], b[k] = b[k], b[i]
		}
		pw := string(b)
		if containsAny(pw, avoid) || (used != nil && used(pw)) || checkPassword(pw) != nil {
			continue
		}
		return pw, nil
	}
	return "", errors.New("generating password: no acceptable candidate in 100 tries")
}

func randIndex(n int) (int, error) {
	v, err := rand.Int(rand.Reader, big.NewInt(int64(n)))
	if err != nil {
		return 0, err
	}
	return int(v.Int64()), nil
}

func containsAny(s string, subs []string) bool {
	for _, x := range subs {
		if x != "" && strings.Contains(strings.ToLower(s), strings.ToLower(x)) {
			return true
		}
	}
	return false
}
