package migrate

import (
	"strings"
	"testing"

	"github.com/cutover-dev/cutover/migrate/inventory"
)

func TestGeneratePasswordMeetsPolicy(t *testing.T) {
	seen := map[string]bool{}
	for range 500 {
		pw, err := generatePassword([]string{"5001"}, func(p string) bool { return seen[p] })
		if err != nil {
			t.Fatal(err)
		}
		if err := inventory.CheckPassword(pw); err != nil {
			t.Fatalf("generated password refused by the policy: %v", err)
		}
		if strings.Contains(pw, "5001") {
			t.Fatal("generated password contains the extension")
		}
		if seen[pw] {
			t.Fatal("generated password reused")
		}
		seen[pw] = true
	}
}

func TestGeneratePasswordRefusesUsed(t *testing.T) {
	if _, err := generatePassword(nil, func(string) bool { return true }); err == nil {
		t.Fatal("no error when every candidate is taken")
	}
}
