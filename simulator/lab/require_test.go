package lab

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorder is a testing.TB that records Fatalf and Skipf instead of ending
// the test, so that the Require helpers' verdicts can be checked.
type recorder struct {
	testing.TB
	verdict, msg string
}

type stopped struct{}

func (r *recorder) Helper() {}
func (r *recorder) Fatalf(format string, args ...any) {
	r.verdict, r.msg = "fail", fmt.Sprintf(format, args...)
	panic(stopped{})
}
func (r *recorder) Skipf(format string, args ...any) {
	r.verdict, r.msg = "skip", fmt.Sprintf(format, args...)
	panic(stopped{})
}

// verdict runs f with a recorder: "fail", "skip" or "pass".
func verdict(t *testing.T, f func(testing.TB)) (string, string) {
	t.Helper()
	r := &recorder{TB: t, verdict: "pass"}
	func() {
		defer func() {
			if v := recover(); v != nil {
				if _, ok := v.(stopped); !ok {
					panic(v)
				}
			}
		}()
		f(r)
	}()
	return r.verdict, r.msg
}

// TestRequireWithoutTools runs the helpers with a PATH holding none of the
// lab tools: they must skip, or fail under CUTOVER_REQUIRE_LAB=1, and say
// what is missing.
func TestRequireWithoutTools(t *testing.T) {
	empty := t.TempDir()
	t.Setenv("PATH", empty)
	helpers := map[string]func(testing.TB){
		"kamailio": RequireKamailio,
		"dnsmasq":  RequireDNSMasq,
		"sipp":     func(tb testing.TB) { RequireTool(tb, "sipp", "sip-tester") },
		"socat":    func(tb testing.TB) { RequireTool(tb, "socat", "socat") },
	}
	for name, h := range helpers {
		t.Setenv(RequireLabEnv, "")
		if v, msg := verdict(t, h); v != "skip" || !strings.Contains(msg, name) {
			t.Errorf("%s missing, lab not required: %s %q, want a skip naming it", name, v, msg)
		}
		t.Setenv(RequireLabEnv, "1")
		if v, msg := verdict(t, h); v != "fail" || !strings.Contains(msg, name) || !strings.Contains(msg, RequireLabEnv) {
			t.Errorf("%s missing, %s=1: %s %q, want a failure naming it", name, RequireLabEnv, v, msg)
		}
	}
}

// TestRequireWithTools checks a tool that is on PATH passes, whatever the
// environment says.
func TestRequireWithTools(t *testing.T) {
	dir := t.TempDir()
	// An empty executable file: LookPath only checks the mode; nothing runs it.
	tool := filepath.Join(dir, "sipp")
	if err := os.WriteFile(tool, nil, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	for _, env := range []string{"", "1"} {
		t.Setenv(RequireLabEnv, env)
		var got string
		if v, msg := verdict(t, func(tb testing.TB) { got = RequireTool(tb, "sipp", "sip-tester") }); v != "pass" || got != tool {
			t.Errorf("%s=%q: %s %q, path %q, want a pass with %s", RequireLabEnv, env, v, msg, got, tool)
		}
	}
}
