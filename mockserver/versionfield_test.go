package mockserver_test

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/ifmatch/ifmatch/mockserver"
)

// versionAt reads the string at a one- or two-level pointer of a document.
func versionAt(t *testing.T, doc, ptr string) string {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		t.Fatalf("document %s: %v", doc, err)
	}
	for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("document %s has no %s", doc, ptr)
		}
		v = m[tok]
	}
	s, ok := v.(string)
	if !ok {
		t.Fatalf("document %s: %s = %v, want a string", doc, ptr, v)
	}
	return s
}

var versionFormat = regexp.MustCompile(`^[0-9]+-[0-9a-f]{16}$`)

func TestVersionField(t *testing.T) {
	const mp, jp = "application/merge-patch+json", "application/json-patch+json"
	pointers := []struct{ name, ptr, withRev string }{
		// withRev is a body carrying "$rev" at the pointer
		{"couchdb", "/_rev", `{"_rev":"$rev","n":2}`},
		{"kubernetes", "/metadata/resourceVersion", `{"metadata":{"resourceVersion":"$rev"},"n":2}`},
	}
	tests := []struct {
		name   string
		method string
		path   string // "$rev" is replaced by the current version
		body   string // "$withRev" is the pointer's body with a version
		header []string
		rev    string // the version to send; "" means the current one
		want   int
		gen    string // generation prefix of the stored version afterwards
	}{
		{name: "PUT body version", method: "PUT", path: "/doc", body: "$withRev", want: 200, gen: "2-"},
		{name: "PUT query version", method: "PUT", path: "/doc?rev=$rev", body: `{"n":2}`, want: 200, gen: "2-"},
		{name: "PUT both agree", method: "PUT", path: "/doc?rev=$rev", body: "$withRev", want: 200, gen: "2-"},
		{name: "PUT both differ", method: "PUT", path: "/doc?rev=1-00000000", body: "$withRev", want: 400, gen: "1-"},
		{name: "PUT stale body version", method: "PUT", path: "/doc", body: "$withRev", rev: "1-00000000", want: 409, gen: "1-"},
		{name: "PUT stale query version", method: "PUT", path: "/doc?rev=9-deadbeef", body: `{"n":2}`, want: 409, gen: "1-"},
		{name: "PUT no version", method: "PUT", path: "/doc", body: `{"n":2}`, want: 409, gen: "1-"},
		{name: "PUT If-Match is ignored", method: "PUT", path: "/doc", body: `{"n":2}`, header: []string{"If-Match", "$etag"}, want: 409, gen: "1-"},
		{name: "PUT create", method: "PUT", path: "/new", body: `{"n":2}`, want: 201},
		{name: "PUT create with version", method: "PUT", path: "/new?rev=$rev", body: `{"n":2}`, want: 409},
		{name: "PUT not an object", method: "PUT", path: "/new", body: `[1]`, want: 400},
		{name: "PATCH merge query version", method: "PATCH", path: "/doc?rev=$rev", body: `{"n":2}`, header: []string{"Content-Type", mp}, want: 200, gen: "2-"},
		{name: "PATCH merge body version", method: "PATCH", path: "/doc", body: "$withRev", header: []string{"Content-Type", mp}, want: 200, gen: "2-"},
		{name: "PATCH json-patch query version", method: "PATCH", path: "/doc?rev=$rev", body: `[{"op":"add","path":"/n","value":2}]`, header: []string{"Content-Type", jp}, want: 200, gen: "2-"},
		{name: "PATCH json-patch no version", method: "PATCH", path: "/doc", body: `[{"op":"add","path":"/n","value":2}]`, header: []string{"Content-Type", jp}, want: 409, gen: "1-"},
		{name: "PATCH stale", method: "PATCH", path: "/doc?rev=1-00000000", body: `{"n":2}`, header: []string{"Content-Type", mp}, want: 409, gen: "1-"},
		{name: "DELETE query version", method: "DELETE", path: "/doc?rev=$rev", want: 204},
		{name: "DELETE no version", method: "DELETE", path: "/doc", want: 409, gen: "1-"},
		{name: "DELETE stale", method: "DELETE", path: "/doc?rev=1-00000000", want: 409, gen: "1-"},
	}
	for _, p := range pointers {
		for _, tt := range tests {
			t.Run(p.name+"/"+tt.name, func(t *testing.T) {
				srv := setup(t, mockserver.Options{VersionField: p.ptr})
				etag := seed(t, srv, "/doc", `{"n":1}`)
				rev := srv.Version("/doc")
				if etag != `"`+rev+`"` {
					t.Fatalf("ETag = %s, want the quoted version %q", etag, rev)
				}
				send1 := rev
				if tt.rev != "" {
					send1 = tt.rev
				}
				body := strings.ReplaceAll(strings.ReplaceAll(tt.body, "$withRev", p.withRev), "$rev", send1)
				path := strings.ReplaceAll(tt.path, "$rev", send1)
				header := make([]string, len(tt.header))
				for i, h := range tt.header {
					header[i] = strings.ReplaceAll(h, "$etag", etag)
				}

				r := send(t, srv.Client(), tt.method, srv.URL+path, body, header...)
				wantStatus(t, r, tt.want)
				if tt.want == 409 {
					if got := problemType(t, r); got != mockserver.ProblemStaleVersion {
						t.Errorf("problem type = %q, want %q", got, mockserver.ProblemStaleVersion)
					}
					if got := srv.Stats().Conflicts; got != 1 {
						t.Errorf("Conflicts = %d, want 1", got)
					}
				}
				if tt.want == 200 || tt.want == 201 {
					v := versionAt(t, r.body, p.ptr)
					if !versionFormat.MatchString(v) {
						t.Errorf("version %q, want <generation>-<8 hex>", v)
					}
					if got := r.header.Get("ETag"); got != `"`+v+`"` {
						t.Errorf("ETag = %s, want the quoted version %q", got, v)
					}
				}
				if tt.gen != "" {
					if got := srv.Version("/doc"); !strings.HasPrefix(got, tt.gen) {
						t.Errorf("stored version %q, want generation %s", got, tt.gen)
					}
				}
			})
		}
	}
}

