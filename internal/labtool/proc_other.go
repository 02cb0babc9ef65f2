//go:build !unix

package labtool

import "os/exec"

func setProcessGroup(*exec.Cmd) {}
func killGroup(*exec.Cmd)       {}
