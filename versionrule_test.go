package ifmatch_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/ifmatch/ifmatch"
	"github.com/ifmatch/ifmatch/mockserver"
)

// The version a write carries (issue 10): a write is based on what its
// caller read, never on a version another write of the same Client moved
// the cache to.
func TestVersionRule(t *testing.T) {
	ctx := context.Background()
	const initial = `{"stock":100,"name":"a"}`
	put := func(body string, opts ...func(read *ifmatch.Response) ifmatch.CallOption) func(*ifmatch.Client, string, *ifmatch.Response) error {
		return func(c *ifmatch.Client, url string, read *ifmatch.Response) error {
			var o []ifmatch.CallOption
			for _, f := range opts {
				o = append(o, f(read))
			}
			_, err := c.Put(ctx, url, []byte(body), o...)
			return err
		}
	}
	readVersion := func(read *ifmatch.Response) ifmatch.CallOption { return ifmatch.IfMatch(read.ETag) }
	ownHeader := func(read *ifmatch.Response) ifmatch.CallOption { return ifmatch.WithHeader("If-Match", read.ETag) }
	tests := []struct {
		name      string
		opts      ifmatch.Options
		write     func(c *ifmatch.Client, url string, read *ifmatch.Response) error
		wantErr   error // nil: the write commits
		wantStock float64
		wantName  string
	}{
		{"Put of an edit of what Get read is refused", ifmatch.Options{}, put(`{"stock":100,"name":"b"}`), ifmatch.ErrConflict, 99, "a"},
		{"Put with the caller's own If-Match header sends it", ifmatch.Options{}, put(`{"stock":100,"name":"b"}`, ownHeader), ifmatch.ErrConflict, 99, "a"},
		{"Put with IfMatch sends it", ifmatch.Options{}, put(`{"stock":100,"name":"b"}`, readVersion), ifmatch.ErrConflict, 99, "a"},
		{"Delete of what Get read is refused", ifmatch.Options{}, func(c *ifmatch.Client, url string, _ *ifmatch.Response) error {
			_, err := c.Delete(ctx, url)
			return err
		}, ifmatch.ErrConflict, 99, "a"},
		{"ThreeWayPut merges onto the other write from what its caller read", ifmatch.Options{ThreeWayPut: true},
			put(`{"stock":100,"name":"b"}`), nil, 99, "b"},
		{"ThreeWayPut: a field both changed is a conflict", ifmatch.Options{ThreeWayPut: true},
			put(`{"stock":98,"name":"a"}`), ifmatch.ErrMergeConflict, 99, "a"},
		{"Patch from an old version: its field moved", ifmatch.Options{}, func(c *ifmatch.Client, url string, read *ifmatch.Response) error {
			_, err := c.Patch(ctx, url, []byte(`[{"op":"replace","path":"/stock","value":99}]`), ifmatch.IfMatch(read.ETag))
			return err
		}, ifmatch.ErrFieldsChanged, 99, "a"},
		{"Patch from an old version: its field did not move", ifmatch.Options{}, func(c *ifmatch.Client, url string, read *ifmatch.Response) error {
			_, err := c.Patch(ctx, url, []byte(`[{"op":"replace","path":"/name","value":"b"}]`), ifmatch.IfMatch(read.ETag))
			return err
		}, nil, 99, "b"},
		{"SendPatch merge patch from an old version: its field moved", ifmatch.Options{PatchStrategy: ifmatch.SendPatch}, func(c *ifmatch.Client, url string, read *ifmatch.Response) error {
			_, err := c.MergePatch(ctx, url, []byte(`{"stock":99}`), ifmatch.IfMatch(read.ETag))
			return err
		}, ifmatch.ErrFieldsChanged, 99, "a"},
		{"Update pinned to an old version is refused", ifmatch.Options{}, func(c *ifmatch.Client, url string, read *ifmatch.Response) error {
			_, err := c.Update(ctx, url, func(cur []byte) ([]byte, error) {
				return []byte(strings.Replace(string(cur), `"a"`, `"b"`, 1)), nil
			}, ifmatch.IfMatch(read.ETag))
			return err
		}, ifmatch.ErrConflict, 99, "a"},
		{"Modify pinned to an old version is refused", ifmatch.Options{}, func(c *ifmatch.Client, url string, read *ifmatch.Response) error {
			type doc struct {
				Name string `json:"name"`
			}
			_, err := ifmatch.Modify(ctx, c, url, func(d *doc) error { d.Name = "b"; return nil }, ifmatch.IfMatch(read.ETag))
			return err
		}, ifmatch.ErrConflict, 99, "a"},
		{"Modify pinned to the current version commits", ifmatch.Options{}, func(c *ifmatch.Client, url string, _ *ifmatch.Response) error {
			cur, err := c.Get(ctx, url)
			if err != nil {
				return err
			}
			type doc struct {
				Name string `json:"name"`
			}
			_, err = ifmatch.Modify(ctx, c, url, func(d *doc) error { d.Name = "b"; return nil }, ifmatch.IfMatch(cur.ETag))
			return err
		}, nil, 99, "b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, url := setup(t, mockserver.Options{}, initial)
			c := newClient(t, tt.opts)
			read, err := c.Get(ctx, url)
			if err != nil {
				t.Fatal(err)
			}
			// Another write through the same Client moves the cache.
			if _, err := c.MergePatch(ctx, url, []byte(`{"stock":99}`)); err != nil {
				t.Fatal(err)
			}
			err = tt.write(c, url, read)
			switch {
			case tt.wantErr == nil && err != nil:
				t.Fatalf("write: %v, want it committed", err)
			case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
				t.Fatalf("write: %v, want %v", err, tt.wantErr)
			}
			got := docOf(t, srv)
			if got["stock"] != tt.wantStock || got["name"] != tt.wantName {
				t.Errorf("document = %v, want stock %v and name %q: the other write was lost", got, tt.wantStock, tt.wantName)
			}
		})
	}
}

