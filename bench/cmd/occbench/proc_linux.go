package main

import (
	"os/exec"
	"syscall"
)

// dieWithParent has the kernel kill the child when the bench dies, even by
// SIGKILL, so that no server outlives a run.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
