package mockserver_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/ifmatch/ifmatch/mockserver"
)

func TestStaleStatus409(t *testing.T) {
	tests := []struct {
		name   string
		method string
		body   string
		header []string
	}{
		{"PUT If-Match", "PUT", `{}`, []string{"If-Match", `"0"`}},
		{"PUT If-None-Match star", "PUT", `{}`, []string{"If-None-Match", "*"}},
		{"PATCH If-Match", "PATCH", `{}`, []string{"If-Match", `"0"`, "Content-Type", "application/merge-patch+json"}},
		{"DELETE If-Match", "DELETE", "", []string{"If-Match", `"0"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := setup(t, mockserver.Options{StaleStatus: 409})
			seed(t, srv, "/doc", `{"n":1}`)
			r := send(t, srv.Client(), tt.method, srv.URL+"/doc", tt.body, tt.header...)
			wantStatus(t, r, 409)
			if got := problemType(t, r); got != mockserver.ProblemStaleVersion {
				t.Errorf("problem type = %q, want %q", got, mockserver.ProblemStaleVersion)
			}
			if got := srv.Stats().Conflicts; got != 1 {
				t.Errorf("Conflicts = %d, want 1", got)
			}
		})
	}
}

func TestRequireIfMatch(t *testing.T) {
	const mp = "application/merge-patch+json"
	tests := []struct {
		name   string
		method string
		path   string
		body   string
		header []string
		want   int
	}{
		{"PUT existing without If-Match", "PUT", "/doc", `{}`, nil, 428},
		{"PATCH existing without If-Match", "PATCH", "/doc", `{}`, []string{"Content-Type", mp}, 428},
		{"DELETE existing without If-Match", "DELETE", "/doc", "", nil, 428},
		{"PUT existing with If-None-Match other", "PUT", "/doc", `{}`, []string{"If-None-Match", `"0"`}, 428},
		{"PUT existing with If-Match", "PUT", "/doc", `{}`, []string{"If-Match", "$etag"}, 200},
		{"PUT existing with If-None-Match star", "PUT", "/doc", `{}`, []string{"If-None-Match", "*"}, 412},
		{"PUT create without If-Match", "PUT", "/new", `{}`, nil, 201},
		{"DELETE missing", "DELETE", "/new", "", nil, 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := setup(t, mockserver.Options{RequireIfMatch: true})
			etag := seed(t, srv, "/doc", `{"n":1}`)
			for i := range tt.header {
				tt.header[i] = strings.ReplaceAll(tt.header[i], "$etag", etag)
			}
			r := send(t, srv.Client(), tt.method, srv.URL+tt.path, tt.body, tt.header...)
			wantStatus(t, r, tt.want)
			if tt.want == 428 {
				if got := problemType(t, r); got != mockserver.ProblemPreconditionRequired {
					t.Errorf("problem type = %q, want %q", got, mockserver.ProblemPreconditionRequired)
				}
				wantDoc(t, srv, "/doc", `{"n":1}`)
				if got := srv.Stats().Conflicts; got != 0 {
					t.Errorf("Conflicts = %d, want 0: a 428 is not a stale version", got)
				}
			}
		})
	}
}

func TestWeakETags(t *testing.T) {
	srv := setup(t, mockserver.Options{WeakETags: true})
	c := srv.Client()
	seed(t, srv, "/doc", `{"n":1}`)
	r := send(t, c, "GET", srv.URL+"/doc", "")
	etag := r.header.Get("ETag")
	if !strings.HasPrefix(etag, `W/"`) {
		t.Fatalf("ETag = %q, want a weak tag", etag)
	}
	strong := strings.TrimPrefix(etag, "W/")

	wantStatus(t, send(t, c, "GET", srv.URL+"/doc", "", "If-None-Match", strong), 304)
	wantStatus(t, send(t, c, "PUT", srv.URL+"/doc", `{"n":2}`, "If-Match", strong), 412)
	r = send(t, c, "PUT", srv.URL+"/doc", `{"n":2}`, "If-Match", etag)
	wantStatus(t, r, 200)
	if got := r.header.Get("ETag"); !strings.HasPrefix(got, `W/"`) || got == etag {
		t.Errorf("new ETag = %q, want a new weak tag", got)
	}
	wantStatus(t, send(t, c, "PUT", srv.URL+"/doc", `{"n":3}`, "If-Match", etag), 412)
}

func TestConflictBody(t *testing.T) {
	for _, status := range []int{412, 409} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			srv := setup(t, mockserver.Options{ConflictBody: true, StaleStatus: status})
			c := srv.Client()
			seed(t, srv, "/doc", `{"n":1}`)
			etag := seed(t, srv, "/doc", `{"n":2}`)

			r := send(t, c, "PUT", srv.URL+"/doc?x=y", `{"n":3}`, "If-Match", `"1"`)
			wantStatus(t, r, status)
			if r.body != `{"n":2}` {
				t.Errorf("body = %s, want the current document {\"n\":2}", r.body)
			}
			if got := r.header.Get("Content-Type"); got != "application/json" {
				t.Errorf("Content-Type = %q, want application/json", got)
			}
			if got := r.header.Get("ETag"); got != etag {
				t.Errorf("ETag = %q, want the current %q", got, etag)
			}
			if got := r.header.Get("Content-Location"); got != "/doc" {
				t.Errorf("Content-Location = %q, want /doc", got)
			}

			// a missing document has no current state to show
			r = send(t, c, "PUT", srv.URL+"/nope", `{}`, "If-Match", etag)
			wantStatus(t, r, status)
			problemType(t, r)
		})
	}
}

func TestIgnorePreconditions(t *testing.T) {
	srv := setup(t, mockserver.Options{IgnorePreconditions: true, RequireIfMatch: true})
	c := srv.Client()
	seed(t, srv, "/doc", `{"n":1}`)
	wantStatus(t, send(t, c, "PUT", srv.URL+"/doc", `{"n":2}`, "If-Match", `"0"`), 200)
	wantStatus(t, send(t, c, "PUT", srv.URL+"/doc", `{"n":3}`, "If-None-Match", "*"), 200)
	wantStatus(t, send(t, c, "PUT", srv.URL+"/doc", `{"n":4}`), 200)
	wantStatus(t, send(t, c, "DELETE", srv.URL+"/doc", "", "If-Match", `"0"`), 204)
	if s := srv.Stats(); s.Commits != 4 || s.Conflicts != 0 {
		t.Errorf("Commits, Conflicts = %d, %d, want 4, 0", s.Commits, s.Conflicts)
	}
}
