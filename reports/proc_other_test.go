//go:build !unix

package reports

import "os/exec"

func setProcessGroup(*exec.Cmd) {}
func killGroup(*exec.Cmd)       {}
