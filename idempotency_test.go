package ifmatch

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// With idempotency keys, a write whose answer was lost is retried with the
// same key, and the server's replay of the original answer ends the call;
// after a rebase, the next write carries a new key.
func TestIdempotencyKeys(t *testing.T) {
	f := newFake(t, `{"n":1}`)
	var mu sync.Mutex
	var keys []string
	seen := map[string]*httptest.ResponseRecorder{}
	// A key-honoring front: it stores each keyed write's answer and replays it.
	keyed := func(f *fake, w http.ResponseWriter, r *http.Request, body []byte) verdict {
		k := r.Header.Get("Idempotency-Key")
		if r.Method != http.MethodPut {
			return skip
		}
		mu.Lock()
		keys = append(keys, k)
		rec := seen[k]
		mu.Unlock()
		if rec == nil {
			rec = httptest.NewRecorder()
			f.mu.Lock()
			f.store(rec, r, body)
			f.mu.Unlock()
			mu.Lock()
			seen[k] = rec
			mu.Unlock()
		}
		for h, v := range rec.Header() {
			w.Header()[h] = v
		}
		w.WriteHeader(rec.Code)
		return done
	}
	dropAfter := func(f *fake, w http.ResponseWriter, r *http.Request, body []byte) verdict {
		if r.Method != http.MethodPut {
			return skip
		}
		f.leave()
		keyed(f, httptest.NewRecorder(), r, body)
		dropConn(f.t, w)
		return left
	}
	o := testOptions()
	o.IdempotencyKeys = true
	c := New(o)
	ctx := context.Background()
	if _, err := c.Get(ctx, f.url()); err != nil {
		t.Fatal(err)
	}
	// First write: committed, answer lost; the retry is replayed.
	f.then(dropAfter, keyed)
	resp, err := c.Patch(ctx, f.url(), incr)
	if err != nil {
		t.Fatalf("Patch after a lost answer: %v, want the replayed success (keys %q)", err, keys)
	}
	if resp.Attempts != 2 {
		t.Errorf("Attempts = %d, want 2", resp.Attempts)
	}
	if doc, etag := f.current(); doc != `{"n":2}` || etag != `"2"` {
		t.Errorf("document %s version %s: want one commit", doc, etag)
	}
	// Second write meets another writer: rebased with a new key.
	interfered := func(f *fake, w http.ResponseWriter, r *http.Request, body []byte) verdict {
		if r.Method != http.MethodPut {
			return skip
		}
		f.set(`{"n":5}`)
		return keyed(f, w, r, body)
	}
	f.then(interfered, keyed)
	_, err = c.Patch(ctx, f.url(), []byte(`[{"op":"add","path":"/m","value":1}]`))
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(keys) != 4 || keys[0] != keys[1] || keys[2] == keys[3] || keys[1] == keys[2] || keys[0] == "" {
		t.Errorf("keys = %q, want [k1 k1 k2 k3]: the same key across one attempt's retries, a new one after a rebase", keys)
	}
}
