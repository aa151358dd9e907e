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
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ifmatch/ifmatch"
	"github.com/ifmatch/ifmatch/mockserver"
)

// stockItem is what a generated client reads and writes back whole.
type stockItem struct {
	Name  string `json:"name"`
	Stock int    `json:"stock"`
}

// itemAPI is a generated client's shape: an *http.Client, typed GET and
// PUT, and any non-2xx answer turned into an error of its own that knows
// nothing of ifmatch. With ownIfMatch it sends the ETag it read as
// If-Match itself, as clients generated from specs with an If-Match
// parameter do.
type itemAPI struct {
	hc         *http.Client
	url        string
	ownIfMatch bool
	etag       string
}

type apiError struct{ status int }

func (e *apiError) Error() string { return fmt.Sprintf("api: unexpected status %d", e.status) }

func (a *itemAPI) get(ctx context.Context) (stockItem, error) {
	var it stockItem
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, a.url, nil)
	resp, err := a.hc.Do(req)
	if err != nil {
		return it, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return it, &apiError{resp.StatusCode}
	}
	a.etag = resp.Header.Get("ETag")
	return it, json.NewDecoder(resp.Body).Decode(&it)
}

func (a *itemAPI) put(ctx context.Context, it stockItem) error {
	body, _ := json.Marshal(it)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPut, a.url, strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	if a.ownIfMatch {
		req.Header.Set("If-Match", a.etag)
	}
	resp, err := a.hc.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return &apiError{resp.StatusCode}
	}
	return nil
}

// decrement is a generated client's read-compute-write.
func (a itemAPI) decrement(ctx context.Context) error {
	// a value receiver: each call has its own ETag
	it, err := a.get(ctx)
	if err != nil {
		return err
	}
	it.Stock--
	return a.put(ctx, it)
}

// Without a scope, a PUT through StandardClient is never based on a
// version its caller did not read: when reads have handed out versions that
// no write has claimed, the write is refused with ErrNoVersion, naming the
// fix, instead of overwriting a change its caller never saw.
func TestDoRefusesAnUnknownBase(t *testing.T) {
	srv, url := setup(t, mockserver.Options{}, `{"name":"a","stock":10}`)
	c := newClient(t, ifmatch.Options{})
	api := &itemAPI{hc: c.StandardClient(), url: url}
	ctx := context.Background()

	mine, err := api.get(ctx) // this caller reads version 1
	if err != nil {
		t.Fatal(err)
	}
	if err := api.decrement(ctx); err != nil { // another goroutine: 10 → 9
		t.Fatal(err)
	}
	if _, err := api.get(ctx); err != nil { // a third reads version 2
		t.Fatal(err)
	}
	mine.Stock-- // computed from what this caller read: 9
	err = api.put(ctx, mine)
	if !errors.Is(err, ifmatch.ErrNoVersion) || !strings.Contains(err.Error(), "TrackVersions") {
		t.Fatalf("PUT of a body read at version 1 after version 2 was read: err = %v, want ErrNoVersion naming TrackVersions", err)
	}
	if got := docOf(t, srv)["stock"]; got != 9.0 {
		t.Errorf("stock = %v, want 9: the other writer's decrement must stand", got)
	}
}

// The single-goroutine sequence GET → PUT through a generated client keeps
// working without a scope, read after read, even when another reader
// shared a version.
func TestDoSequenceWithoutScope(t *testing.T) {
	srv, url := setup(t, mockserver.Options{}, `{"name":"a","stock":10}`)
	c := newClient(t, ifmatch.Options{})
	api := &itemAPI{hc: c.StandardClient(), url: url}
	ctx := context.Background()
	for i := range 5 {
		if err := api.decrement(ctx); err != nil {
			t.Fatalf("decrement %d: %v", i, err)
		}
	}
	if got := docOf(t, srv)["stock"]; got != 5.0 {
		t.Errorf("stock = %v, want 5", got)
	}
}

