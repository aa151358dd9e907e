//go:build unix

package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ifmatch/ifmatch/mockserver"
)

// A signal (the context main cancels on SIGINT and SIGTERM) ends edit:
// while the editor is open, the editor is ended and nothing is written
// (exit 130); while the write is in flight, the write is abandoned and
// reported unknown (exit 3).
func TestEditStopsOnSignal(t *testing.T) {
	const original = `{"name":"old"}`
	tests := []struct {
		name string
		// editor is the $VISUAL script; it creates the file "opened" in
		// its directory first.
		editor   string
		holdPut  bool // the server holds the PUT until the client leaves
		code     int
		stderr   string
		unlisted string // not in stderr
	}{
		{
			name:   "while the editor is open",
			editor: "#!/bin/sh\ntouch \"$(dirname \"$0\")/opened\"\nexec sleep 30\n",
			code:   exitInterrupted, stderr: "interrupted: nothing written",
		},
		{
			name:    "while the write is in flight",
			editor:  "#!/bin/sh\ntouch \"$(dirname \"$0\")/opened\"\necho '{\"name\":\"new\"}' > \"$1\"\n",
			holdPut: true, code: exitUnknown, stderr: "in flight: it may have committed",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			script := filepath.Join(dir, "editor.sh")
			if err := os.WriteFile(script, []byte(tt.editor), 0o700); err != nil {
				t.Fatal(err)
			}
			t.Setenv("VISUAL", script)
			h := mockserver.NewHandler(mockserver.Options{})
			if _, err := h.SetDoc("/doc", []byte(original)); err != nil {
				t.Fatal(err)
			}
			putArrived := make(chan struct{}, 1)
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodPut && tt.holdPut {
					// Read the body, so that the server sees the client
					// leave (it watches the connection after the body).
					body, _ := io.ReadAll(r.Body)
					r.Body = io.NopCloser(bytes.NewReader(body))
					putArrived <- struct{}{}
					select { // the client leaves; the old code would wait forever
					case <-r.Context().Done():
						return
					case <-time.After(20 * time.Second):
					}
				}
				h.ServeHTTP(w, r)
			}))
			defer ts.Close()

			ctx, signal := context.WithCancel(context.Background())
			defer signal()
			type ran struct {
				code   int
				stderr string
			}
			done := make(chan ran, 1)
			go func() {
				code, _, errOut := invoke(t, ctx, "", "edit", "-retries", "-1", ts.URL+"/doc")
				done <- ran{code, errOut}
			}()
			if tt.holdPut {
				<-putArrived
			} else {
				waitForFile(t, filepath.Join(dir, "opened"), done)
			}
			signal()
			r := <-done
			if r.code != tt.code || !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("exit %d, stderr:\n%s\nwant %d and %q", r.code, r.stderr, tt.code, tt.stderr)
			}
			if doc, _, _ := h.Doc("/doc"); string(doc) != original {
				t.Errorf("document %s, want it unchanged", doc)
			}
		})
	}
}

// waitForFile waits until name exists, failing if the command ends first.
func waitForFile[T any](t *testing.T, name string, ended <-chan T) {
	t.Helper()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		if _, err := os.Stat(name); err == nil {
			return
		}
		select {
		case r := <-ended:
			t.Fatalf("the command ended before %s appeared: %+v", name, r)
		case <-tick.C:
		}
	}
}
