package ifmatch_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	jsonpatch "github.com/evanphx/json-patch/v5"

	"github.com/ifmatch/ifmatch"
	"github.com/ifmatch/ifmatch/mockserver"
)

// Every write learns its own commit in its caller's TrackVersions scope,
// whichever strategy wrote it: a Put after the scope's own MergePatch is
// based on the version that MergePatch made, not refused by it.
func TestScopeLearnsItsOwnWrite(t *testing.T) {
	for _, strategy := range []ifmatch.PatchStrategy{ifmatch.ApplyLocally, ifmatch.SendPatch} {
		t.Run(strategyName(strategy), func(t *testing.T) {
			srv, url := setup(t, mockserver.Options{}, `{"a":0,"b":0}`)
			c := newClient(t, ifmatch.Options{PatchStrategy: strategy})
			ctx := ifmatch.TrackVersions(context.Background())
			if _, err := c.Get(ctx, url); err != nil {
				t.Fatal(err)
			}
			resp, err := c.MergePatch(ctx, url, []byte(`{"a":1}`))
			if err != nil {
				t.Fatal(err)
			}
			var doc map[string]any
			if err := json.Unmarshal(resp.Body, &doc); err != nil {
				t.Fatal(err)
			}
			doc["b"] = 2.0
			body, _ := json.Marshal(doc)
			if _, err := c.Put(ctx, url, body); err != nil {
				t.Fatalf("Put after the scope's own MergePatch: %v", err)
			}
			if got := docOf(t, srv); got["a"] != 1.0 || got["b"] != 2.0 {
				t.Errorf("server holds %v, want a=1 b=2", got)
			}
		})
	}
}

func strategyName(s ifmatch.PatchStrategy) string {
	if s == ifmatch.SendPatch {
		return "SendPatch"
	}
	return "ApplyLocally"
}

// patchAnswerServer keeps one JSON document with strong ETags, honors
// If-Match, applies merge patches, and answers a PATCH with answer(doc)
// instead of the document.
type patchAnswerServer struct {
	mu      sync.Mutex
	doc     []byte
	version int
	answer  func(doc []byte) []byte
}

func (s *patchAnswerServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	defer s.mu.Unlock()
	etag := `"` + strconv.Itoa(s.version) + `"`
	if im := r.Header.Get("If-Match"); im != "" && im != etag {
		w.WriteHeader(http.StatusPreconditionFailed)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	switch r.Method {
	case http.MethodGet:
		w.Header().Set("ETag", etag)
		w.Write(s.doc)
		return
	case http.MethodPatch:
		out, err := jsonpatch.MergePatch(s.doc, body)
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		s.doc = out
	case http.MethodPut:
		s.doc = body
	}
	s.version++
	w.Header().Set("ETag", `"`+strconv.Itoa(s.version)+`"`)
	if r.Method == http.MethodPatch {
		w.Write(s.answer(s.doc))
	}
}

// A PATCH answer that is not the document (a status object, only some
// fields) is never taken for it: the next Update starts from the real
// document and every field survives.
func TestPatchAnswerIsNotTheDocument(t *testing.T) {
	tests := []struct {
		name   string
		answer func(doc []byte) []byte
	}{
		{"status object", func([]byte) []byte { return []byte(`{"ok":true}`) }},
		{"some fields", func([]byte) []byte { return []byte(`{"a":1}`) }},
		{"the document", func(doc []byte) []byte { return doc }},
		{"the document, cut short", func(doc []byte) []byte { return doc[:len(doc)-1] }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &patchAnswerServer{doc: []byte(`{"a":0,"b":0,"keep":"me"}`), answer: tt.answer}
			srv := httptest.NewServer(s)
			defer srv.Close()
			c := newClient(t, ifmatch.Options{PatchStrategy: ifmatch.SendPatch})
			ctx := context.Background()
			url := srv.URL + "/doc"
			if _, err := c.MergePatch(ctx, url, []byte(`{"a":1}`)); err != nil {
				t.Fatal(err)
			}
			_, err := c.Update(ctx, url, func(cur []byte) ([]byte, error) {
				var m map[string]any
				if err := json.Unmarshal(cur, &m); err != nil {
					return nil, err
				}
				m["b"] = 2
				return json.Marshal(m)
			})
			if err != nil {
				t.Fatal(err)
			}
			s.mu.Lock()
			defer s.mu.Unlock()
			var got map[string]any
			json.Unmarshal(s.doc, &got)
			if got["a"] != 1.0 || got["b"] != 2.0 || got["keep"] != "me" || len(got) != 3 {
				t.Errorf("server holds %s, want {\"a\":1,\"b\":2,\"keep\":\"me\"}: an update was lost", s.doc)
			}
		})
	}
}

