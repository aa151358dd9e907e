package mockserver

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

func TestParseETagList(t *testing.T) {
	tests := []struct {
		name   string
		values []string
		want   etagList
	}{
		{"star", []string{"*"}, etagList{any: true}},
		{"one", []string{`"a"`}, etagList{tags: []string{`"a"`}}},
		{"list", []string{`"a", W/"b" ,"c,d"`}, etagList{tags: []string{`"a"`, `W/"b"`, `"c,d"`}}},
		{"lines", []string{`"a"`, `"b"`}, etagList{tags: []string{`"a"`, `"b"`}}},
		{"empty tag", []string{`""`}, etagList{tags: []string{`""`}}},
		{"unquoted skipped", []string{`a, "b"`}, etagList{tags: []string{`"b"`}}},
		{"unterminated", []string{`"a`}, etagList{}},
		{"junk after tag", []string{`"a"x, "b"`}, etagList{tags: []string{`"b"`}}},
		{"lowercase w", []string{`w/"a"`}, etagList{}},
		{"empty", []string{""}, etagList{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseETagList(tt.values); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parseETagList(%q) = %+v, want %+v", tt.values, got, tt.want)
			}
		})
	}
}

func FuzzParseETagList(f *testing.F) {
	for _, s := range []string{`*`, `"a", W/"b"`, `"a`, `W/`, `,,"x",`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l := parseETagList([]string{s})
		for _, tag := range l.tags {
			// every tag kept is well formed and matches itself
			if !strings.HasSuffix(tag, `"`) || len(strings.TrimPrefix(tag, "W/")) < 2 || !l.has(tag, weakEqual) {
				t.Errorf("parseETagList(%q) kept malformed tag %q", s, tag)
			}
		}
	})
}

func TestComparisons(t *testing.T) {
	tests := []struct {
		a, b                   string
		strong, weak, verbatim bool
	}{
		{`"1"`, `"1"`, true, true, true},
		{`W/"1"`, `W/"1"`, false, true, true},
		{`W/"1"`, `"1"`, false, true, false},
		{`"1"`, `"2"`, false, false, false},
	}
	for _, tt := range tests {
		if got := strongEqual(tt.a, tt.b); got != tt.strong {
			t.Errorf("strongEqual(%s, %s) = %v, want %v", tt.a, tt.b, got, tt.strong)
		}
		if got := weakEqual(tt.a, tt.b); got != tt.weak {
			t.Errorf("weakEqual(%s, %s) = %v, want %v", tt.a, tt.b, got, tt.weak)
		}
		if got := verbatimEqual(tt.a, tt.b); got != tt.verbatim {
			t.Errorf("verbatimEqual(%s, %s) = %v, want %v", tt.a, tt.b, got, tt.verbatim)
		}
	}
}

func TestSetPointer(t *testing.T) {
	tests := []struct {
		name, doc, ptr, want string
		wantErr              bool
	}{
		{"top", `{"a":1}`, "/_rev", `{"_rev":"v","a":1}`, false},
		{"nested new", `{}`, "/metadata/resourceVersion", `{"metadata":{"resourceVersion":"v"}}`, false},
		{"nested null", `{"m":null}`, "/m/v", `{"m":{"v":"v"}}`, false},
		{"escaped", `{}`, "/a~1b/c~0d", `{"a/b":{"c~d":"v"}}`, false},
		{"array index", `{"a":[{}]}`, "/a/0/v", `{"a":[{"v":"v"}]}`, false},
		{"numbers kept", `{"big":12345678901234567890,"f":1.50}`, "/v", `{"big":12345678901234567890,"f":1.50,"v":"v"}`, false},
		{"html kept", `{"h":"<a&b>"}`, "/v", `{"h":"<a&b>","v":"v"}`, false},
		{"not an object", `[1]`, "/v", "", true},
		{"scalar in the way", `{"m":"x"}`, "/m/v", "", true},
		{"bad index", `{"a":[]}`, "/a/0/v", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := setPointer([]byte(tt.doc), parsePointer(tt.ptr), "v")
			if (err != nil) != tt.wantErr {
				t.Fatalf("setPointer(%s, %s) error = %v, want error %v", tt.doc, tt.ptr, err, tt.wantErr)
			}
			if !tt.wantErr && string(got) != tt.want {
				t.Errorf("setPointer(%s, %s) = %s, want %s", tt.doc, tt.ptr, got, tt.want)
			}
		})
	}
}

func TestGetPointer(t *testing.T) {
	tests := []struct {
		name, doc, ptr, want string
		present, wantErr     bool
	}{
		{"present", `{"_rev":"1-a"}`, "/_rev", "1-a", true, false},
		{"nested", `{"m":{"v":"2-b"}}`, "/m/v", "2-b", true, false},
		{"missing", `{}`, "/m/v", "", false, false},
		{"null", `{"_rev":null}`, "/_rev", "", false, false},
		{"through a scalar", `{"m":1}`, "/m/v", "", false, false},
		{"not a string", `{"_rev":1}`, "/_rev", "", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, present, err := getPointer([]byte(tt.doc), parsePointer(tt.ptr))
			if got != tt.want || present != tt.present || (err != nil) != tt.wantErr {
				t.Errorf("getPointer(%s, %s) = %q, %v, %v, want %q, %v, error %v", tt.doc, tt.ptr, got, present, err, tt.want, tt.present, tt.wantErr)
			}
		})
	}
}

func TestFormatVersionIsUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, salt := range []uint64{0, newEpoch().salt} {
		for seq := uint64(1); seq <= 100_000; seq++ {
			v := formatVersion(1, seq, salt)
			if seen[v] {
				t.Fatalf("formatVersion(1, %d, %#x) = %s, seen before", seq, salt, v)
			}
			seen[v] = true
		}
	}
}

// put serves one idempotent PUT of {} to /doc.
func put(h *Handler) (*httptest.ResponseRecorder, Problem) {
	req := httptest.NewRequest(http.MethodPut, "/doc", strings.NewReader(`{}`))
	req.Header.Set("Idempotency-Key", "k")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var p Problem
	_ = json.Unmarshal(rec.Body.Bytes(), &p)
	return rec, p
}

func TestIdempotencyInFlight(t *testing.T) {
	h := NewHandler(Options{Idempotency: true})
	// a first request with key k that is still being processed
	req := httptest.NewRequest(http.MethodPut, "/doc", nil)
	entry, resp := h.idem.begin("k", fingerprint(req, []byte(`{}`)), "/doc")
	if resp != nil {
		t.Fatalf("begin on a new key answered %d, want nothing", resp.status)
	}

	rec, p := put(h)
	if rec.Code != http.StatusConflict || p.Type != ProblemIdempotencyInFlight {
		t.Errorf("retry in flight = %d %q, want 409 %q", rec.Code, p.Type, ProblemIdempotencyInFlight)
	}
	if _, _, ok := h.Doc("/doc"); ok {
		t.Errorf("the retry in flight committed, want nothing")
	}

	h.idem.finish("k", entry, docResponse(http.StatusCreated, []byte(`{}`), `"1"`))
	rec, _ = put(h)
	if rec.Code != http.StatusCreated || rec.Header().Get("Idempotent-Replayed") != "true" {
		t.Errorf("retry after the first finished = %d, replayed %q, want a 201 replay", rec.Code, rec.Header().Get("Idempotent-Replayed"))
	}
}

func TestIdempotencyKeysAreBounded(t *testing.T) {
	s := idemStore{maxKeys: 2, maxBytes: 1 << 30}
	var fp [32]byte
	for _, k := range []string{"a", "b", "c"} {
		e, _ := s.begin(k, fp, "/")
		s.finish(k, e, &response{status: 200, header: http.Header{}})
	}
	if _, ok := s.entries["a"]; ok || len(s.entries) != 2 {
		t.Errorf("keys = %v, want the oldest (a) evicted and 2 left", keys(s.entries))
	}
	// a key forgotten without an answer can be used again, and evicting
	// its first use does not evict the second
	e, _ := s.begin("x", fp, "/")
	s.finish("x", e, nil)
	e, _ = s.begin("x", fp, "/")
	s.finish("x", e, &response{status: 200, header: http.Header{}})
	if _, ok := s.entries["x"]; !ok {
		t.Errorf("keys = %v, want x kept", keys(s.entries))
	}
}

func keys(m map[string]*idemEntry) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

// TestIdempotentAnswersAreBoundedInBytes sends keyed writes of 64 KiB
// documents to one path, under a 2 MiB cap: each stored answer holds a
// document the server has otherwise let go, so the answers alone grew a
// soak to 1.39 GB when only their count was bounded. The oldest go first.
func TestIdempotentAnswersAreBoundedInBytes(t *testing.T) {
	h := NewHandler(Options{Idempotency: true})
	h.idem.maxBytes = 2 << 20
	doc := `{"pad":"` + strings.Repeat("x", 64<<10) + `"}`
	before := liveHeap()
	for i := range 200 {
		req := httptest.NewRequest(http.MethodPut, "/doc", strings.NewReader(doc))
		req.Header.Set("Idempotency-Key", "k"+strconv.Itoa(i))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK && rec.Code != http.StatusCreated {
			t.Fatalf("PUT %d = %d %s", i, rec.Code, rec.Body)
		}
	}
	held := liveHeap() - before
	t.Logf("200 keyed writes of 64 KiB: %d answers, %d KiB counted, %d KiB of heap held", len(h.idem.entries), h.idem.bytes>>10, held>>10)
	if h.idem.bytes > h.idem.maxBytes {
		t.Errorf("the store counts %d bytes, want at most %d", h.idem.bytes, h.idem.maxBytes)
	}
	// 2 MiB of answers, and the document with its 8 old versions, which
	// the newest answers share
	if held > 6<<20 {
		t.Errorf("the server holds %d KiB after 200 keyed writes of 64 KiB, want at most 6 MiB", held>>10)
	}
	if _, ok := h.idem.entries["k0"]; ok {
		t.Errorf("the oldest key is still stored")
	}
	if _, ok := h.idem.entries["k199"]; !ok {
		t.Errorf("the newest key was evicted")
	}
}

// liveHeap is the live heap after a full collection.
func liveHeap() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}
