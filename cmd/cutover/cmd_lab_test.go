package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cutover-dev/cutover/simulator/sbc"
)

func TestLabUsersFromARun(t *testing.T) {
	e := newMigrateEnv(t, 4)
	var out, errb bytes.Buffer
	if code := run(t.Context(), e.args("migrate", e.inv, "--run", e.dir), &out, &errb); code != 0 {
		t.Fatalf("migrate exit %d: %s", code, errb.String())
	}
	tmp := t.TempDir()
	for _, format := range []string{"csv", "json"} {
		file := filepath.Join(tmp, "users."+format)
		out.Reset()
		code := run(t.Context(), []string{"cutover", "lab", "users", "--run", e.dir, "--out", file, "--format", format}, &out, &errb)
		if code != 0 || !strings.Contains(out.String(), "wrote 4 users") {
			t.Fatalf("%s: exit %d\n%s%s", format, code, out.String(), errb.String())
		}
		if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v %v, want mode 0600", format, fi, err)
		}
		// What emulate sbc --users reads, holding what Webex set.
		users, err := sbc.LoadUsers(file)
		if err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		if len(users) != 4 {
			t.Errorf("%s: %d users, want 4", format, len(users))
		}
		for u, pw := range users {
			if want, ok := e.emu.DevicePassword(u); !ok || want != pw {
				t.Errorf("%s: user %s: the password is not the one Webex holds", format, u)
			}
			if strings.Contains(out.String()+errb.String(), pw) {
				t.Fatalf("%s: a password reached the terminal", format)
			}
		}
	}
	file := filepath.Join(tmp, "subscriber")
	if code := run(t.Context(), []string{"cutover", "lab", "users", "--run", e.dir, "--out", file, "--format", "kamailio", "--realm", "lab.test"}, &out, &errb); code != 0 {
		t.Fatalf("kamailio: exit %d: %s", code, errb.String())
	}
	b, _ := os.ReadFile(file)
	if lines := strings.Count(string(b), "\n"); lines != 5 || !strings.Contains(string(b), ":lab.test:") {
		t.Errorf("subscriber table:\n%s", b)
	}

	for _, args := range [][]string{
		{"lab", "users", "--run", tmp, "--out", file},                       // not a run directory
		{"lab", "users", "--run", e.dir, "--out", file, "--format", "yaml"}, // unknown format
		{"lab", "users", "--run", e.dir},                                    // no --out
	} {
		if code := run(t.Context(), append([]string{"cutover"}, args...), &out, &errb); code != exitUsage {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}
