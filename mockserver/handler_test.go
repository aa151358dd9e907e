package mockserver_test

import (
	"strings"
	"testing"

	"github.com/ifmatch/ifmatch/mockserver"
)

// TestMethods runs each method against a server holding /doc = {"n":1}.
// "$etag" in a header value stands for /doc's current ETag.
func TestMethods(t *testing.T) {
	const jp, mp = "application/json-patch+json", "application/merge-patch+json"
	tests := []struct {
		name       string
		method     string
		path       string
		body       string
		header     []string
		want       int
		wantType   string // problem type, for error answers
		wantBody   string // exact body, when set
		wantDetail string // in the problem's detail, when set
		wantDoc    string // /doc afterwards, when set; "-" for deleted
	}{
		{name: "GET", method: "GET", path: "/doc", want: 200, wantBody: `{"n":1}`},
		{name: "GET missing", method: "GET", path: "/nope", want: 404, wantType: mockserver.ProblemNotFound},
		{name: "GET query is not part of the key", method: "GET", path: "/doc?x=1", want: 200, wantBody: `{"n":1}`},
		{name: "HEAD", method: "HEAD", path: "/doc", want: 200, wantBody: ""},
		{name: "GET If-None-Match current", method: "GET", path: "/doc", header: []string{"If-None-Match", "$etag"}, want: 304, wantBody: ""},
		{name: "GET If-None-Match weak form", method: "GET", path: "/doc", header: []string{"If-None-Match", `"x", W/$etag`}, want: 304},
		{name: "GET If-None-Match other", method: "GET", path: "/doc", header: []string{"If-None-Match", `"0"`}, want: 200},
		{name: "GET If-None-Match star", method: "GET", path: "/doc", header: []string{"If-None-Match", "*"}, want: 304},

		{name: "PUT create", method: "PUT", path: "/new", body: `{"a": 1}`, want: 201, wantBody: `{"a":1}`},
		{name: "PUT update", method: "PUT", path: "/doc", body: `{"n":2}`, want: 200, wantBody: `{"n":2}`, wantDoc: `{"n":2}`},
		{name: "PUT If-Match current", method: "PUT", path: "/doc", body: `{"n":2}`, header: []string{"If-Match", "$etag"}, want: 200, wantDoc: `{"n":2}`},
		{name: "PUT If-Match list", method: "PUT", path: "/doc", body: `{"n":2}`, header: []string{"If-Match", `"0", $etag`}, want: 200},
		{name: "PUT If-Match split lines", method: "PUT", path: "/doc", body: `{"n":2}`, header: []string{"If-Match", `"0"`, "If-Match", "$etag"}, want: 200},
		{name: "PUT If-Match stale", method: "PUT", path: "/doc", body: `{"n":2}`, header: []string{"If-Match", `"999"`}, want: 412, wantType: mockserver.ProblemStaleVersion, wantDoc: `{"n":1}`},
		{name: "PUT If-Match weak in strong mode", method: "PUT", path: "/doc", body: `{"n":2}`, header: []string{"If-Match", "W/$etag"}, want: 412, wantType: mockserver.ProblemStaleVersion},
		{name: "PUT If-Match unquoted", method: "PUT", path: "/doc", body: `{"n":2}`, header: []string{"If-Match", "1"}, want: 412},
		{name: "PUT If-Match star", method: "PUT", path: "/doc", body: `{"n":2}`, header: []string{"If-Match", "*"}, want: 200},
		{name: "PUT If-Match star missing", method: "PUT", path: "/new", body: `{}`, header: []string{"If-Match", "*"}, want: 412, wantType: mockserver.ProblemStaleVersion},
		{name: "PUT If-Match missing doc", method: "PUT", path: "/new", body: `{}`, header: []string{"If-Match", "$etag"}, want: 412},
		{name: "PUT If-None-Match star existing", method: "PUT", path: "/doc", body: `{}`, header: []string{"If-None-Match", "*"}, want: 412, wantType: mockserver.ProblemStaleVersion, wantDoc: `{"n":1}`},
		{name: "PUT If-None-Match star missing", method: "PUT", path: "/new", body: `{}`, header: []string{"If-None-Match", "*"}, want: 201},
		{name: "PUT If-None-Match current", method: "PUT", path: "/doc", body: `{}`, header: []string{"If-None-Match", "$etag"}, want: 412},
		{name: "PUT invalid JSON", method: "PUT", path: "/doc", body: `{"n":`, want: 400, wantType: mockserver.ProblemInvalidJSON, wantDoc: `{"n":1}`},
		{name: "PUT empty body", method: "PUT", path: "/doc", want: 400, wantType: mockserver.ProblemInvalidJSON},
		{name: "PUT text/plain", method: "PUT", path: "/doc", body: `{}`, header: []string{"Content-Type", "text/plain"}, want: 415, wantType: mockserver.ProblemUnsupportedMediaType},
		{name: "PUT +json type", method: "PUT", path: "/doc", body: `{}`, header: []string{"Content-Type", "application/vnd.x+json; charset=utf-8"}, want: 200},
		{name: "PUT malformed type", method: "PUT", path: "/doc", body: `{}`, header: []string{"Content-Type", "application/"}, want: 415},
		{name: "PUT no type", method: "PUT", path: "/doc", body: `{}`, header: []string{"Content-Type", ""}, want: 415, wantType: mockserver.ProblemUnsupportedMediaType, wantDoc: `{"n":1}`},
		{name: "PUT query is not part of the key", method: "PUT", path: "/doc?x=1", body: `{"n":2}`, want: 200, wantDoc: `{"n":2}`},
		{name: "PUT dot segment", method: "PUT", path: "/a/../doc", body: `{"n":2}`, want: 400, wantType: mockserver.ProblemBadRequest, wantDoc: `{"n":1}`},
		{name: "PUT encoded dot segment", method: "PUT", path: "/a/%2e%2E/doc", body: `{"n":2}`, want: 400, wantType: mockserver.ProblemBadRequest, wantDoc: `{"n":1}`},
		{name: "GET dot segment", method: "GET", path: "/./doc", want: 400, wantType: mockserver.ProblemBadRequest},
		{name: "GET dots in a name", method: "GET", path: "/..doc", want: 404, wantType: mockserver.ProblemNotFound},

		{name: "PATCH merge", method: "PATCH", path: "/doc", body: `{"m":2}`, header: []string{"Content-Type", mp}, want: 200, wantBody: `{"n":1,"m":2}`},
		{name: "PATCH json-patch", method: "PATCH", path: "/doc", body: `[{"op":"replace","path":"/n","value":"<b>"}]`, header: []string{"Content-Type", jp}, want: 200, wantBody: `{"n":"<b>"}`},
		{name: "PATCH If-Match current", method: "PATCH", path: "/doc", body: `{"n":3}`, header: []string{"Content-Type", mp, "If-Match", "$etag"}, want: 200, wantDoc: `{"n":3}`},
		{name: "PATCH If-Match stale", method: "PATCH", path: "/doc", body: `{"n":3}`, header: []string{"Content-Type", mp, "If-Match", `"0"`}, want: 412, wantType: mockserver.ProblemStaleVersion},
		{name: "PATCH application/json", method: "PATCH", path: "/doc", body: `{}`, header: []string{"Content-Type", "application/json"}, want: 415, wantType: mockserver.ProblemUnsupportedMediaType},
		{name: "PATCH no type", method: "PATCH", path: "/doc", body: `{}`, want: 415},
		{name: "PATCH malformed JSON Patch", method: "PATCH", path: "/doc", body: `{"op":"add"}`, header: []string{"Content-Type", jp}, want: 400, wantType: mockserver.ProblemInvalidPatch},
		{name: "PATCH unknown op", method: "PATCH", path: "/doc", body: `[{"op":"frob","path":"/n"}]`, header: []string{"Content-Type", jp}, want: 400, wantType: mockserver.ProblemInvalidPatch},
		{name: "PATCH malformed merge patch", method: "PATCH", path: "/doc", body: `{`, header: []string{"Content-Type", mp}, want: 400, wantType: mockserver.ProblemInvalidPatch},
		{name: "PATCH failing test op", method: "PATCH", path: "/doc", body: `[{"op":"test","path":"/n","value":2},{"op":"remove","path":"/n"}]`, header: []string{"Content-Type", jp}, want: 422, wantType: mockserver.ProblemPatchFailed, wantDoc: `{"n":1}`},
		{name: "PATCH path not found", method: "PATCH", path: "/doc", body: `[{"op":"remove","path":"/x"}]`, header: []string{"Content-Type", jp}, want: 422, wantType: mockserver.ProblemPatchFailed},
		{name: "PATCH replace root with object", method: "PATCH", path: "/doc", body: `[{"op":"replace","path":"","value":{"m":2}}]`, header: []string{"Content-Type", jp}, want: 200, wantDoc: `{"m":2}`},
		{name: "PATCH replace root with array", method: "PATCH", path: "/doc", body: `[{"op":"add","path":"","value":[1]}]`, header: []string{"Content-Type", jp}, want: 200, wantDoc: `[1]`},
		{name: "PATCH test root", method: "PATCH", path: "/doc", body: `[{"op":"test","path":"","value":{"n":1}},{"op":"add","path":"/m","value":2}]`, header: []string{"Content-Type", jp}, want: 200, wantDoc: `{"n":1,"m":2}`},
		{name: "PATCH replace root with number", method: "PATCH", path: "/doc", body: `[{"op":"replace","path":"","value":5}]`, header: []string{"Content-Type", jp}, want: 422, wantType: mockserver.ProblemPatchFailed, wantDetail: "not a number; PUT the document instead", wantDoc: `{"n":1}`},
		{name: "PATCH remove root", method: "PATCH", path: "/doc", body: `[{"op":"remove","path":""}]`, header: []string{"Content-Type", jp}, want: 422, wantType: mockserver.ProblemPatchFailed, wantDetail: "DELETE it instead"},
		{name: "PATCH move onto root", method: "PATCH", path: "/doc", body: `[{"op":"move","from":"/n","path":""}]`, header: []string{"Content-Type", jp}, want: 422, wantType: mockserver.ProblemPatchFailed, wantDetail: "does not move onto the whole document", wantDoc: `{"n":1}`},
		{name: "PATCH copy onto root", method: "PATCH", path: "/doc", body: `[{"op":"copy","from":"/n","path":""}]`, header: []string{"Content-Type", jp}, want: 422, wantType: mockserver.ProblemPatchFailed, wantDetail: "does not copy onto"},
		{name: "PATCH a number", method: "PATCH", path: "/num", body: `[{"op":"add","path":"/a","value":1}]`, header: []string{"Content-Type", jp}, want: 422, wantType: mockserver.ProblemPatchFailed, wantDetail: "the document is a number"},
		{name: "PATCH missing doc", method: "PATCH", path: "/nope", body: `{}`, header: []string{"Content-Type", mp}, want: 404, wantType: mockserver.ProblemNotFound},

		{name: "DELETE", method: "DELETE", path: "/doc", want: 204, wantBody: "", wantDoc: "-"},
		{name: "DELETE If-Match current", method: "DELETE", path: "/doc", header: []string{"If-Match", "$etag"}, want: 204, wantDoc: "-"},
		{name: "DELETE If-Match stale", method: "DELETE", path: "/doc", header: []string{"If-Match", `"0"`}, want: 412, wantDoc: `{"n":1}`},
		{name: "DELETE missing", method: "DELETE", path: "/nope", want: 404, wantType: mockserver.ProblemNotFound},
		{name: "POST", method: "POST", path: "/doc", body: `{}`, want: 405, wantType: mockserver.ProblemMethodNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := setup(t, mockserver.Options{})
			etag := seed(t, srv, "/doc", `{"n":1}`)
			seed(t, srv, "/num", `7`)
			header := make([]string, len(tt.header))
			for i, h := range tt.header {
				header[i] = strings.ReplaceAll(h, "$etag", etag)
			}
			r := send(t, srv.Client(), tt.method, srv.URL+tt.path, tt.body, header...)
			wantStatus(t, r, tt.want)
			if tt.wantType != "" {
				if got := problemType(t, r); got != tt.wantType {
					t.Errorf("problem type = %q, want %q", got, tt.wantType)
				}
			}
			if tt.wantDetail != "" && !strings.Contains(r.body, tt.wantDetail) {
				t.Errorf("body %s lacks %q", r.body, tt.wantDetail)
			}
			if strings.Contains(r.body, "%!") {
				t.Errorf("body %s has a formatting error", r.body)
			}
			if tt.wantBody != "" || (tt.want == 204 || tt.want == 304 || tt.method == "HEAD") {
				if r.body != tt.wantBody {
					t.Errorf("body = %q, want %q", r.body, tt.wantBody)
				}
			}
			if r.status < 300 && r.status != 204 {
				checkDocHeaders(t, srv, r, tt.path)
			}
			switch tt.wantDoc {
			case "":
			case "-":
				if _, _, ok := srv.Doc("/doc"); ok {
					t.Errorf("Doc(/doc) exists, want it deleted")
				}
			default:
				wantDoc(t, srv, "/doc", tt.wantDoc)
			}
		})
	}
}