func TestVersionFieldDocuments(t *testing.T) {
	srv := setup(t, mockserver.Options{VersionField: "/metadata/resourceVersion", VersionParam: "resourceVersion"})
	c := srv.Client()

	// intermediate objects are created, null ones replaced
	r := send(t, c, "PUT", srv.URL+"/a", `{"metadata":null,"spec":{"x":1}}`)
	wantStatus(t, r, 201)
	rev := versionAt(t, r.body, "/metadata/resourceVersion")
	if !strings.HasPrefix(rev, "1-") {
		t.Errorf("version %q, want generation 1", rev)
	}
	g := send(t, c, "GET", srv.URL+"/a", "")
	if g.body != r.body || g.header.Get("ETag") != `"`+rev+`"` {
		t.Errorf("GET = %s %s, want %s \"%s\"", g.body, g.header.Get("ETag"), r.body, rev)
	}

	// the custom query parameter carries the version; the default one does not
	wantStatus(t, send(t, c, "PUT", srv.URL+"/a?rev="+rev, `{"spec":{"x":2}}`), 409)
	r = send(t, c, "PUT", srv.URL+"/a?resourceVersion="+rev, `{"spec":{"x":2}}`)
	wantStatus(t, r, 200)
	if got := versionAt(t, r.body, "/metadata/resourceVersion"); !strings.HasPrefix(got, "2-") || got == rev {
		t.Errorf("version after update %q, want a new generation 2", got)
	}

	// a path through a non-object cannot hold the version
	wantStatus(t, send(t, c, "PUT", srv.URL+"/b", `{"metadata":"x"}`), 400)
	if _, err := srv.SetDoc("/b", []byte(`{"metadata":[]}`)); err == nil {
		t.Errorf("SetDoc with metadata as an array succeeded, want an error")
	}
	// a version that is not a string is malformed
	wantStatus(t, send(t, c, "PUT", srv.URL+"/a", `{"metadata":{"resourceVersion":7}}`), 400)
}

func TestVersionFieldConflictBody(t *testing.T) {
	srv := setup(t, mockserver.Options{VersionField: "/_rev", ConflictBody: true})
	seed(t, srv, "/doc", `{"n":1}`)
	doc, etag, _ := srv.Doc("/doc")
	r := send(t, srv.Client(), "PUT", srv.URL+"/doc", `{"_rev":"1-00000000","n":2}`)
	wantStatus(t, r, 409)
	if r.body != string(doc) || r.header.Get("ETag") != etag {
		t.Errorf("conflict answer = %s %s, want the current %s %s", r.body, r.header.Get("ETag"), doc, etag)
	}
}

func TestVersionFieldIgnorePreconditions(t *testing.T) {
	srv := setup(t, mockserver.Options{VersionField: "/_rev", IgnorePreconditions: true})
	seed(t, srv, "/doc", `{"n":1}`)
	r := send(t, srv.Client(), "PUT", srv.URL+"/doc", `{"_rev":"1-00000000","n":2}`)
	wantStatus(t, r, 200)
	if got := versionAt(t, r.body, "/_rev"); !strings.HasPrefix(got, "2-") {
		t.Errorf("version %q, want generation 2", got)
	}
}