// The same rule on a CouchDB-style server: the _rev in the body the
// caller puts is the caller's version, never replaced by a newer one.
func TestVersionRuleVersionField(t *testing.T) {
	ctx := context.Background()
	srv, url := setup(t, mockserver.Options{VersionField: "/_rev"}, `{"stock":100}`)
	c := newClient(t, ifmatch.Options{VersionField: "/_rev", VersionParam: "rev"})
	read, err := c.Get(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	type doc struct {
		Rev   string `json:"_rev"`
		Stock int    `json:"stock"`
	}
	if _, err := ifmatch.Modify(ctx, c, url, func(d *doc) error { d.Stock--; return nil }); err != nil {
		t.Fatal(err)
	}
	var edited doc
	if err := json.Unmarshal(read.Body, &edited); err != nil {
		t.Fatal(err)
	}
	edited.Stock = 50
	body, _ := json.Marshal(edited)
	if _, err := c.Put(ctx, url, body); !errors.Is(err, ifmatch.ErrConflict) {
		t.Fatalf("Put of the _rev read before another write: %v, want ErrConflict", err)
	}
	if got := docOf(t, srv); got["stock"] != float64(99) {
		t.Errorf("stock = %v, want 99: the Modify was overwritten", got["stock"])
	}
}

// Do adds If-Match only to PUT, PATCH and DELETE (issue 10, case 4).
func TestDoNoIfMatchOnPost(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]string{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.Method] = r.Header.Get("If-Match")
		mu.Unlock()
		w.Header().Set("ETag", `"1"`)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{}`)
	}))
	defer srv.Close()
	c := newClient(t, ifmatch.Options{})
	ctx := context.Background()
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodDelete} {
		req, _ := http.NewRequestWithContext(ctx, m, srv.URL+"/items", strings.NewReader(`{}`))
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	mu.Lock()
	defer mu.Unlock()
	if v := seen[http.MethodPost]; v != "" {
		t.Errorf("POST carried If-Match %q", v)
	}
	if v := seen[http.MethodDelete]; v != `"1"` {
		t.Errorf("DELETE carried If-Match %q, want the version read", v)
	}
}

// A generated client that reads, computes stock-1 and sends it as a merge
// patch inside TrackVersions loses nothing (issue 10, case 5): a patch
// whose field moved since the scope's read is a conflict, and the caller's
// own retry reads again.
func TestDoScopedComputedMergePatch(t *testing.T) {
	const writers, each = 16, 5
	srv, url := setup(t, mockserver.Options{}, `{"stock":100}`)
	c := newClient(t, ifmatch.Options{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				if err := decrementViaDo(c, url); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("errors: %v", errs)
	}
	if got := docOf(t, srv)["stock"]; got != float64(100-writers*each) {
		t.Errorf("stock = %v, want %d: decrements were lost", got, 100-writers*each)
	}
}

// decrementViaDo is a generated client's read-compute-write, retried as a
// whole on a conflict.
func decrementViaDo(c *ifmatch.Client, url string) error {
	for attempt := 0; attempt < 1000; attempt++ {
		ctx := ifmatch.TrackVersions(context.Background())
		get, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := c.Do(get)
		if err != nil {
			return err
		}
		var d struct{ Stock int }
		err = json.NewDecoder(resp.Body).Decode(&d)
		resp.Body.Close()
		if err != nil {
			return err
		}
		patch, _ := http.NewRequestWithContext(ctx, http.MethodPatch, url, strings.NewReader(fmt.Sprintf(`{"stock":%d}`, d.Stock-1)))
		patch.Header.Set("Content-Type", "application/merge-patch+json")
		resp, err = c.Do(patch)
		if errors.Is(err, ifmatch.ErrConflict) {
			continue
		}
		if err != nil {
			return err
		}
		resp.Body.Close()
		switch {
		case resp.StatusCode == http.StatusOK:
			return nil
		case resp.StatusCode == http.StatusPreconditionFailed || resp.StatusCode == http.StatusConflict:
			continue
		default:
			return fmt.Errorf("PATCH: %d", resp.StatusCode)
		}
	}
	return errors.New("no commit in 1000 attempts")
}

// Deciding the version looks the cache up once per write: Stats counts
// each look-up, so a write that read it twice would show twice the hits.
func TestOneCacheLookupPerWrite(t *testing.T) {
	ctx := context.Background()
	_, url := setup(t, mockserver.Options{}, `{"n":0}`)
	c := newClient(t, ifmatch.Options{})
	if _, err := c.Get(ctx, url); err != nil { // a miss
		t.Fatal(err)
	}
	for range 3 {
		if _, err := c.MergePatch(ctx, url, []byte(`{"n":1}`)); err != nil {
			t.Fatal(err)
		}
	}
	if s := c.Stats(); s.CacheHits != 3 || s.CacheMisses != 1 {
		t.Errorf("cache hits %d, misses %d; want 3 and 1: one look-up per write", s.CacheHits, s.CacheMisses)
	}
}