// One call that ends in a conflict is one ConflictError in Stats, whichever
// door it came in by.
func TestStatsCountAConflictErrorOnce(t *testing.T) {
	tests := []struct {
		name  string
		write func(ctx context.Context, c *ifmatch.Client, url string) error
	}{
		{"Patch guarded by a scope", func(ctx context.Context, c *ifmatch.Client, url string) error {
			_, err := c.Patch(ctx, url, []byte(`[{"op":"replace","path":"/n","value":5}]`))
			return err
		}},
		{"Patch with IfMatch of a version the Client does not hold", func(ctx context.Context, c *ifmatch.Client, url string) error {
			_, err := c.Patch(ctx, url, []byte(`[{"op":"replace","path":"/n","value":5}]`), ifmatch.IfMatch(`"old"`))
			return err
		}},
		{"Put", func(ctx context.Context, c *ifmatch.Client, url string) error {
			_, err := c.Put(ctx, url, []byte(`{"n":5}`))
			return err
		}},
		{"Do PATCH guarded by a scope", func(ctx context.Context, c *ifmatch.Client, url string) error {
			req, _ := http.NewRequestWithContext(ctx, http.MethodPatch, url, stringsReader(`{"n":5}`))
			req.Header.Set("Content-Type", "application/merge-patch+json")
			resp, err := c.Do(req)
			if err == nil {
				resp.Body.Close()
			}
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, url := setup(t, mockserver.Options{}, `{"n":1}`)
			c := newClient(t, ifmatch.Options{})
			ctx := ifmatch.TrackVersions(context.Background())
			if _, err := c.Get(ctx, url); err != nil {
				t.Fatal(err)
			}
			srv.SetDoc("/doc", []byte(`{"n":2}`)) // another writer
			if err := tt.write(ctx, c, url); !errors.Is(err, ifmatch.ErrConflict) {
				t.Fatalf("err = %v, want ErrConflict", err)
			}
			if got := c.Stats().ConflictErrors; got != 1 {
				t.Errorf("Stats.ConflictErrors = %d after one conflict error, want 1", got)
			}
		})
	}
}

// A 422 to a stale JSON Patch (a failed version test, as Kubernetes
// answers) is a conflict in Stats, as the loop treats it.
func TestStatsCount422Conflicts(t *testing.T) {
	var mu sync.Mutex
	doc, version, refusals := []byte(`{"n":1}`), 1, 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		etag := `"` + strconv.Itoa(version) + `"`
		if r.Method == http.MethodGet {
			w.Header().Set("ETag", etag)
			w.Write(doc)
			return
		}
		if refusals < 2 {
			refusals++
			version++ // another writer committed: the version test fails
			w.WriteHeader(http.StatusUnprocessableEntity)
			return
		}
		p, _ := jsonpatch.DecodePatch(body)
		doc, _ = p.Apply(doc)
		version++
		w.Header().Set("ETag", `"`+strconv.Itoa(version)+`"`)
	}))
	defer srv.Close()
	var hooks int
	c := newClient(t, ifmatch.Options{PatchStrategy: ifmatch.SendPatch,
		OnConflict: func(context.Context, ifmatch.ConflictInfo) { hooks++ }})
	if _, err := c.Patch(context.Background(), srv.URL+"/doc", []byte(`[{"op":"add","path":"/m","value":1}]`)); err != nil {
		t.Fatal(err)
	}
	if got := c.Stats().Conflicts; got != 2 || hooks != 2 {
		t.Errorf("Stats.Conflicts = %d and OnConflict ran %d times after two 422 refusals, want 2 and 2", got, hooks)
	}
}

func stringsReader(s string) io.Reader { return strings.NewReader(s) }

// A write sent as it is looks nothing up in the cache unless it needs the
// document (a weak tag to check, a PATCH answer to prove): Stats' cache
// counts say what reads found, not what every write did.
func TestWriteAsIsLooksUpNothing(t *testing.T) {
	_, url := setup(t, mockserver.Options{}, `{"n":1}`)
	c := newClient(t, ifmatch.Options{})
	ctx := context.Background()
	resp, err := c.Get(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	before := c.Stats()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPut, url, stringsReader(`{"n":2}`))
	req.Header.Set("If-Match", resp.ETag) // the caller's own version
	req.Header.Set("Content-Type", "application/json")
	out, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	out.Body.Close()
	after := c.Stats()
	if out.StatusCode != http.StatusOK || after.CacheHits != before.CacheHits || after.CacheMisses != before.CacheMisses {
		t.Errorf("PUT: %d; cache hits %d → %d, misses %d → %d; want 200 and no look-up",
			out.StatusCode, before.CacheHits, after.CacheHits, before.CacheMisses, after.CacheMisses)
	}
}

// Stats.Writes counts write calls whichever door they came in by: Do's
// PUT and POST are writes, its GET is not.
func TestStatsCountDoWrites(t *testing.T) {
	_, url := setup(t, mockserver.Options{}, `{"n":1}`)
	c := newClient(t, ifmatch.Options{})
	ctx := context.Background()
	for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodPost} {
		req, _ := http.NewRequestWithContext(ctx, m, url, stringsReader(`{"n":2}`))
		req.Header.Set("Content-Type", "application/json")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", m, err)
		}
		resp.Body.Close()
	}
	if got := c.Stats().Writes; got != 2 {
		t.Errorf("Stats.Writes = %d after a GET, a PUT and a POST through Do, want 2", got)
	}
}