// runDecrements runs writers × each decrements through api, each wrapped
// by wrap, and reports successes and failures.
func runDecrements(api itemAPI, writers, each int, wrap func(ctx context.Context, fn func(context.Context) error) error) (ok int64, failed []error) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	var n atomic.Int64
	for range writers {
		wg.Go(func() {
			for range each {
				err := wrap(context.Background(), api.decrement)
				if err == nil {
					n.Add(1)
					continue
				}
				mu.Lock()
				failed = append(failed, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return n.Load(), failed
}

// 16 goroutines decrement one stockItem through a generated client over
// StandardClient, no scope: nothing is lost, and each failure is a
// conflict the API returned (412) or a refusal naming the fix.
func TestDoConcurrentWithoutScope(t *testing.T) {
	const writers, each, start = 16, 10, 1000
	srv, url := setup(t, mockserver.Options{}, fmt.Sprintf(`{"name":"a","stock":%d}`, start))
	c := newClient(t, ifmatch.Options{})
	ok, failed := runDecrements(itemAPI{hc: c.StandardClient(), url: url}, writers, each,
		func(ctx context.Context, fn func(context.Context) error) error { return fn(ctx) })
	for _, err := range failed {
		switch {
		case errors.Is(err, ifmatch.ErrConflict) && strings.Contains(err.Error(), "RetryOnConflict"):
		case errors.Is(err, ifmatch.ErrNoVersion) && strings.Contains(err.Error(), "RetryOnConflict"):
		default:
			t.Errorf("failure %v is neither a conflict nor a refusal that names the fix", err)
		}
	}
	if got, want := docOf(t, srv)["stock"], float64(start-ok); got != want {
		t.Errorf("stock = %v after %d successful decrements, want %v: %v lost silently", got, ok, want, got.(float64)-want)
	}
}

// RetryOnConflict around a generated client's read-compute-write: 16
// goroutines, every decrement done once, none lost, none failed, although
// the generated client turns the 412 into an error of its own.
func TestRetryOnConflictGeneratedClient(t *testing.T) {
	const writers, each, start = 16, 10, 1000
	srv, url := setup(t, mockserver.Options{}, fmt.Sprintf(`{"name":"a","stock":%d}`, start))
	c := newClient(t, ifmatch.Options{MaxElapsed: -1})
	ok, failed := runDecrements(itemAPI{hc: c.StandardClient(), url: url}, writers, each,
		func(ctx context.Context, fn func(context.Context) error) error {
			return ifmatch.RetryOnConflict(ctx, c, fn)
		})
	if len(failed) > 0 {
		t.Errorf("%d of %d decrements failed with an error, first: %v", len(failed), writers*each, failed[0])
	}
	if got, want := docOf(t, srv)["stock"], float64(start-ok); got != want {
		t.Errorf("stock = %v after %d successful decrements, want %v: lost silently or doubled", got, ok, want)
	}
}

// When its attempts run out, RetryOnConflict's error matches ErrConflict
// and still holds the caller's own error: here a generated client that
// sends its own If-Match, gets the 412 as a response (the caller's
// version: Do returns its answer) and makes an error of its own of it.
func TestRetryOnConflictGivesUp(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			w.Header().Set("ETag", fmt.Sprintf(`"%d"`, time.Now().UnixNano()))
			io.WriteString(w, `{"name":"a","stock":1}`)
			return
		}
		w.WriteHeader(http.StatusPreconditionFailed) // always someone faster
	}))
	defer srv.Close()
	c := newClient(t, ifmatch.Options{MaxAttempts: 3})
	api := &itemAPI{hc: c.StandardClient(), url: srv.URL + "/stockItem", ownIfMatch: true}
	runs := 0
	err := ifmatch.RetryOnConflict(context.Background(), c, func(ctx context.Context) error {
		runs++
		return api.decrement(ctx)
	})
	var ae *apiError
	if !errors.Is(err, ifmatch.ErrConflict) || !errors.As(err, &ae) {
		t.Fatalf("err = %v, want ErrConflict holding the caller's *apiError", err)
	}
	if runs != 3 {
		t.Errorf("fn ran %d times, want 3 (MaxAttempts)", runs)
	}
}

