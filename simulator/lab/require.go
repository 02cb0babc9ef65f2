package lab

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// RequireLabEnv is the environment variable that turns a missing lab tool
// from a skip into a failure (set in CI).
const RequireLabEnv = "CUTOVER_REQUIRE_LAB"

// RequireKamailio skips t when Kamailio cannot run here (binary or TLS
// module missing, not root), saying why, or fails it instead when
// CUTOVER_REQUIRE_LAB=1.
func RequireKamailio(t testing.TB) {
	t.Helper()
	if reason := kamailioMissing(); reason != "" {
		if os.Getenv(RequireLabEnv) == "1" {
			t.Fatalf("lab: %s (and %s=1 requires the lab)", reason, RequireLabEnv)
		}
		t.Skipf("lab: %s; install the kamailio and kamailio-tls-modules packages and run as root, or set %s=1 to make this a failure", reason, RequireLabEnv)
	}
}

func kamailioMissing() string {
	if _, err := exec.LookPath("kamailio"); err != nil {
		return "kamailio binary not found on PATH"
	}
	if _, err := os.Stat(filepath.Join(ModulesDir(), "tls.so")); err != nil {
		return "kamailio TLS module (tls.so, package kamailio-tls-modules) not found in " + ModulesDir()
	}
	if os.Geteuid() != 0 {
		return "kamailio lab needs root (binding loopback aliases and running the daemon as packaged)"
	}
	return ""
}
