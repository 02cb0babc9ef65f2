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
		missing(t, reason, "install the kamailio and kamailio-tls-modules packages and run as root")
	}
}

// RequireTool returns the path of a lab tool found on PATH (sipp, socat,
// dnsmasq, ...). When it is missing it skips t, naming the Debian package
// to install, or fails t when CUTOVER_REQUIRE_LAB=1.
func RequireTool(t testing.TB, name, debianPackage string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		missing(t, name+" not found on PATH", "install the "+debianPackage+" package")
	}
	return p
}

// missing fails or skips t for a lab tool that cannot run.
func missing(t testing.TB, reason, fix string) {
	t.Helper()
	if os.Getenv(RequireLabEnv) == "1" {
		t.Fatalf("lab: %s (and %s=1 requires the lab)", reason, RequireLabEnv)
	}
	t.Skipf("lab: %s; %s, or set %s=1 to make this a failure", reason, fix, RequireLabEnv)
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
