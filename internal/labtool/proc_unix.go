//go:build unix

package labtool

import (
	"os/exec"
	"syscall"
	"time"
)

// setProcessGroup starts cmd in its own process group and, on timeout, kills
// the whole group: Chromium and LibreOffice fork helpers that would
// otherwise keep the output pipes open.
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
}

// killGroup ends whatever the tool left behind in its group.
func killGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