// checkDocHeaders checks that a successful answer names the stored version.
func checkDocHeaders(t *testing.T, srv *mockserver.Server, r reply, path string) {
	t.Helper()
	path, _, _ = strings.Cut(path, "?")
	_, etag, _ := srv.Doc(path)
	if got := r.header.Get("ETag"); got != etag {
		t.Errorf("ETag = %q, want the stored %q", got, etag)
	}
	if got := r.header.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", got)
	}
}

func TestPatchAnswersAcceptPatch(t *testing.T) {
	srv := setup(t, mockserver.Options{})
	seed(t, srv, "/doc", `{}`)
	r := send(t, srv.Client(), "PATCH", srv.URL+"/doc", `{}`, "Content-Type", "text/plain")
	wantStatus(t, r, 415)
	if got, want := r.header.Get("Accept-Patch"), "application/json-patch+json, application/merge-patch+json"; got != want {
		t.Errorf("Accept-Patch = %q, want %q", got, want)
	}
}

func TestPatchNegativeIndexIsRejected(t *testing.T) {
	srv := setup(t, mockserver.Options{})
	seed(t, srv, "/doc", `{"a":[1,2]}`)
	r := send(t, srv.Client(), "PATCH", srv.URL+"/doc", `[{"op":"remove","path":"/a/-1"}]`,
		"Content-Type", "application/json-patch+json")
	wantStatus(t, r, 422)
	wantDoc(t, srv, "/doc", `{"a":[1,2]}`)
}

