package mockserver_test

import (
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/ifmatch/ifmatch/mockserver"
)

// allocated reports the bytes the process allocated while f ran: the work
// a request made the server do, the test's own small part included.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// nested is a JSON object nested depth levels deep around a string of pad
// bytes.
func nested(depth, pad int) string {
	return strings.Repeat(`{"a":`, depth) + `"` + strings.Repeat("x", pad) + `"` + strings.Repeat("}", depth)
}

// wide is nested with a sibling string of pad bytes at every level, so
// that every level holds a share of the bytes.
func wide(depth, pad int) string {
	return strings.Repeat(`{"p":"`+strings.Repeat("x", pad)+`","a":`, depth) + "1" + strings.Repeat("}", depth)
}

// TestHostileBodiesAreBoundedInMemory sends bodies whose nesting used to
// make the patch library allocate hundreds of megabytes, and measures what
// the server allocates for each.
func TestHostileBodiesAreBoundedInMemory(t *testing.T) {
	const jp, mp = "application/json-patch+json", "application/merge-patch+json"
	tests := []struct {
		name     string
		method   string
		ctype    string
		body     string
		want     int
		maxAlloc uint64 // bytes the request may cause to be allocated
	}{
		// 60 KB nested 9,998 deep grew the process to 887 MB
		{"merge patch nested 9998 deep", "PATCH", mp, nested(9998, 0), 400, 8 << 20},
		{"PUT nested 9998 deep", "PUT", "application/json", nested(9998, 0), 400, 8 << 20},
		{"JSON Patch value nested 9998 deep", "PATCH", jp, `[{"op":"add","path":"/v","value":` + nested(9998, 0) + `}]`, 400, 8 << 20},
		// 4 MB nested 1,000 deep killed it
		{"merge patch 4 MB nested 1000 deep", "PATCH", mp, wide(1000, 4200), 400, 64 << 20},
		// within the depth limit, but every byte would be copied 60 times
		{"merge patch 2 MB nested 60 deep", "PATCH", mp, wide(60, 2<<20/60), 400, 32 << 20},
		{"merge patch at the depth limit", "PATCH", mp, nested(64, 10), 200, 8 << 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := setup(t, mockserver.Options{})
			seed(t, srv, "/doc", `{"n":1}`)
			var r reply
			n := allocated(func() {
				r = send(t, srv.Client(), tt.method, srv.URL+"/doc", tt.body, "Content-Type", tt.ctype)
			})
			wantStatus(t, r, tt.want)
			if tt.want == 400 {
				if got := problemType(t, r); got != mockserver.ProblemBadRequest {
					t.Errorf("problem type = %q, want %q", got, mockserver.ProblemBadRequest)
				}
				if !strings.Contains(r.body, "the limit is") {
					t.Errorf("body %s does not name the limit", r.body)
				}
			}
			t.Logf("a %d-byte body: %d, allocated %.1f MB", len(tt.body), r.status, float64(n)/(1<<20))
			if n > tt.maxAlloc {
				t.Errorf("a %d-byte body allocated %d MB, want at most %d MB", len(tt.body), n>>20, tt.maxAlloc>>20)
			}
		})
	}
}

func TestSetDocRefusesDeepDocuments(t *testing.T) {
	srv := setup(t, mockserver.Options{})
	if _, err := srv.SetDoc("/doc", []byte(nested(65, 0))); err == nil || !strings.Contains(err.Error(), "the limit is 64") {
		t.Errorf("SetDoc of a document nested 65 deep: %v, want an error naming the limit", err)
	}
	r := send(t, srv.Client(), "PUT", srv.URL+"/_mock/docs/doc", nested(65, 0))
	wantStatus(t, r, 400)
	if _, _, ok := srv.Doc("/doc"); ok {
		t.Errorf("the deep document was stored")
	}
}