// A write whose outcome is unknown is never retried blindly: the attempt's
// error is returned at once, matching ErrOutcomeUnknown, whatever the
// caller's code made of it.
func TestRetryOnConflictOutcomeUnknown(t *testing.T) {
	var puts atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			w.Header().Set("ETag", `"1"`)
			io.WriteString(w, `{"name":"a","stock":1}`)
			return
		}
		puts.Add(1)
		hj, _ := w.(http.Hijacker)
		conn, _, _ := hj.Hijack()
		conn.Close() // committed or not: nobody can tell
	}))
	defer srv.Close()
	c := newClient(t, ifmatch.Options{RetryMax: -1})
	api := &itemAPI{hc: c.StandardClient(), url: srv.URL + "/stockItem"}
	runs := 0
	err := ifmatch.RetryOnConflict(context.Background(), c, func(ctx context.Context) error {
		runs++
		if err := api.decrement(ctx); err != nil {
			return fmt.Errorf("decrement failed: %v", err) // the cause's type is lost here
		}
		return nil
	})
	if !errors.Is(err, ifmatch.ErrOutcomeUnknown) {
		t.Fatalf("err = %v, want ErrOutcomeUnknown", err)
	}
	if runs != 1 || puts.Load() != 1 {
		t.Errorf("fn ran %d times and sent %d PUTs, want 1 and 1", runs, puts.Load())
	}
}

// hiddenChange serves a document whose weak ETag W/"t" does not change when
// another writer changes the content (as size and mtime tags can), turns
// strong ("t") afterwards, and compares If-Match strongly.
type hiddenChange struct {
	mu     sync.Mutex
	doc    string
	strong bool
}

func (h *hiddenChange) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	tag := `W/"t"`
	if h.strong {
		tag = `"t"`
	}
	switch {
	case r.Method == http.MethodGet:
		w.Header().Set("ETag", tag)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, h.doc)
	case r.Header.Get("If-Match") != `"t"` || !h.strong:
		w.WriteHeader(http.StatusPreconditionFailed)
	default:
		h.doc = string(body)
		w.Header().Set("ETag", `"u"`)
	}
}

// A weak tag refused and then seen strong is resent in its strong form only
// when the document is still the one read: a change the weak tag hid is a
// conflict, never overwritten.
func TestWeakETagHidesAChange(t *testing.T) {
	h := &hiddenChange{doc: `{"owner":"aa","n":1}`}
	srv := httptest.NewServer(h)
	defer srv.Close()
	c := newClient(t, ifmatch.Options{})
	ctx := context.Background()
	url := srv.URL + "/doc"
	if _, err := c.Get(ctx, url); err != nil {
		t.Fatal(err)
	}
	h.mu.Lock()
	h.doc, h.strong = `{"owner":"bb","n":1}`, true // another writer; the tag did not change
	h.mu.Unlock()
	_, err := c.Put(ctx, url, []byte(`{"owner":"aa","n":2}`))
	if !errors.Is(err, ifmatch.ErrConflict) {
		t.Errorf("Put over a change the weak tag hid: err = %v, want ErrConflict", err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.doc != `{"owner":"bb","n":1}` {
		t.Errorf("server holds %s: the other writer's change was overwritten", h.doc)
	}
}

// Put and Delete on a weak tag that never turns strong end, under a
// deadline, with ErrETagRejected or an error matching
// context.DeadlineExceeded, never a plain conflict.
func TestWeakETagPutDeleteDeadline(t *testing.T) {
	for _, name := range []string{"Put", "Delete"} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c := inBubble(foreverWeak(`W/"t1"`), ifmatch.Options{MaxElapsed: -1})
				ctx, cancel := context.WithTimeout(context.Background(), 4*time.Second)
				defer cancel()
				const url = "http://mock.local/doc"
				if _, err := c.Get(ctx, url); err != nil {
					t.Fatal(err)
				}
				var err error
				if name == "Put" {
					_, err = c.Put(ctx, url, []byte(`{"n":2}`))
				} else {
					_, err = c.Delete(ctx, url)
				}
				if !errors.Is(err, ifmatch.ErrETagRejected) && !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("err = %v, want ErrETagRejected or context.DeadlineExceeded", err)
				}
			})
		})
	}
}

