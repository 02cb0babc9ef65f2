package main

import (
	"bytes"
	"context"
	"os"
	"regexp"
	"strings"
	"testing"
)

// helpOf returns the help text of the command line args.
func helpOf(t *testing.T, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	if code := run(context.Background(), append(append([]string{"cutover"}, args...), "--help"), &out, &errb); code != 0 {
		t.Fatalf("%v --help: exit %d: %s", args, code, errb.String())
	}
	return out.String()
}

func flagLine(help, flag string) string {
	for _, l := range strings.Split(help, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), flag+" ") {
			return l
		}
	}
	return ""
}

func TestHelpWording(t *testing.T) {
	migrate := helpOf(t, "migrate")
	if l := flagLine(migrate, "--rate"); !strings.Contains(l, "--rate R ") || strings.Contains(l, "SECOND") {
		t.Errorf("--rate placeholder: %q", l)
	}
	for _, want := range []string{"--skip-invalid", "--errors OUT.xlsx", "write nothing to Webex or DIR"} {
		if !strings.Contains(migrate, want) {
			t.Errorf("migrate --help lacks %q", want)
		}
	}
	// A default said twice ("(default: one per CPU) (default: 0)") is noise.
	for _, cmd := range []string{"publish", "render", "migrate", "plan"} {
		if l := flagLine(helpOf(t, cmd), "--jobs"); l == "" || strings.Count(l, "default:") != 1 || strings.Contains(l, "default: 0)") {
			t.Errorf("%s --jobs: %q", cmd, l)
		}
	}
	if h := helpOf(t, "lab", "users"); !strings.Contains(h, "--format FORMAT") || !strings.Contains(h, "0600") {
		t.Errorf("lab users --help:\n%s", h)
	}
}

func TestREADMEMatchesTheCLI(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	// The Webex emulator's default address, as --help says it.
	m := regexp.MustCompile(`--listen ADDR\s+listen ADDR.*\(default: "?([0-9.]+:[0-9]+)"?\)`).FindStringSubmatch(helpOf(t, "emulate", "webex"))
	if m == nil {
		t.Fatal("emulate webex --help shows no default --listen")
	}
	def := m[1]
	for _, l := range strings.Split(readme, "\n") {
		if strings.Contains(l, "emulate webex") {
			if lm := regexp.MustCompile(`--listen (\S+)`).FindStringSubmatch(l); lm != nil && lm[1] != def {
				t.Errorf("README runs the Webex emulator on %s, the default is %s: %s", lm[1], def, l)
			}
		}
		if um := regexp.MustCompile(`--webex-url http://(127\.0\.0\.1:\d+)/v1`).FindStringSubmatch(l); um != nil && um[1] != def {
			t.Errorf("README points --webex-url at %s, the emulator's default is %s", um[1], def)
		}
	}
	for _, want := range []string{"go install ./cmd/cutover", "make build", "cutover lab users --run", "--skip-invalid",
		"interrupted: re-run the same command to resume"} {
		if !strings.Contains(readme, want) {
			t.Errorf("README lacks %q", want)
		}
	}
}
