package ifmatch_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/ifmatch/ifmatch"
	"github.com/ifmatch/ifmatch/mockserver"
)

// OData V4 services: merge patches as application/json, 428 without
// If-Match, and a stored document that differs from the one sent (fields
// the server manages, annotations dropped, properties a PUT omits kept).

// odataOptions is how a user configures ifmatch for an OData V4 service.
func odataOptions() ifmatch.Options {
	return ifmatch.Options{PatchStrategy: ifmatch.SendPatch, MergePatchContentType: "application/json"}
}

// withoutAnnotations drops the top-level OData annotations of a document.
func withoutAnnotations(t *testing.T, doc []byte) string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(doc, &m); err != nil {
		t.Fatalf("%s: %v", doc, err)
	}
	for k := range m {
		if strings.Contains(k, "@") {
			delete(m, k)
		}
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// storedJSON is what the server stores at path, as withoutAnnotations
// writes it.
func storedJSON(t *testing.T, srv *mockserver.Server, path string) string {
	t.Helper()
	b, _, ok := srv.Doc(path)
	if !ok {
		t.Fatalf("no document at %s", path)
	}
	return withoutAnnotations(t, b)
}

// seen is the document the next Update's function is first given: what
// the Client takes for the current document. (Its ErrNoChange makes the
// Client read again and call it once more, with the fresh document.)
func seen(t *testing.T, c *ifmatch.Client, url string) string {
	t.Helper()
	var got []byte
	_, err := c.Update(context.Background(), url, func(cur []byte) ([]byte, error) {
		if got == nil {
			got = cur
		}
		return nil, ifmatch.ErrNoChange
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	return withoutAnnotations(t, got)
}

type odataItem struct {
	N int `json:"n"`
}

// After every kind of write, the next Update's function sees what the
// server stores, not what was sent: from the write's answer when it
// carries the entity, and, with StoredMayDiffer, from a read when it does
// not (Prefer: return=minimal gives 204 with an ETag).
func TestStoredDocumentDiffers(t *testing.T) {
	const seedDoc = `{"keep":"me","n":1}`
	type write func(ctx context.Context, c *ifmatch.Client, url string) error
	get := func(ctx context.Context, c *ifmatch.Client, url string) error {
		_, err := c.Get(ctx, url)
		return err
	}
	do := func(method, ctype, body string) write {
		return func(ctx context.Context, c *ifmatch.Client, url string) error {
			if method == http.MethodPut {
				if err := get(ctx, c, url); err != nil {
					return err
				}
			}
			req, _ := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
			req.Header.Set("Content-Type", ctype)
			resp, err := c.Do(req)
			if err != nil {
				return err
			}
			resp.Body.Close()
			if resp.StatusCode/100 != 2 {
				return fmt.Errorf("%s: %d", method, resp.StatusCode)
			}
			return nil
		}
	}
	tests := []struct {
		name     string
		strategy ifmatch.PatchStrategy
		rfcPatch bool // the server takes the RFC patch media types, not OData's
		path     string
		write    write
	}{
		{name: "Create", path: "/new", write: func(ctx context.Context, c *ifmatch.Client, url string) error {
			_, err := c.Create(ctx, url, []byte(`{"n":5,"@odata.etag":"sent"}`))
			return err
		}},
		{name: "Put", write: func(ctx context.Context, c *ifmatch.Client, url string) error {
			if err := get(ctx, c, url); err != nil {
				return err
			}
			_, err := c.Put(ctx, url, []byte(`{"n":5}`))
			return err
		}},
		{name: "Update", write: func(ctx context.Context, c *ifmatch.Client, url string) error {
			_, err := c.Update(ctx, url, func([]byte) ([]byte, error) { return []byte(`{"n":5,"ModifiedAt":"sent"}`), nil })
			return err
		}},
		{name: "Modify", write: func(ctx context.Context, c *ifmatch.Client, url string) error {
			_, err := ifmatch.Modify(ctx, c, url, func(it *odataItem) error { it.N = 5; return nil })
			return err
		}},
		{name: "Patch ApplyLocally", write: func(ctx context.Context, c *ifmatch.Client, url string) error {
			_, err := c.Patch(ctx, url, []byte(`[{"op":"replace","path":"/n","value":5}]`))
			return err
		}},
		{name: "Patch SendPatch", strategy: ifmatch.SendPatch, rfcPatch: true, write: func(ctx context.Context, c *ifmatch.Client, url string) error {
			_, err := c.Patch(ctx, url, []byte(`[{"op":"replace","path":"/n","value":5}]`))
			return err
		}},
		{name: "MergePatch ApplyLocally", write: func(ctx context.Context, c *ifmatch.Client, url string) error {
			_, err := c.MergePatch(ctx, url, []byte(`{"n":5}`))
			return err
		}},
		{name: "MergePatch SendPatch", strategy: ifmatch.SendPatch, write: func(ctx context.Context, c *ifmatch.Client, url string) error {
			_, err := c.MergePatch(ctx, url, []byte(`{"n":5}`))
			return err
		}},
		{name: "Do PUT", write: do(http.MethodPut, "application/json", `{"n":5}`)},
		{name: "Do PATCH", write: do(http.MethodPatch, "application/json", `{"n":5}`)},
	}
	for _, tt := range tests {
		for _, minimal := range []bool{false, true} {
			name := tt.name + "/entity answer"
			if minimal {
				name = tt.name + "/minimal answer, StoredMayDiffer"
			}
			t.Run(name, func(t *testing.T) {
				mo := mockserver.ODataOptions()
				mo.ODataPatch = !tt.rfcPatch
				srv := mockserver.New(mo)
				t.Cleanup(srv.Close)
				if _, err := srv.SetDoc("/doc", []byte(seedDoc)); err != nil {
					t.Fatal(err)
				}
				o := odataOptions()
				o.PatchStrategy = tt.strategy
				if minimal {
					o.Header = http.Header{"Prefer": {"return=minimal"}}
					o.StoredMayDiffer = true
				}
				c := newClient(t, o)
				path := tt.path
				if path == "" {
					path = "/doc"
				}
				if err := tt.write(context.Background(), c, srv.URL+path); err != nil {
					t.Fatalf("write: %v", err)
				}
				want := storedJSON(t, srv, path)
				if !strings.Contains(want, `"n":5`) || !strings.Contains(want, `"ModifiedAt":"2`) {
					t.Fatalf("stored %s: the write did not happen as the test means", want)
				}
				if got := seen(t, c, srv.URL+path); got != want {
					t.Errorf("the next Update sees %s, want what the server stores: %s", got, want)
				}
			})
		}
	}
}

// Without StoredMayDiffer, a PUT answered with an ETag and no body stored
// what was sent (RFC 9110 section 9.3.4): the next Update needs no read.
func TestBodylessPutAnswerTrustsSentBody(t *testing.T) {
	_, url := setup(t, mockserver.Options{}, `{"n":1}`)
	c := newClient(t, ifmatch.Options{Header: http.Header{"Prefer": {"return=minimal"}}})
	ctx := context.Background()
	if _, err := c.Get(ctx, url); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Put(ctx, url, []byte(`{"n":2}`)); err != nil {
		t.Fatal(err)
	}
	if got := seen(t, c, url); got != `{"n":2}` {
		t.Errorf("the next Update sees %s, want the sent {\"n\":2}", got)
	}
}

// A PUT's answer is the stored document when it has every member sent, or
// when its Content-Location names the resource; otherwise (a status body)
// the sent document is taken as stored.
func TestPutAnswerIsTheDocument(t *testing.T) {
	tests := []struct {
		name, answer, location, want string
	}{
		{"every member sent", `{"n":2,"tmp":1,"at":"server"}`, "", `{"at":"server","n":2,"tmp":1}`},
		{"a status body", `{"ok":true}`, "", `{"n":2,"tmp":1}`},
		{"a member dropped, Content-Location", `{"n":2,"at":"server"}`, "/doc", `{"at":"server","n":2}`},
		{"Content-Location of another resource", `{"n":2,"at":"server"}`, "/other", `{"n":2,"tmp":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				if r.Method == http.MethodGet {
					w.Header().Set("ETag", `"1"`)
					w.Write([]byte(`{"n":1}`))
					return
				}
				if tt.location != "" {
					w.Header().Set("Content-Location", tt.location)
				}
				w.Header().Set("ETag", `"2"`)
				w.Write([]byte(tt.answer))
			}))
			t.Cleanup(srv.Close)
			c := newClient(t, ifmatch.Options{})
			ctx := context.Background()
			if _, err := c.Get(ctx, srv.URL+"/doc"); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Put(ctx, srv.URL+"/doc", []byte(`{"n":2,"tmp":1}`)); err != nil {
				t.Fatal(err)
			}
			var got []byte
			c.Update(ctx, srv.URL+"/doc", func(cur []byte) ([]byte, error) {
				if got == nil {
					got = cur
				}
				return nil, ifmatch.ErrNoChange
			})
			if s := withoutAnnotations(t, got); s != tt.want {
				t.Errorf("the next Update sees %s, want %s", s, tt.want)
			}
		})
	}
}

// The SDK sets Content-Type on its own writes after Options.Header and
// WithHeader: MergePatchContentType, not a header, chooses the media type.
func TestMergePatchContentType(t *testing.T) {
	tests := []struct {
		name   string
		opts   ifmatch.Options
		call   []ifmatch.CallOption
		status int // 0: success
	}{
		{"default media type gets 415", ifmatch.Options{PatchStrategy: ifmatch.SendPatch}, nil, 415},
		{"a Content-Type header does not win", ifmatch.Options{PatchStrategy: ifmatch.SendPatch, Header: http.Header{"Content-Type": {"application/json"}}},
			[]ifmatch.CallOption{ifmatch.WithHeader("Content-Type", "application/json")}, 415},
		{"MergePatchContentType", odataOptions(), nil, 0},
		{"MergePatchContentType over a header", odataOptions(), []ifmatch.CallOption{ifmatch.WithHeader("Content-Type", "application/merge-patch+json")}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, url := setup(t, mockserver.ODataOptions(), `{"n":1}`)
			c := newClient(t, tt.opts)
			_, err := c.MergePatch(context.Background(), url, []byte(`{"n":2}`), tt.call...)
			var re *ifmatch.ResponseError
			switch {
			case tt.status == 0 && err != nil:
				t.Fatalf("MergePatch: %v", err)
			case tt.status != 0 && (!errors.As(err, &re) || re.StatusCode != tt.status):
				t.Fatalf("MergePatch error = %v, want a *ResponseError with %d", err, tt.status)
			case tt.status == 0 && docOf(t, srv)["n"] != float64(2):
				t.Errorf("stored %v, want n 2", docOf(t, srv))
			}
		})
	}
}

// JSONPatchContentType names the media type Patch sends under SendPatch.
func TestJSONPatchContentType(t *testing.T) {
	var got string
	srv, _ := setup(t, mockserver.Options{}, `{"n":1}`)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPatch {
			got = r.Header.Get("Content-Type")
			r.Header.Set("Content-Type", "application/json-patch+json")
		}
		srv.Handler.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	c := newClient(t, ifmatch.Options{PatchStrategy: ifmatch.SendPatch, JSONPatchContentType: "application/vnd.example.patch+json"})
	if _, err := c.Patch(context.Background(), front.URL+"/doc", []byte(`[{"op":"replace","path":"/n","value":2}]`)); err != nil {
		t.Fatal(err)
	}
	if got != "application/vnd.example.patch+json" {
		t.Errorf("Content-Type = %q, want application/vnd.example.patch+json", got)
	}
}

// Do with nothing cached answers a 428 by reading the version and sending
// the request again with it.
func TestDoPreconditionRequired(t *testing.T) {
	tests := []struct {
		name, method, ctype, body string
		opts                      ifmatch.Options
		want                      string // the stored document, ModifiedAt aside; "" when deleted
	}{
		{"PUT", http.MethodPut, "application/json", `{"n":2}`, ifmatch.Options{}, `{"keep":"me","n":2}`},
		{"PATCH sent as it is", http.MethodPatch, "application/json", `{"n":2}`, ifmatch.Options{}, `{"keep":"me","n":2}`},
		{"PATCH as a merge patch", http.MethodPatch, "application/json", `{"n":2}`, odataOptions(), `{"keep":"me","n":2}`},
		{"DELETE", http.MethodDelete, "", "", ifmatch.Options{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, url := setup(t, mockserver.ODataOptions(), `{"keep":"me","n":1}`)
			c := newClient(t, tt.opts)
			resp := doReq(t, c, context.Background(), tt.method, url, tt.ctype, tt.body)
			if resp.StatusCode/100 != 2 {
				t.Fatalf("%s: %d, want 2xx", tt.method, resp.StatusCode)
			}
			doc, _, ok := srv.Doc("/doc")
			switch {
			case tt.want == "" && ok:
				t.Errorf("stored %s, want it deleted", doc)
			case tt.want != "":
				var m map[string]any
				json.Unmarshal(doc, &m)
				delete(m, "ModifiedAt")
				if got, _ := json.Marshal(m); string(got) != tt.want {
					t.Errorf("stored %s, want %s", got, tt.want)
				}
			}
		})
	}
}

// A counter on an OData-like service: concurrent Clients increment one
// entity through Update, Modify and MergePatch with SendPatch, and no
// increment is lost or fails.
func TestODataCounter(t *testing.T) {
	const clients, each = 4, 8
	incr := map[string]func(ctx context.Context, c *ifmatch.Client, url string) error{
		"Update": func(ctx context.Context, c *ifmatch.Client, url string) error {
			_, err := c.Update(ctx, url, func(cur []byte) ([]byte, error) {
				var m map[string]any
				if err := json.Unmarshal(cur, &m); err != nil {
					return nil, err
				}
				m["n"] = m["n"].(float64) + 1
				return json.Marshal(m)
			})
			return err
		},
		"Modify": func(ctx context.Context, c *ifmatch.Client, url string) error {
			_, err := ifmatch.Modify(ctx, c, url, func(it *odataItem) error { it.N++; return nil })
			return err
		},
		"MergePatch SendPatch": mergePatchIncrement,
	}
	for name, inc := range incr {
		t.Run(name, func(t *testing.T) {
			srv, url := setup(t, mockserver.ODataOptions(), `{"n":0,"name":"counter"}`)
			var wg sync.WaitGroup
			var mu sync.Mutex
			var errs []error
			for range clients {
				c := newClient(t, odataOptions())
				wg.Go(func() {
					for range each {
						if err := inc(context.Background(), c, url); err != nil {
							mu.Lock()
							errs = append(errs, err)
							mu.Unlock()
						}
					}
				})
			}
			wg.Wait()
			for _, err := range errs {
				t.Errorf("increment failed: %v", err)
			}
			doc := docOf(t, srv)
			if got, want := doc["n"], float64(clients*each); got != want || doc["name"] != "counter" {
				t.Errorf("stored %v, want n %v and the name kept", doc, want)
			}
			s := srv.Stats()
			t.Logf("%s: %d commits, %d conflicts, requests %v", name, s.Commits, s.Conflicts, s.Requests)
		})
	}
}

// mergePatchIncrement increments n with a merge patch computed from what
// it read: TrackVersions sends it on that version, and when n has changed
// since (ErrFieldsChanged) it reads again.
func mergePatchIncrement(ctx context.Context, c *ifmatch.Client, url string) error {
	for range 100 {
		op := ifmatch.TrackVersions(ctx)
		resp, err := c.Get(op, url)
		if err != nil {
			return err
		}
		var it odataItem
		if err := json.Unmarshal(resp.Body, &it); err != nil {
			return err
		}
		_, err = c.MergePatch(op, url, fmt.Appendf(nil, `{"n":%d}`, it.N+1))
		if !errors.Is(err, ifmatch.ErrFieldsChanged) {
			return err
		}
	}
	return errors.New("n changed under 100 reads in a row")
}

// With MergePatchContentType, Do takes a PATCH of that media type for a
// merge patch and rebases it on a stale version; without it, the PATCH is
// sent as it is, on the version read, and its 412 is a *ConflictError.
func TestDoMergePatchContentType(t *testing.T) {
	tests := []struct {
		name string
		opts ifmatch.Options
		want int
	}{
		{"recognized", odataOptions(), http.StatusOK},
		{"sent as it is", ifmatch.Options{}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, url := setup(t, mockserver.ODataOptions(), `{"n":1,"m":1}`)
			c := newClient(t, tt.opts)
			ctx := context.Background()
			if _, err := c.Get(ctx, url); err != nil {
				t.Fatal(err)
			}
			srv.SetDoc("/doc", []byte(`{"n":1,"m":2}`)) // another writer
			req, _ := http.NewRequestWithContext(ctx, http.MethodPatch, url, strings.NewReader(`{"n":2}`))
			req.Header.Set("Content-Type", "application/json")
			resp, err := c.Do(req)
			switch {
			case tt.want == 0 && !errors.Is(err, ifmatch.ErrConflict):
				t.Errorf("PATCH on a stale version: err = %v, want ErrConflict", err)
			case tt.want != 0 && err != nil:
				t.Fatal(err)
			case tt.want != 0 && resp.StatusCode != tt.want:
				t.Errorf("PATCH on a stale version: %d, want %d", resp.StatusCode, tt.want)
			}
		})
	}
}
