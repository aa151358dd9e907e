package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ifmatch/ifmatch/mockserver"
)

// create, put and delete, step by step on one document: create refuses
// an existing document, put and delete take the version from -if-match or
// from a file written by get -i, and a stale version writes nothing.
func TestWriteCommands(t *testing.T) {
	srv := newServer(t, mockserver.Options{})
	doc := srv.URL + "/items/1"
	dir := t.TempDir()
	file := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	var getI string // the last get -i output
	// The mock server's ETags are "PREFIX-N", N counting the server's
	// writes: after the probe's, the document's n-th version is N = n+1.
	prefix := mockPrefix(t, srv)
	tag := func(n int) string { return fmt.Sprintf(`"%s-%d"`, prefix, n+1) }
	tags := strings.NewReplacer(`"1"`, tag(1), `"2"`, tag(2), `"3"`, tag(3))
	steps := []struct {
		name   string
		args   func() []string
		stdin  string
		code   int
		stdout string
		stderr string
		want   string // the document afterwards; "-" gone
	}{
		{name: "create", args: func() []string { return []string{"create", "-i", doc} }, stdin: `{"n":1}`, stdout: `ETag: "1"`, want: `{"n":1}`},
		{name: "create again", args: func() []string { return []string{"create", doc} }, stdin: `{"n":9}`, code: exitFailed, stderr: "conflict", want: `{"n":1}`},
		{name: "get -i", args: func() []string { return []string{"get", "-i", doc} }, stdout: "ETag: \"1\"\n\n{\"n\":1}", want: `{"n":1}`},
		{
			name: "put a file written by get -i", args: func() []string {
				return []string{"put", doc, file("v1.txt", strings.Replace(getI, `"n":1`, `"n":2`, 1))}
			}, stdout: `{"n":2}`, want: `{"n":2}`,
		},
		{
			name: "put it again: stale", args: func() []string { return []string{"put", doc, filepath.Join(dir, "v1.txt")} },
			code: exitFailed, stderr: "412", want: `{"n":2}`,
		},
		{name: "put -if-match", args: func() []string { return []string{"put", "-q", "-if-match", `"2"`, doc} }, stdin: `{"n":3}`, want: `{"n":3}`},
		{name: "put without a version", args: func() []string { return []string{"put", doc} }, stdin: `{"n":4}`, code: exitUsage, stderr: "no version", want: `{"n":3}`},
		{name: "put an unquoted ETag", args: func() []string { return []string{"put", "-if-match", "3", doc} }, stdin: `{"n":4}`, code: exitUsage, stderr: `'"3"'`, want: `{"n":3}`},
		{
			name: "put: -if-match and the file disagree", args: func() []string { return []string{"put", "-if-match", `"3"`, doc, filepath.Join(dir, "v1.txt")} },
			code: exitUsage, stderr: "disagree", want: `{"n":3}`,
		},
		{name: "delete without a version", args: func() []string { return []string{"delete", doc} }, code: exitUsage, stderr: "-if-match is required", want: `{"n":3}`},
		{name: "delete a stale version", args: func() []string { return []string{"delete", "-if-match", "@" + filepath.Join(dir, "v1.txt"), doc} }, code: exitFailed, stderr: "412", want: `{"n":3}`},
		{name: "get -i again", args: func() []string { return []string{"get", "-i", doc} }, stdout: `ETag: "3"`, want: `{"n":3}`},
		{name: "delete the version read", args: func() []string { return []string{"delete", "-if-match", "@" + file("v3.txt", getI), doc} }, want: "-"},
		{name: "delete: -if-match @ a file without a version", args: func() []string { return []string{"delete", "-if-match", "@" + file("doc.json", `{}`), doc} }, code: exitUsage, stderr: "does not start with an ETag"},
	}
	for _, s := range steps {
		args := s.args()
		for i, a := range args {
			if a == `"2"` || a == `"3"` {
				args[i] = tags.Replace(a)
			}
		}
		if s.name != "put an unquoted ETag" {
			s.stdout, s.stderr = tags.Replace(s.stdout), tags.Replace(s.stderr)
		}
		code, out, errOut := invoke(t, context.Background(), s.stdin, args...)
		if code != s.code || !strings.Contains(out, s.stdout) || !strings.Contains(errOut, s.stderr) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want %d, %q, %q", s.name, code, out, errOut, s.code, s.stdout, s.stderr)
		}
		if strings.HasPrefix(s.name, "get -i") {
			getI = out
		}
		got, _, ok := srv.Doc("/items/1")
		switch {
		case s.want == "-" && ok:
			t.Errorf("%s: document %s, want it gone", s.name, got)
		case s.want != "" && s.want != "-" && (!ok || !jsonEqualText(t, string(got), s.want)):
			t.Errorf("%s: document %s, want %s", s.name, got, s.want)
		}
	}
}

// The README's If-Match probe, without curl: put with a version that
// cannot be current fails against a server that honors If-Match, and
// succeeds against one that ignores it.
func TestPutProbe(t *testing.T) {
	for _, tt := range []struct {
		name   string
		opts   mockserver.Options
		code   int
		stderr string
	}{
		{"honors If-Match", mockserver.Options{}, exitFailed, "412"},
		{"ignores If-Match", mockserver.Options{IgnorePreconditions: true}, exitOK, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, tt.opts)
			if _, err := srv.SetDoc("/scratch", []byte(`{"probe":1}`)); err != nil {
				t.Fatal(err)
			}
			code, _, errOut := invoke(t, context.Background(), `{"probe":2}`, "put", "-q", "-if-match", `"definitely-not-current"`, srv.URL+"/scratch")
			if code != tt.code || !strings.Contains(errOut, tt.stderr) {
				t.Errorf("exit %d, stderr %q; want %d, %q", code, errOut, tt.code, tt.stderr)
			}
		})
	}
}

// A put, create or delete whose answer is lost exits 3, like apply's
// unknown operations.
func TestWriteCommandsOutcomeUnknown(t *testing.T) {
	srv := newServer(t, mockserver.Options{})
	prefix := mockPrefix(t, srv) // version 1 is the probe's
	if _, err := srv.SetDoc("/d", []byte(`{"n":1}`)); err != nil {
		t.Fatal(err)
	}
	srv.SetFaults(mockserver.Faults{DropRate: 1})
	for _, args := range [][]string{
		{"put", "-if-match", fmt.Sprintf(`"%s-2"`, prefix), srv.URL + "/d"},
		{"create", srv.URL + "/new"},
		{"delete", "-if-match", fmt.Sprintf(`"%s-3"`, prefix), srv.URL + "/d"},
	} {
		code, _, errOut := invoke(t, context.Background(), `{"n":2}`, append(args, "-retry-wait-min", "1ms", "-retry-wait-max", "2ms")...)
		if code != exitUnknown || !strings.Contains(errOut, "unknown") {
			t.Errorf("%s: exit %d, stderr %q; want 3, unknown", args[0], code, errOut)
		}
	}
}

// mockPrefix writes a probe document to srv (its first write) and returns
// the prefix of srv's strong ETags, "PREFIX-N".
func mockPrefix(t *testing.T, srv *mockserver.Server) string {
	t.Helper()
	tag, err := srv.SetDoc("/probe", []byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	prefix, n, ok := strings.Cut(strings.Trim(tag, `"`), "-")
	if !ok || n != "1" {
		t.Fatalf("mock ETag %s of a first write is not PREFIX-1", tag)
	}
	return prefix
}
