package ifmatch_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ifmatch/ifmatch"
	"github.com/ifmatch/ifmatch/mockserver"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// setup starts a mock server holding one document at /doc.
func setup(t *testing.T, opts mockserver.Options, doc string) (*mockserver.Server, string) {
	t.Helper()
	srv := mockserver.New(opts)
	t.Cleanup(srv.Close)
	if _, err := srv.SetDoc("/doc", []byte(doc)); err != nil {
		t.Fatal(err)
	}
	return srv, srv.URL + "/doc"
}

func newClient(t *testing.T, o ifmatch.Options) *ifmatch.Client {
	t.Helper()
	o.RetryWaitMin, o.RetryWaitMax = time.Millisecond, 5*time.Millisecond
	c := ifmatch.New(&o)
	t.Cleanup(c.CloseIdleConnections)
	return c
}

func docOf(t *testing.T, srv *mockserver.Server) map[string]any {
	t.Helper()
	b, _, ok := srv.Doc("/doc")
	if !ok {
		t.Fatal("document missing")
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

type item struct {
	Name  string   `json:"name"`
	Count int      `json:"count"`
	Tags  []string `json:"tags,omitempty"`
}

// Each change kind, under each strategy, is rebased over a concurrent
// writer and keeps that writer's change.
func TestRebaseEachChangeKind(t *testing.T) {
	ctx := context.Background()
	kinds := []struct {
		name  string
		write func(c *ifmatch.Client, url string) error
	}{
		{"Patch", func(c *ifmatch.Client, url string) error {
			_, err := c.Patch(ctx, url, []byte(`[{"op":"replace","path":"/count","value":5}]`))
			return err
		}},
		{"MergePatch", func(c *ifmatch.Client, url string) error {
			_, err := c.MergePatch(ctx, url, []byte(`{"count":5}`))
			return err
		}},
		{"Update", func(c *ifmatch.Client, url string) error {
			_, err := c.Update(ctx, url, func(cur []byte) ([]byte, error) {
				var m map[string]any
				if err := json.Unmarshal(cur, &m); err != nil {
					return nil, err
				}
				m["count"] = 5
				return json.Marshal(m)
			})
			return err
		}},
		{"Modify", func(c *ifmatch.Client, url string) error {
			_, err := ifmatch.Modify(ctx, c, url, func(it *item) error { it.Count = 5; return nil })
			return err
		}},
	}
	strategies := []ifmatch.PatchStrategy{ifmatch.ApplyLocally, ifmatch.SendPatch}
	for _, st := range strategies {
		for _, k := range kinds {
			t.Run(fmt.Sprintf("%s/strategy=%d", k.name, st), func(t *testing.T) {
				srv, url := setup(t, mockserver.Options{}, `{"name":"a","count":1}`)
				c := newClient(t, ifmatch.Options{PatchStrategy: st})
				if _, err := c.Get(ctx, url); err != nil {
					t.Fatal(err)
				}
				// Another writer renames the item after our read.
				if _, err := srv.SetDoc("/doc", []byte(`{"name":"b","count":1,"extra":true}`)); err != nil {
					t.Fatal(err)
				}
				if err := k.write(c, url); err != nil {
					t.Fatalf("write: %v", err)
				}
				got := docOf(t, srv)
				if got["name"] != "b" || got["count"] != float64(5) || got["extra"] != true {
					t.Errorf("document = %v, want name b (theirs), count 5 (ours), extra kept", got)
				}
				if s := srv.Stats(); s.Commits != 1 {
					t.Errorf("commits = %d, want 1", s.Commits)
				}
			})
		}
	}
}

func TestFailedTestIsReportedAtOnce(t *testing.T) {
	ctx := context.Background()
	for _, st := range []ifmatch.PatchStrategy{ifmatch.ApplyLocally, ifmatch.SendPatch} {
		t.Run(fmt.Sprint("strategy=", st), func(t *testing.T) {
			srv, url := setup(t, mockserver.Options{}, `{"count":1}`)
			c := newClient(t, ifmatch.Options{PatchStrategy: st})
			_, err := c.Patch(ctx, url, []byte(`[{"op":"test","path":"/count","value":7},{"op":"replace","path":"/count","value":8}]`))
			var ce *ifmatch.ConflictError
			if !errors.Is(err, ifmatch.ErrTestFailed) || !errors.Is(err, ifmatch.ErrConflict) || !errors.As(err, &ce) {
				t.Fatalf("err = %v, want a *ConflictError matching ErrTestFailed", err)
			}
			wantStatus := 0 // failed here, before anything was sent
			if st == ifmatch.SendPatch {
				wantStatus = 422 // the server refused it first
			}
			if ce.StatusCode != wantStatus {
				t.Errorf("StatusCode = %d, want %d", ce.StatusCode, wantStatus)
			}
			if s := srv.Stats(); s.Commits != 0 {
				t.Errorf("commits = %d, want 0", s.Commits)
			}
		})
	}
}

func TestInvalidPatchRejectedBeforeAnyRequest(t *testing.T) {
	srv, url := setup(t, mockserver.Options{}, `{}`)
	c := newClient(t, ifmatch.Options{})
	ctx := context.Background()
	bad := map[string]func() error{
		"patch not json":      func() error { _, err := c.Patch(ctx, url, []byte(`[{`)); return err },
		"patch not array":     func() error { _, err := c.Patch(ctx, url, []byte(`{"op":"add"}`)); return err },
		"patch bad op":        func() error { _, err := c.Patch(ctx, url, []byte(`[{"op":"frob","path":"/a"}]`)); return err },
		"patch no path":       func() error { _, err := c.Patch(ctx, url, []byte(`[{"op":"add","value":1}]`)); return err },
		"merge patch invalid": func() error { _, err := c.MergePatch(ctx, url, []byte(`{"a":`)); return err },
		"put invalid":         func() error { _, err := c.Put(ctx, url, []byte(`nope`)); return err },
		"create invalid":      func() error { _, err := c.Create(ctx, url, []byte(`{`)); return err },
		"bad url":             func() error { _, err := c.Patch(ctx, "::", []byte(`[]`)); return err },
	}
	for name, call := range bad {
		t.Run(name, func(t *testing.T) {
			if err := call(); !errors.Is(err, ifmatch.ErrInvalidChange) {
				t.Errorf("err = %v, want ErrInvalidChange", err)
			}
		})
	}
	if n := srv.Stats().Requests; len(n) != 0 {
		t.Errorf("requests sent: %v, want none", n)
	}
}

func TestNoChange(t *testing.T) {
	srv, url := setup(t, mockserver.Options{}, `{"name":"a","count":1}`)
	c := newClient(t, ifmatch.Options{})
	ctx := context.Background()
	resp, err := c.Update(ctx, url, func([]byte) ([]byte, error) { return nil, ifmatch.ErrNoChange })
	if err != nil {
		t.Fatal(err)
	}
	_, etag, _ := srv.Doc("/doc")
	if resp.StatusCode != 200 || resp.Attempts != 0 || resp.ETag != etag || string(resp.Body) != `{"name":"a","count":1}` {
		t.Errorf("resp = %d %q attempts %d etag %s, want the current document, 0 attempts", resp.StatusCode, resp.Body, resp.Attempts, resp.ETag)
	}
	v, err := ifmatch.Modify(ctx, c, url, func(it *item) error { return nil })
	if err != nil || v.Name != "a" {
		t.Errorf("Modify without change = %+v, %v", v, err)
	}
	if s := srv.Stats(); s.Commits != 0 {
		t.Errorf("commits = %d, want 0", s.Commits)
	}
}

func TestMutateErrorIsReturnedAndNothingWritten(t *testing.T) {
	srv, url := setup(t, mockserver.Options{}, `{"count":1}`)
	c := newClient(t, ifmatch.Options{})
	boom := errors.New("out of stock")
	_, err := c.Update(context.Background(), url, func([]byte) ([]byte, error) { return nil, boom })
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want the mutate function's error", err)
	}
	if s := srv.Stats(); s.Commits != 0 {
		t.Errorf("commits = %d, want 0", s.Commits)
	}
}

func TestCreatePutDelete(t *testing.T) {
	srv := mockserver.New(mockserver.Options{})
	defer srv.Close()
	c := newClient(t, ifmatch.Options{})
	ctx := context.Background()
	url := srv.URL + "/things/1"

	if _, err := c.Put(ctx, url, []byte(`{}`)); !errors.Is(err, ifmatch.ErrNoVersion) {
		t.Fatalf("Put without a version: %v, want ErrNoVersion", err)
	}
	if _, err := c.Delete(ctx, url); !errors.Is(err, ifmatch.ErrNoVersion) {
		t.Fatalf("Delete without a version: %v, want ErrNoVersion", err)
	}
	resp, err := c.Create(ctx, url, []byte(`{"v":1}`))
	if err != nil || resp.StatusCode != 201 || resp.ETag == "" {
		t.Fatalf("Create = %+v, %v", resp, err)
	}
	_, err = c.Create(ctx, url, []byte(`{"v":2}`))
	var ce *ifmatch.ConflictError
	if !errors.As(err, &ce) || ce.StatusCode != 412 || ce.Attempts != 1 {
		t.Fatalf("second Create: %v, want *ConflictError 412 after 1 attempt", err)
	}
	// Put replaces the version this Client knows.
	if _, err := c.Get(ctx, url); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Put(ctx, url, []byte(`{"v":3}`)); err != nil {
		t.Fatalf("Put: %v", err)
	}
	// A stale version is refused, never overwritten.
	if _, err := srv.SetDoc("/things/1", []byte(`{"v":"theirs"}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Put(ctx, url, []byte(`{"v":4}`)); !errors.Is(err, ifmatch.ErrConflict) {
		t.Fatalf("stale Put: %v, want ErrConflict", err)
	}
	if _, err := c.Put(ctx, url, []byte(`{"v":4}`)); !errors.Is(err, ifmatch.ErrNoVersion) {
		t.Fatalf("Put after a conflict: %v, want ErrNoVersion (the version was forgotten)", err)
	}
	if b, _, _ := srv.Doc("/things/1"); string(b) != `{"v":"theirs"}` {
		t.Errorf("document = %s, the other writer's change was overwritten", b)
	}
	if _, err := c.Get(ctx, url); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.SetDoc("/things/1", []byte(`{"v":"again"}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Delete(ctx, url); !errors.Is(err, ifmatch.ErrConflict) {
		t.Fatalf("stale Delete: %v, want ErrConflict", err)
	}
	if _, err := c.Get(ctx, url); err != nil {
		t.Fatal(err)
	}
	if resp, err := c.Delete(ctx, url); err != nil || resp.StatusCode != 204 {
		t.Fatalf("Delete = %v, %v", resp, err)
	}
	if _, _, ok := srv.Doc("/things/1"); ok {
		t.Error("document still there after Delete")
	}
	_, err = c.Get(ctx, url)
	var re *ifmatch.ResponseError
	if !errors.As(err, &re) || re.StatusCode != 404 || re.Problem == nil {
		t.Errorf("Get after Delete: %v, want *ResponseError 404 with problem details", err)
	}
}

func TestGetRevalidates(t *testing.T) {
	srv, url := setup(t, mockserver.Options{}, `{"a":1}`)
	c := newClient(t, ifmatch.Options{})
	ctx := context.Background()
	first, err := c.Get(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	second, err := c.Get(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	if second.StatusCode != 200 || string(second.Body) != `{"a":1}` || second.ETag != first.ETag {
		t.Errorf("revalidated Get = %d %s %s, want 200 with the cached body", second.StatusCode, second.Body, second.ETag)
	}
	if n := srv.Stats().Requests["GET 304"]; n != 1 {
		t.Errorf("GET 304 answers = %d, want 1", n)
	}
	// The caller may scribble on what it got without harming the cache.
	second.Body[0] = 'X'
	third, _ := c.Get(ctx, url)
	if string(third.Body) != `{"a":1}` {
		t.Errorf("cache corrupted by the caller: %s", third.Body)
	}
}

// Two principals through one Client never see each other's cached body or
// version.
func TestPrincipalsDoNotShareCache(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]string{} // Authorization -> If-None-Match / If-Match received
	srv := mockserver.New(mockserver.Options{})
	defer srv.Close()
	h := srv.Handler
	front := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.Header.Get("Authorization")+" "+r.Method] = r.Header.Get("If-None-Match") + r.Header.Get("If-Match")
		mu.Unlock()
		h.ServeHTTP(w, r)
	})
	c := newClient(t, ifmatch.Options{HTTPClient: &http.Client{Transport: handlerTransport{front}}})
	ctx := context.Background()
	if _, err := srv.SetDoc("/doc", []byte(`{"owner":"alice"}`)); err != nil {
		t.Fatal(err)
	}
	url := "http://mock.local/doc"
	if _, err := c.Get(ctx, url, ifmatch.WithHeader("Authorization", "Bearer alice")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get(ctx, url, ifmatch.WithHeader("Authorization", "Bearer bob")); err != nil {
		t.Fatal(err)
	}
	if v := seen["Bearer bob GET"]; v != "" {
		t.Errorf("bob's GET carried alice's version %q", v)
	}
	if _, err := c.Put(ctx, url, []byte(`{}`), ifmatch.WithHeader("Authorization", "Bearer carol")); !errors.Is(err, ifmatch.ErrNoVersion) {
		t.Errorf("carol's Put: %v, want ErrNoVersion (alice's version is not hers)", err)
	}
}

// handlerTransport serves requests with a handler, in process.
type handlerTransport struct{ h http.Handler }

func (ht handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := newRecorder()
	ht.h.ServeHTTP(rec, r)
	return rec.result(r), nil
}

func TestPutThreeWay(t *testing.T) {
	ctx := context.Background()
	srv, url := setup(t, mockserver.Options{}, `{"name":"a","count":1,"tags":["x"]}`)
	c := newClient(t, ifmatch.Options{ThreeWayPut: true})
	if _, err := c.Get(ctx, url); err != nil {
		t.Fatal(err)
	}
	srv.SetDoc("/doc", []byte(`{"name":"b","count":1,"tags":["x"]}`))
	// Our edit (count) and theirs (name) are disjoint: rebased.
	resp, err := c.Put(ctx, url, []byte(`{"name":"a","count":2,"tags":["x"]}`))
	if err != nil {
		t.Fatalf("disjoint Put: %v", err)
	}
	if got := docOf(t, srv); got["name"] != "b" || got["count"] != float64(2) {
		t.Errorf("document = %v, want name b (theirs) and count 2 (ours)", got)
	}
	if resp.Attempts != 2 {
		t.Errorf("Attempts = %d, want 2", resp.Attempts)
	}
	// Now both change the tags: a conflict that names the field. This
	// edit is of what the first Put committed, so it names that version.
	srv.SetDoc("/doc", []byte(`{"name":"b","count":2,"tags":["y"]}`))
	_, err = c.Put(ctx, url, []byte(`{"name":"b","count":2,"tags":["x","z"]}`), ifmatch.IfMatch(resp.ETag))
	var ce *ifmatch.ConflictError
	if !errors.As(err, &ce) || !errors.Is(err, ifmatch.ErrMergeConflict) || len(ce.Pointers) != 1 || ce.Pointers[0] != "/tags" {
		t.Fatalf("overlapping Put: %v, want *ConflictError with Pointers [/tags]", err)
	}
	if got := docOf(t, srv); fmt.Sprint(got["tags"]) != "[y]" {
		t.Errorf("tags = %v, the concurrent change was overwritten", got["tags"])
	}
}

func TestDoRebasesPut(t *testing.T) {
	srv, url := setup(t, mockserver.Options{}, `{"name":"a","count":1}`)
	c := newClient(t, ifmatch.Options{ThreeWayPut: true})
	ctx := context.Background()
	get, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := c.Do(get)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	srv.SetDoc("/doc", []byte(`{"name":"b","count":1}`))
	put, _ := http.NewRequestWithContext(ctx, http.MethodPut, url, strings.NewReader(`{"name":"a","count":5}`))
	put.Header.Set("Content-Type", "application/json")
	resp, err = c.Do(put)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("status = %d, want 200", resp.StatusCode)
	}
	if got := docOf(t, srv); got["name"] != "b" || got["count"] != float64(5) {
		t.Errorf("document = %v, want name b and count 5", got)
	}
}
