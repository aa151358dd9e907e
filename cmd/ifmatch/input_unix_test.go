//go:build unix

package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/ifmatch/ifmatch/mockserver"
)

// A FILE that is a pipe (a FIFO, or bash's <(cmd)) cannot be read twice:
// it is copied first, checked, then run, like stdin.
func TestApplyFromFIFO(t *testing.T) {
	srv := newServer(t, mockserver.Options{})
	paths := seedDocs(t, srv, "/fifo/", 2)
	fifo := filepath.Join(t.TempDir(), "ops")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("mkfifo:", err)
	}
	input := appendOp("a", srv.URL+paths[0]) + "\n" + appendOp("b", srv.URL+paths[1]) + "\n"
	wrote := make(chan error, 1)
	go func() {
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err == nil {
			_, err = f.WriteString(input)
			f.Close()
		}
		wrote <- err
	}()
	code, out, errOut := invoke(t, context.Background(), "", "apply", fifo)
	if err := <-wrote; err != nil {
		t.Fatal(err)
	}
	if code != exitOK || strings.Count(out, `"status":"ok"`) != 2 {
		t.Errorf("exit %d, stdout %q; stderr:\n%s", code, out, errOut)
	}
	if applied := opsIn(t, srv, paths); applied["a"] != 1 || applied["b"] != 1 {
		t.Errorf("applied %v, want a and b once", applied)
	}
}