func TestETagsAreNeverReused(t *testing.T) {
	srv := setup(t, mockserver.Options{})
	c := srv.Client()
	seen := map[string]bool{}
	for i := range 3 {
		r := send(t, c, "PUT", srv.URL+"/doc", `{"same":true}`)
		etag := r.header.Get("ETag")
		if seen[etag] {
			t.Fatalf("round %d: ETag %s handed out twice", i, etag)
		}
		seen[etag] = true
		wantStatus(t, send(t, c, "DELETE", srv.URL+"/doc", ""), 204)
	}
}

func TestHeadKeepsContentLength(t *testing.T) {
	srv := setup(t, mockserver.Options{})
	seed(t, srv, "/doc", `{"n":1}`)
	r := send(t, srv.Client(), "HEAD", srv.URL+"/doc", "")
	if got := r.header.Get("Content-Length"); got != "7" {
		t.Errorf("Content-Length = %q, want 7", got)
	}
}

func TestStatsCountMethodsCommitsAndConflicts(t *testing.T) {
	srv := setup(t, mockserver.Options{})
	c := srv.Client()
	etag := seed(t, srv, "/doc", `{}`)
	send(t, c, "GET", srv.URL+"/doc", "")
	send(t, c, "PUT", srv.URL+"/doc", `{"a":1}`, "If-Match", etag)
	send(t, c, "PUT", srv.URL+"/doc", `{"a":2}`, "If-Match", etag)
	send(t, c, "PUT", srv.URL+"/new", `{}`, "If-None-Match", "*")
	send(t, c, "PUT", srv.URL+"/new", `{}`, "If-None-Match", "*")
	send(t, c, "DELETE", srv.URL+"/new", "")

	got := srv.Stats()
	want := map[string]int64{"GET 200": 1, "PUT 200": 1, "PUT 412": 2, "PUT 201": 1, "DELETE 204": 1}
	for k, v := range want {
		if got.Requests[k] != v {
			t.Errorf("Requests[%q] = %d, want %d", k, got.Requests[k], v)
		}
	}
	if len(got.Requests) != len(want) {
		t.Errorf("Requests = %v, want %v", got.Requests, want)
	}
	if got.Commits != 3 || got.Conflicts != 2 || got.ExternalWrites != 1 {
		t.Errorf("Commits, Conflicts, ExternalWrites = %d, %d, %d, want 3, 2, 1", got.Commits, got.Conflicts, got.ExternalWrites)
	}
	srv.ResetStats()
	if got := srv.Stats(); got.Commits != 0 || len(got.Requests) != 0 {
		t.Errorf("after ResetStats: %+v, want zero", got)
	}
}