// One rule for answers that are not JSON: Get, Update, Modify and the
// patches all refuse them with ErrInvalidResponse.
func TestNonJSONAnswer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("ETag", `"1"`)
		io.WriteString(w, "<html>maintenance</html>")
	}))
	defer srv.Close()
	c := newClient(t, ifmatch.Options{})
	ctx := context.Background()
	url := srv.URL + "/doc"
	calls := map[string]func() error{
		"Get": func() error { _, err := c.Get(ctx, url); return err },
		"Update": func() error {
			_, err := c.Update(ctx, url, func(b []byte) ([]byte, error) { return b, nil })
			return err
		},
		"Modify": func() error {
			_, err := ifmatch.Modify(ctx, c, url, func(*stockItem) error { return nil })
			return err
		},
		"MergePatch": func() error { _, err := c.MergePatch(ctx, url, []byte(`{"a":1}`)); return err },
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, ifmatch.ErrInvalidResponse) {
			t.Errorf("%s of a text/html page: err = %v, want ErrInvalidResponse", name, err)
		}
	}
	// Do is an http.Client's door: it returns the page as it came.
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("Do GET of a text/html page: %v", err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(page) != "<html>maintenance</html>" {
		t.Errorf("Do GET: %d %q, want the page as it came", resp.StatusCode, page)
	}
}

// A RetryOnConflict inside another's attempt never waits for the turn its
// caller holds: nested, they finish.
func TestRetryOnConflictNested(t *testing.T) {
	var puts atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			w.Header().Set("ETag", fmt.Sprintf(`"%d"`, puts.Load()))
			io.WriteString(w, `{"name":"a","stock":10}`)
			return
		}
		if puts.Add(1) <= 2 {
			w.WriteHeader(http.StatusPreconditionFailed) // the first two writes lose
			return
		}
		w.Header().Set("ETag", fmt.Sprintf(`"%d"`, puts.Load()))
	}))
	defer srv.Close()
	c := newClient(t, ifmatch.Options{})
	api := itemAPI{hc: c.StandardClient(), url: srv.URL + "/item"}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	runs := 0
	err := ifmatch.RetryOnConflict(ctx, c, func(ctx context.Context) error {
		if runs++; runs == 1 {
			return api.decrement(ctx) // loses: the retry runs in the resource's turn
		}
		return ifmatch.RetryOnConflict(ctx, c, api.decrement) // loses once more, inside that turn
	})
	if err != nil {
		t.Fatalf("nested RetryOnConflict: %v", err)
	}
	if runs != 2 || puts.Load() != 3 {
		t.Errorf("outer ran %d times, %d PUTs; want 2 and 3", runs, puts.Load())
	}
}

// RetryOnConflict cut short by the context's deadline ends with an error
// matching ErrConflict and context.DeadlineExceeded, holding the caller's
// own error, and never sleeps past the deadline.
func TestRetryOnConflictDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		always412 := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodGet {
				w.Header().Set("ETag", `"1"`)
				io.WriteString(w, `{"name":"a","stock":1}`)
				return
			}
			w.WriteHeader(http.StatusPreconditionFailed)
		})
		c := inBubble(always412, ifmatch.Options{MaxElapsed: -1,
			Backoff: func() ifmatch.Backoff { return fixedBackoff(300 * time.Millisecond) }})
		api := &itemAPI{hc: c.StandardClient(), url: "http://mock.local/item", ownIfMatch: true}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		start := time.Now()
		err := ifmatch.RetryOnConflict(ctx, c, api.decrement)
		var ae *apiError
		if !errors.Is(err, ifmatch.ErrConflict) || !errors.Is(err, context.DeadlineExceeded) || !errors.As(err, &ae) {
			t.Errorf("err = %v, want ErrConflict and context.DeadlineExceeded holding the caller's *apiError", err)
		}
		if took := time.Since(start); took > 2*time.Second {
			t.Errorf("returned after %v, past the 2s deadline", took)
		}
	})
}
