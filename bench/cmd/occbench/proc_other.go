//go:build !linux

package main

import "os/exec"

// dieWithParent is a no-op here: the bench stops the server on every exit
// path it controls.
func dieWithParent(*exec.Cmd) {}
