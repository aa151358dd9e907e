package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ifmatch/ifmatch/mockserver"
)

func TestCommands(t *testing.T) {
	srv := newServer(t, mockserver.Options{})
	etag, err := srv.SetDoc("/doc", []byte(`{"n":1,"tags":[]}`))
	if err != nil {
		t.Fatal(err)
	}
	doc := srv.URL + "/doc"
	tests := []struct {
		name       string
		args       []string
		stdin      string
		code       int
		stdout     string // substring; "" checks nothing
		stderr     string // substring
		wantDocNow string // the document afterwards, if set
	}{
		{name: "no command", code: exitUsage, stderr: "Usage:"},
		{name: "help", args: []string{"help"}, stdout: "Commands:"},
		{name: "unknown command", args: []string{"frobnicate"}, code: exitUsage, stderr: `unknown command "frobnicate"`},
		{name: "command help", args: []string{"apply", "-h"}, stdout: "-concurrency"},
		{name: "unknown flag", args: []string{"get", "-nope", doc}, code: exitUsage, stderr: "-nope"},
		{name: "get without url", args: []string{"get"}, code: exitUsage, stderr: "one URL"},
		{name: "bad strategy", args: []string{"patch", "-strategy", "yolo", doc}, code: exitUsage, stderr: "apply-locally or send-patch"},
		{name: "version param alone", args: []string{"merge", "-version-param", "rev", doc}, code: exitUsage, stderr: "ifmatch: invalid options: VersionParam \"rev\" needs VersionField"},
		{name: "version field not a pointer", args: []string{"get", "-version-field", "/a~2", doc}, code: exitUsage, stderr: "invalid options"},
		{name: "negative retry wait", args: []string{"get", "-retry-wait-min", "-1s", doc}, code: exitUsage, stderr: "RetryWaitMin"},
		{name: "get", args: []string{"get", doc}, stdout: `{"n":1,"tags":[]}` + "\n"},
		{name: "get -i", args: []string{"get", "-i", doc}, stdout: "ETag: " + etag + "\n\n{"},
		{name: "get missing", args: []string{"get", srv.URL + "/nope"}, code: exitFailed, stderr: "404"},
		{
			name: "patch from stdin, flags after the URL", args: []string{"patch", doc, "-i", "-max-attempts", "3"},
			stdin: `[{"op":"add","path":"/tags/-","value":"a"}]`, stdout: `ETag: "`, wantDocNow: `{"n":1,"tags":["a"]}`,
		},
		{
			name: "merge with send-patch", args: []string{"merge", "-strategy", "send-patch", "-q", doc, "-"},
			stdin: `{"n":2}`, wantDocNow: `{"n":2,"tags":["a"]}`,
		},
		{
			name: "failed test op", args: []string{"patch", doc},
			stdin: `[{"op":"test","path":"/n","value":99}]`, code: exitFailed, stderr: "test failed",
		},
		{name: "invalid patch", args: []string{"patch", doc}, stdin: `{"op":"add"}`, code: exitFailed, stderr: "invalid change"},
		{name: "patch file missing", args: []string{"patch", doc, "/no/such/file"}, code: exitUsage, stderr: "no such file"},
		{name: "apply: -skip-unknown alone", args: []string{"apply", "-skip-unknown"}, code: exitUsage, stderr: "need -resume"},
		{
			name: "apply: -resume file not there yet", args: []string{"apply", "-resume", "/no/such/out.jsonl", "-base", srv.URL},
			stdin: `{"url":"/doc","merge":{"m":1}}`, stdout: `"status":"ok"`, stderr: "does not exist yet",
		},
		{name: "apply: bad concurrency", args: []string{"apply", "-concurrency", "0"}, code: exitUsage, stderr: "-concurrency"},
		{name: "apply: relative url needs -base", args: []string{"apply"}, stdin: `{"url":"/doc","merge":{}}`, code: exitFailed, stdout: "relative url without -base"},
		{
			name: "apply: -base", args: []string{"apply", "-base", srv.URL}, stdin: `{"id":7,"url":"/doc","merge":{"n":3}}`,
			stdout: `{"id":7,"line":1,"url":"` + doc + `","status":"ok","etag":`, wantDocNow: `{"n":3,"tags":["a"],"m":1}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := invoke(t, context.Background(), tt.stdin, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.code, errOut)
			}
			if !strings.Contains(out, tt.stdout) {
				t.Errorf("stdout %q, want it to contain %q", out, tt.stdout)
			}
			if !strings.Contains(errOut, tt.stderr) {
				t.Errorf("stderr %q, want it to contain %q", errOut, tt.stderr)
			}
			if tt.wantDocNow != "" {
				got, _, _ := srv.Doc("/doc")
				if !jsonEqualText(t, string(got), tt.wantDocNow) {
					t.Errorf("document %s, want %s", got, tt.wantDocNow)
				}
			}
		})
	}
}

// Headers from -H and IFMATCH_HEADER_* reach the server and are never
// printed, not even with -v or in errors.
func TestHeadersSentNeverPrinted(t *testing.T) {
	h := mockserver.NewHandler(mockserver.Options{})
	if _, err := h.SetDoc("/doc", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	var got http.Header
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		if r.Header.Get("Authorization") != "Bearer s3cret-flag" {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		h.ServeHTTP(w, r)
	}))
	defer ts.Close()
	t.Setenv("IFMATCH_HEADER_AUTHORIZATION", "Bearer s3cret-env")
	t.Setenv("IFMATCH_HEADER_X_TENANT", "s3cret-tenant")

	code, out, errOut := invoke(t, context.Background(), `[{"op":"add","path":"/a","value":1}]`,
		"patch", "-v", "-H", "Authorization: Bearer s3cret-flag", "-H", "X-Extra: s3cret-extra", ts.URL+"/doc")
	if code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, errOut)
	}
	want := map[string]string{"Authorization": "Bearer s3cret-flag", "X-Tenant": "s3cret-tenant", "X-Extra": "s3cret-extra"}
	for k, v := range want {
		if got.Get(k) != v {
			t.Errorf("server got %s: %q, want %q", k, got.Get(k), v)
		}
	}
	// A failing call, with -v: the values appear nowhere.
	code, out2, errOut2 := invoke(t, context.Background(), "", "get", "-v", "-H", "Authorization: Bearer s3cret-wrong", ts.URL+"/doc")
	if code != exitFailed {
		t.Errorf("exit %d, want 1", code)
	}
	for _, s := range []string{out, errOut, out2, errOut2} {
		if strings.Contains(s, "s3cret") {
			t.Errorf("a header value was printed:\n%s", s)
		}
	}
	// A malformed -H names no value either.
	code, _, errOut = invoke(t, context.Background(), "", "get", "-H", "s3cret-no-colon", ts.URL+"/doc")
	if code != exitUsage || strings.Contains(errOut, "s3cret") {
		t.Errorf("exit %d, stderr %q: want 2 without the value", code, errOut)
	}
}

func TestHeadersFrom(t *testing.T) {
	tests := []struct {
		name    string
		environ []string
		flags   []string
		want    http.Header
		wantErr bool
	}{
		{name: "none", want: http.Header{}},
		{
			name:    "environment, underscores to hyphens",
			environ: []string{"IFMATCH_HEADER_X_API_KEY=k", "PATH=/bin", "IFMATCH_HEADER_=x"},
			want:    http.Header{"X-Api-Key": {"k"}},
		},
		{
			name:    "a flag replaces the environment",
			environ: []string{"IFMATCH_HEADER_AUTHORIZATION=env"},
			flags:   []string{"authorization: flag", "X-A: 1", "X-A: 2"},
			want:    http.Header{"Authorization": {"flag"}, "X-A": {"1", "2"}},
		},
		{name: "bad env name", environ: []string{"IFMATCH_HEADER_A(B=x"}, wantErr: true},
		{name: "newline in a value", flags: []string{"X-A: a\nb"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := headersFrom(tt.environ, tt.flags)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err == nil && !headerEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func headerEqual(a, b http.Header) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if strings.Join(v, "\x00") != strings.Join(b[k], "\x00") {
			return false
		}
	}
	return true
}

// An OData service takes merge patches only as application/json: the
// -merge-content-type flag says so.
func TestMergeContentTypeFlag(t *testing.T) {
	srv := mockserver.New(mockserver.ODataOptions())
	t.Cleanup(srv.Close)
	if _, err := srv.SetDoc("/doc", []byte(`{"n":1}`)); err != nil {
		t.Fatal(err)
	}
	doc := srv.URL + "/doc"
	if code, _, errOut := invoke(t, context.Background(), `{"n":2}`, "merge", "-strategy", "send-patch", doc, "-"); code != exitFailed || !strings.Contains(errOut, "415") {
		t.Errorf("without the flag: exit %d, stderr %q; want the service's 415", code, errOut)
	}
	if code, _, errOut := invoke(t, context.Background(), `{"n":2}`, "merge", "-strategy", "send-patch", "-merge-content-type", "application/json", doc, "-"); code != exitOK {
		t.Fatalf("with the flag: exit %d, stderr %q", code, errOut)
	}
	if got, _, _ := srv.Doc("/doc"); !strings.Contains(string(got), `"n":2`) {
		t.Errorf("document %s, want n 2", got)
	}
}