func TestGoAPI(t *testing.T) {
	srv := setup(t, mockserver.Options{})
	etag := seed(t, srv, "/doc", "{ \"a\" : 1 }\n")
	doc, got, ok := srv.Doc("/doc")
	if !ok || got != etag || string(doc) != `{"a":1}` {
		t.Errorf("Doc = %s, %q, %v, want {\"a\":1}, %q, true", doc, got, ok, etag)
	}
	if v := srv.Version("/doc"); v != etag {
		t.Errorf("Version = %q, want the ETag %q", v, etag)
	}
	for _, bad := range []struct{ path, doc string }{
		{"/doc", `{`}, {"doc", `{}`}, {"/_mock/x", `{}`}, {"/doc", ``},
	} {
		if _, err := srv.SetDoc(bad.path, []byte(bad.doc)); err == nil {
			t.Errorf("SetDoc(%q, %q) succeeded, want an error", bad.path, bad.doc)
		}
	}
	if !srv.DeleteDoc("/doc") || srv.DeleteDoc("/doc") {
		t.Errorf("DeleteDoc twice: want true then false")
	}
	if _, _, ok := srv.Doc("/doc"); ok || srv.Version("/doc") != "" {
		t.Errorf("deleted document still visible")
	}
	if got := srv.Stats().ExternalWrites; got != 2 {
		t.Errorf("ExternalWrites = %d, want 2 (SetDoc, DeleteDoc)", got)
	}
}

func TestInvalidOptionsPanic(t *testing.T) {
	tests := []struct {
		name string
		opts mockserver.Options
	}{
		{"stale status", mockserver.Options{StaleStatus: 400}},
		{"version field", mockserver.Options{VersionField: "_rev"}},
		{"rate", mockserver.Options{Faults: mockserver.Faults{DropRate: 1.5}}},
		{"error status", mockserver.Options{Faults: mockserver.Faults{ErrorStatus: 404}}},
		{"latency", mockserver.Options{Faults: mockserver.Faults{Latency: -1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.opts.Validate() == nil {
				t.Errorf("Validate() = nil, want an error")
			}
			defer func() {
				if recover() == nil {
					t.Errorf("NewHandler did not panic")
				}
			}()
			mockserver.NewHandler(tt.opts)
		})
	}
}
