package mockserver_test

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/ifmatch/ifmatch/mockserver"
)

// stampTag is the form of a weak timestamp ETag.
var stampTag = regexp.MustCompile(`^W/"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z"$`)

func TestODataWrites(t *testing.T) {
	const js, mp, jp = "application/json", "application/merge-patch+json", "application/json-patch+json"
	tests := []struct {
		name   string
		method string
		body   string
		header []string // $etag: the current ETag
		want   int
		doc    string // the stored document after the write, ModifiedAt aside; "" if unchanged
	}{
		{"PATCH application/json is a merge patch", "PATCH", `{"n":2,"tags":null}`, []string{"Content-Type", js, "If-Match", "$etag"}, 200, `{"keep":true,"n":2}`},
		{"PATCH merge-patch+json is 415", "PATCH", `{"n":2}`, []string{"Content-Type", mp, "If-Match", "$etag"}, 415, ""},
		{"PATCH json-patch+json is 415", "PATCH", `[]`, []string{"Content-Type", jp, "If-Match", "$etag"}, 415, ""},
		{"PATCH without If-Match is 428", "PATCH", `{"n":2}`, []string{"Content-Type", js}, 428, ""},
		{"PUT without If-Match is 428", "PUT", `{"n":2}`, nil, 428, ""},
		{"DELETE without If-Match is 428", "DELETE", "", nil, 428, ""},
		{"PUT keeps omitted fields", "PUT", `{"n":2}`, []string{"If-Match", "$etag"}, 200, `{"keep":true,"n":2,"tags":["a"]}`},
		{"PUT ignores annotations and managed fields", "PUT", `{"@odata.etag":"x","n@odata.type":"#Int32","n":2,"ModifiedAt":"1999"}`, []string{"If-Match", "$etag"}, 200, `{"keep":true,"n":2,"tags":["a"]}`},
		{"PATCH ignores annotations and managed fields", "PATCH", `{"@odata.context":"x","n":2,"ModifiedAt":"1999"}`, []string{"Content-Type", js, "If-Match", "$etag"}, 200, `{"keep":true,"n":2,"tags":["a"]}`},
		{"If-Match without W/ is 412", "PUT", `{"n":2}`, []string{"If-Match", "$strong"}, 412, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := setup(t, mockserver.ODataOptions())
			etag := seed(t, srv, "/Products(1)", `{"n":1,"keep":true,"tags":["a"]}`)
			if !stampTag.MatchString(etag) {
				t.Fatalf("ETag = %q, want W/\"<timestamp>\"", etag)
			}
			before, _, _ := srv.Doc("/Products(1)")
			for i := range tt.header {
				tt.header[i] = strings.NewReplacer("$etag", etag, "$strong", strings.TrimPrefix(etag, "W/")).Replace(tt.header[i])
			}
			r := send(t, srv.Client(), tt.method, srv.URL+"/Products(1)", tt.body, tt.header...)
			wantStatus(t, r, tt.want)
			doc, now, _ := srv.Doc("/Products(1)")
			if tt.doc == "" {
				if string(doc) != string(before) {
					t.Errorf("stored %s, want it unchanged: %s", doc, before)
				}
				return
			}
			if !stampTag.MatchString(now) || now == etag {
				t.Errorf("new ETag = %q, want a new W/\"<timestamp>\"", now)
			}
			var m map[string]any
			if err := json.Unmarshal(doc, &m); err != nil {
				t.Fatal(err)
			}
			if got, want := m["ModifiedAt"], strings.TrimSuffix(strings.TrimPrefix(now, `W/"`), `"`); got != want {
				t.Errorf("ModifiedAt = %v, want the commit time %s", got, want)
			}
			delete(m, "ModifiedAt")
			if got, _ := json.Marshal(m); string(got) != tt.doc {
				t.Errorf("stored %s, want %s", got, tt.doc)
			}
			// the answer is the stored document, annotated, with its ETag
			if got := r.header.Get("ETag"); got != now {
				t.Errorf("answer ETag = %q, want %q", got, now)
			}
			var ans map[string]any
			if err := json.Unmarshal([]byte(r.body), &ans); err != nil {
				t.Fatalf("answer %s: %v", r.body, err)
			}
			if ans["@odata.etag"] != now || ans["@odata.context"] != "$metadata#/Products(1)/$entity" {
				t.Errorf("answer annotations = %v, %v; want %s and the context", ans["@odata.etag"], ans["@odata.context"], now)
			}
			delete(ans, "@odata.etag")
			delete(ans, "@odata.context")
			want, _ := json.Marshal(ans)
			if string(want) != string(doc) {
				t.Errorf("answer %s, want the stored %s", want, doc)
			}
		})
	}
}