// TestJSONPatchCannotAmplify sends small patches whose copy operations
// double the document, and patches whose result passes the body cap.
func TestJSONPatchCannotAmplify(t *testing.T) {
	const jp, mp = "application/json-patch+json", "application/merge-patch+json"
	var doubling []string
	for i := range 14 { // /l14 is 1 KB doubled 14 times: 16 MB, twice the body cap
		doubling = append(doubling, fmt.Sprintf(`{"op":"add","path":"/l%d","value":[]}`, i+1),
			fmt.Sprintf(`{"op":"copy","from":"/l%d","path":"/l%d/-"}`, i, i+1),
			fmt.Sprintf(`{"op":"copy","from":"/l%d","path":"/l%d/-"}`, i, i+1))
	}
	big := strings.Repeat("x", 5<<20)
	tests := []struct {
		name  string
		seed  string
		ctype string
		patch string
	}{
		{"copy doubling", `{"l0":"` + strings.Repeat("x", 1000) + `"}`, jp, "[" + strings.Join(doubling, ",") + "]"},
		{"add past the cap", `{"a":"` + big + `"}`, jp, `[{"op":"add","path":"/b","value":"` + big + `"}]`},
		{"merge past the cap", `{"a":"` + big + `"}`, mp, `{"b":"` + big + `"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := setup(t, mockserver.Options{})
			seed(t, srv, "/doc", tt.seed)
			var r reply
			n := allocated(func() {
				r = send(t, srv.Client(), "PATCH", srv.URL+"/doc", tt.patch, "Content-Type", tt.ctype)
			})
			wantStatus(t, r, 422)
			if got := problemType(t, r); got != mockserver.ProblemPatchFailed {
				t.Errorf("problem type = %q, want %q", got, mockserver.ProblemPatchFailed)
			}
			if doc, _, _ := srv.Doc("/doc"); len(doc) != len(tt.seed) {
				t.Errorf("the document has %d bytes, want the %d seeded", len(doc), len(tt.seed))
			}
			t.Logf("a %d-byte patch: %d, allocated %.1f MB", len(tt.patch), r.status, float64(n)/(1<<20))
			if n > 256<<20 {
				t.Errorf("a %d-byte patch allocated %d MB, want at most 256 MB", len(tt.patch), n>>20)
			}
		})
	}
}

// TestPathsInHeadersAreEscaped checks that a Go client can read the answer
// for a path holding bytes a header cannot carry.
func TestPathsInHeadersAreEscaped(t *testing.T) {
	tests := []struct {
		name, path, want string
	}{
		{"NUL", "/nul%00x", "/nul%00x"},
		{"space", "/sp%20ace", "/sp%20ace"},
		{"CR LF", "/a%0D%0AX-Injected:%201", "/a%0D%0AX-Injected:%201"},
		{"non-ASCII", "/caf%C3%A9", "/caf%C3%A9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := setup(t, mockserver.Options{ConflictBody: true})
			c := srv.Client()
			r, err := try(c, "PUT", srv.URL+tt.path, `{"n":1}`)
			if err != nil {
				t.Fatalf("PUT %s: %v", tt.path, err)
			}
			wantStatus(t, r, 201)
			if got := r.header.Get("Location"); got != tt.want {
				t.Errorf("Location = %q, want %q", got, tt.want)
			}
			if r.header.Get("X-Injected") != "" {
				t.Errorf("the path injected a header")
			}
			r, err = try(c, "PUT", srv.URL+tt.path, `{"n":2}`, "If-Match", `"stale"`)
			if err != nil {
				t.Fatalf("stale PUT %s: %v", tt.path, err)
			}
			wantStatus(t, r, 412)
			if got := r.header.Get("Content-Location"); got != tt.want {
				t.Errorf("Content-Location = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestMethodCountersAreBounded invents method names; they share one
// counter.
func TestMethodCountersAreBounded(t *testing.T) {
	srv := setup(t, mockserver.Options{})
	c := srv.Client()
	for i := range 50 {
		r := send(t, c, fmt.Sprintf("X-%d", i), srv.URL+"/doc", "")
		wantStatus(t, r, 405)
	}
	send(t, c, "POST", srv.URL+"/doc", "")
	got := srv.Stats().Requests
	want := map[string]int64{"OTHER 405": 50, "POST 405": 1}
	if len(got) != len(want) || got["OTHER 405"] != 50 || got["POST 405"] != 1 {
		t.Errorf("Stats().Requests = %v, want %v", got, want)
	}
}

func TestAdminFaultsRefusesNonObjects(t *testing.T) {
	for _, body := range []string{"null", "[]", "1", `"x"`, ""} {
		t.Run(body, func(t *testing.T) {
			f := mockserver.Faults{ErrorRate: 0.5}
			srv := setup(t, mockserver.Options{Faults: f})
			r := send(t, srv.Client(), "PUT", srv.URL+"/_mock/faults", body)
			wantStatus(t, r, 400)
			if got := srv.Faults(); got != f {
				t.Errorf("Faults() = %+v after a refused PUT, want %+v unchanged", got, f)
			}
			var p mockserver.Problem
			if err := json.Unmarshal([]byte(r.body), &p); err != nil || p.Detail == "" {
				t.Errorf("answer %s (%v), want a problem with a detail", r.body, err)
			}
		})
	}
}

// TestJSONPatchCopiesAreRefusedBeforeCopying sends small patches whose
// copies would pass the 8 MiB copy limit: the server refuses them from
// their sizes, before copying. It used to find out only after copying,
// having allocated 228 MiB for a 1.5 KB patch.
func TestJSONPatchCopiesAreRefusedBeforeCopying(t *testing.T) {
	const jp = "application/json-patch+json"
	ops := func(format string, n int) string {
		var s []string
		for i := range n {
			s = append(s, fmt.Sprintf(format, i))
		}
		return "[" + strings.Join(s, ",") + "]"
	}
	tests := []struct {
		name, seed, patch string
	}{
		{"30 whole-document copies", `{"a":"` + strings.Repeat("x", 256<<10) + `"}`, ops(`{"op":"copy","from":"","path":"/c%d"}`, 30)},
		{"30 copies of a growing member", `{"l":["` + strings.Repeat("x", 256<<10) + `"]}`, ops(`{"op":"copy","from":"/l","path":"/l/%d"}`, 30)},
		{"30 copies of a 1 MiB member", `{"a":"` + strings.Repeat("x", 1<<20) + `"}`, ops(`{"op":"copy","from":"/a","path":"/c%d"}`, 30)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := setup(t, mockserver.Options{})
			seed(t, srv, "/doc", tt.seed)
			var r reply
			n := allocated(func() {
				r = send(t, srv.Client(), "PATCH", srv.URL+"/doc", tt.patch, "Content-Type", jp)
			})
			wantStatus(t, r, 422)
			if !strings.Contains(r.body, "the limit is 8388608") {
				t.Errorf("body %s does not name the copy limit", r.body)
			}
			t.Logf("a %d-byte patch on a %d-byte document: allocated %.1f MB", len(tt.patch), len(tt.seed), float64(n)/(1<<20))
			if limit := uint64(8 << 20); n > limit {
				t.Errorf("the refused patch allocated %d MB, want at most %d MB", n>>20, limit>>20)
			}
		})
	}
}
