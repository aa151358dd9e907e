package main

import (
	"context"
	"strings"
	"testing"

	"github.com/ifmatch/ifmatch/mockserver"
)

// Help goes to stdout for every command, and lists only the flags that
// change what that command does.
func TestCommandHelp(t *testing.T) {
	tests := []struct {
		cmd       string
		has, lack []string
	}{
		{"get", []string{"-i\t", "-H", "-timeout", "-version-field"}, []string{"-max-attempts", "-strategy", "-idempotency-keys", "-no-group-commit", "-version-param", "-merge-content-type"}},
		{"patch", []string{"-max-attempts", "-strategy", "-json-patch-content-type", "-idempotency-keys"}, []string{"-merge-content-type", "-no-group-commit", "-if-match", "-concurrency"}},
		{"merge", []string{"-merge-content-type", "-strategy"}, []string{"-json-patch-content-type", "-no-group-commit"}},
		{"edit", []string{"-max-attempts", "-idempotency-keys"}, []string{"-strategy", "-i\t", "-no-group-commit", "-merge-content-type"}},
		{"create", []string{"-idempotency-keys", "-i\t"}, []string{"-if-match", "-max-attempts", "-strategy"}},
		{"put", []string{"-if-match", "-idempotency-keys"}, []string{"-max-attempts", "-strategy", "-no-group-commit"}},
		{"delete", []string{"-if-match"}, []string{"-max-attempts", "-strategy", "-q\t"}},
		{"apply", []string{"-concurrency", "-resume", "-rerun-unknown", "-no-group-commit", "-merge-content-type", "-json-patch-content-type"}, []string{"-if-match"}},
	}
	for _, tt := range tests {
		for _, args := range [][]string{{tt.cmd, "-h"}, {tt.cmd, "--help"}, {"help", tt.cmd}} {
			code, out, errOut := invoke(t, context.Background(), "", args...)
			if code != exitOK || errOut != "" || !strings.HasPrefix(out, "Usage: ifmatch "+tt.cmd+" ") {
				t.Errorf("%q: exit %d, stderr %q, stdout starting %.40q; want 0, nothing, the usage", args, code, errOut, out)
			}
			for _, f := range tt.has {
				if !strings.Contains(out, "\n  "+f) {
					t.Errorf("%q lacks %s", args, f)
				}
			}
			for _, f := range tt.lack {
				if strings.Contains(out, "\n  "+f) {
					t.Errorf("%q lists %s, which %s does not use", args, f, tt.cmd)
				}
			}
		}
	}
	// A mistake goes to stderr, and says where the help is.
	code, out, errOut := invoke(t, context.Background(), "", "get", "-max-attempts", "3", "http://x.test/d")
	if code != exitUsage || out != "" || !strings.Contains(errOut, "-max-attempts") || !strings.Contains(errOut, `"ifmatch get -h"`) {
		t.Errorf("a write flag on get: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// A URL the commands cannot use is a usage error in the command line's
// words, not the SDK's "invalid change: bad url", and nothing is sent.
func TestRelativeURL(t *testing.T) {
	for _, args := range [][]string{
		{"get", "/items/X1"}, {"patch", "/items/X1"}, {"merge", "items/X1"}, {"edit", "/items/X1"},
		{"create", "/items/X1"}, {"put", "-if-match", `"1"`, "/items/X1"}, {"delete", "-if-match", `"1"`, "/items/X1"},
		{"get", "ftp://x.test/items/X1"},
	} {
		code, _, errOut := invoke(t, context.Background(), `{}`, args...)
		if code != exitUsage || strings.Contains(errOut, "invalid change") || !strings.Contains(errOut, "X1") ||
			!(strings.Contains(errOut, "not an absolute URL") || strings.Contains(errOut, "want an http or https URL")) {
			t.Errorf("%q: exit %d, stderr %q; want 2 and what is wrong with the URL", args, code, errOut)
		}
	}
}

// A command ended by a signal (its context canceled) exits 130, unless a
// write may have committed (3).
func TestInterruptedExit(t *testing.T) {
	srv := newServer(t, mockserver.Options{})
	if _, err := srv.SetDoc("/d", []byte(`{"n":1}`)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, args := range [][]string{
		{"get", srv.URL + "/d"},
		{"merge", srv.URL + "/d"},
		{"put", "-if-match", `"1"`, srv.URL + "/d"},
		{"apply", "-base", srv.URL},
	} {
		code, _, errOut := invoke(t, ctx, `{"url":"/d","merge":{"n":2}}`, args...)
		if code != exitInterrupted {
			t.Errorf("%s: exit %d, want 130; stderr:\n%s", args[0], code, errOut)
		}
	}
	if doc, _, _ := srv.Doc("/d"); string(doc) != `{"n":1}` {
		t.Errorf("document %s, want it unchanged", doc)
	}
}