func TestODataRead(t *testing.T) {
	srv := setup(t, mockserver.ODataOptions())
	etag := seed(t, srv, "/e", `{}`)
	r := send(t, srv.Client(), "GET", srv.URL+"/e", "")
	wantStatus(t, r, 200)
	tag, _ := json.Marshal(etag)
	at, _ := json.Marshal(etag[len(`W/"`) : len(etag)-1]) // the bare time
	want := `{"@odata.context":"$metadata#/e/$entity","@odata.etag":` + string(tag) + `,"ModifiedAt":` + string(at) + `}`
	if r.body != want {
		t.Errorf("GET = %s, want %s", r.body, want)
	}
	if got := r.header.Get("ETag"); got != etag {
		t.Errorf("ETag = %q, want %q", got, etag)
	}
}

func TestODataTimestampsAreUnique(t *testing.T) {
	srv := setup(t, mockserver.Options{TimestampETags: true, WeakETags: true})
	seen := map[string]bool{}
	for range 200 {
		etag := seed(t, srv, "/doc", `{}`)
		if seen[etag] || !stampTag.MatchString(etag) {
			t.Fatalf("ETag %q: reused or not a timestamp", etag)
		}
		seen[etag] = true
	}
}

func TestODataOptionsValidate(t *testing.T) {
	tests := []struct {
		name string
		opts mockserver.Options
	}{
		{"timestamps with a version field", mockserver.Options{TimestampETags: true, VersionField: "/_rev"}},
		{"annotations with a version field", mockserver.Options{Annotations: true, VersionField: "/_rev"}},
		{"empty managed field", mockserver.Options{ManagedFields: []string{""}}},
		{"annotation as managed field", mockserver.Options{ManagedFields: []string{"@odata.etag"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.opts.Validate(); err == nil {
				t.Error("Validate() = nil, want an error")
			}
		})
	}
	if err := mockserver.ODataOptions().Validate(); err != nil {
		t.Errorf("ODataOptions().Validate() = %v", err)
	}
}

func TestPreferReturnMinimal(t *testing.T) {
	tests := []struct {
		name, method, path, body string
		want                     int
	}{
		{"PUT update", "PUT", "/doc", `{"n":2}`, 204},
		{"PUT create", "PUT", "/new", `{"n":2}`, 201},
		{"PATCH", "PATCH", "/doc", `{"n":2}`, 204},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := setup(t, mockserver.ODataOptions())
			etag := seed(t, srv, "/doc", `{"n":1}`)
			h := []string{"Prefer", "odata.track-changes, return=minimal", "Content-Type", "application/json"}
			if tt.path == "/doc" {
				h = append(h, "If-Match", etag)
			}
			r := send(t, srv.Client(), tt.method, srv.URL+tt.path, tt.body, h...)
			wantStatus(t, r, tt.want)
			_, now, _ := srv.Doc(tt.path)
			if r.body != "" || r.header.Get("ETag") != now || r.header.Get("Preference-Applied") != "return=minimal" {
				t.Errorf("answer body %q, ETag %q, Preference-Applied %q; want no body, %q, return=minimal",
					r.body, r.header.Get("ETag"), r.header.Get("Preference-Applied"), now)
			}
		})
	}
}
