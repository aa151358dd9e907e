package ifmatch

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

	"github.com/cenkalti/backoff/v4"
)

// One classification of a write's answer for every path (issue 10).

// Do in the situation where Put returns ErrOutcomeUnknown returns it too:
// a PUT commits, its answer is lost, the retry meets 412 (case 3).
func TestDoLostAnswerThenStale(t *testing.T) {
	ctx := context.Background()
	f := newFake(t, `{"n":1}`)
	c := New(testOptions())
	get, _ := http.NewRequestWithContext(ctx, http.MethodGet, f.url(), nil)
	resp, err := c.Do(get)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	f.requests()
	f.then(commitThenDrop())
	put, _ := http.NewRequestWithContext(ctx, http.MethodPut, f.url(), strings.NewReader(`{"n":2}`))
	put.Header.Set("Content-Type", "application/json")
	resp, err = c.Do(put)
	if !errors.Is(err, ErrOutcomeUnknown) {
		if resp != nil {
			resp.Body.Close()
		}
		t.Fatalf("Do: %v (status %v), want ErrOutcomeUnknown", err, resp != nil && resp.StatusCode != 0)
	}
	if got := f.requests(); len(got) != 2 || got[0] != `PUT "1"` || got[1] != `PUT "1"` {
		t.Errorf("requests = %q, want the PUT and its retry with the same version", got)
	}
}

// A lost answer followed by a conflict is unknown even with idempotency
// keys, when the server did not replay the first answer (issue 11, 1b):
// never a rebase that commits the change a second time.
func TestKeysIgnoredLostAnswerIsUnknown(t *testing.T) {
	ctx := context.Background()
	f := newFake(t, `{"n":1}`)
	o := testOptions()
	o.IdempotencyKeys = true
	c := New(o)
	if _, err := c.Get(ctx, f.url()); err != nil {
		t.Fatal(err)
	}
	f.then(onlyFor(http.MethodPut, commitThenDrop()))
	_, err := c.Update(ctx, f.url(), increment)
	if !errors.Is(err, ErrOutcomeUnknown) {
		t.Fatalf("Update: %v, want ErrOutcomeUnknown", err)
	}
	if doc, _ := f.current(); doc != `{"n":2}` {
		t.Errorf("document = %s, want {\"n\":2}: the increment was applied twice", doc)
	}
}

func increment(cur []byte) ([]byte, error) {
	var d struct{ N int }
	if err := json.Unmarshal(cur, &d); err != nil {
		return nil, err
	}
	return []byte(fmt.Sprintf(`{"n":%d}`, d.N+1)), nil
}

// keyServer honors idempotency keys like the IETF draft: a key seen while
// its first request is being processed is answered 409; once processed, the
// first answer is replayed. The first request of each key is slow.
type keyServer struct {
	*fake
	slow    time.Duration
	mu      sync.Mutex
	answers map[string]*[2]any // key → {status, etag}; nil entry: in flight
	commits int
}

func newKeyServer(t *testing.T, slow time.Duration) *keyServer {
	k := &keyServer{slow: slow, answers: map[string]*[2]any{}}
	k.fake = newFake(t, `{"n":1}`)
	var serve step
	serve = func(f *fake, w http.ResponseWriter, r *http.Request, body []byte) verdict {
		key := r.Header.Get("Idempotency-Key")
		if r.Method != http.MethodPut || key == "" {
			return skip
		}
		k.mu.Lock()
		a, seen := k.answers[key]
		if !seen {
			k.answers[key] = nil
		}
		k.mu.Unlock()
		switch {
		case seen && a == nil:
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusConflict)
			fmt.Fprint(w, `{"title":"request in flight","status":409}`)
		case seen:
			w.Header().Set("ETag", a[1].(string))
			w.WriteHeader(a[0].(int))
		default:
			time.Sleep(k.slow)
			rec := newRecorderFor(f, r, body)
			k.mu.Lock()
			k.answers[key] = &[2]any{rec.status, rec.etag}
			if rec.status == http.StatusOK {
				k.commits++
			}
			k.mu.Unlock()
			w.Header().Set("ETag", rec.etag)
			w.WriteHeader(rec.status)
		}
		f.then(serve) // the step stays for every request
		return done
	}
	k.fake.then(serve)
	return k
}

type storeResult struct {
	status int
	etag   string
}

// newRecorderFor lets the fake's store answer r and reports what it said.
func newRecorderFor(f *fake, r *http.Request, body []byte) storeResult {
	f.mu.Lock()
	defer f.mu.Unlock()
	rec := &statusRecorder{header: http.Header{}}
	f.store(rec, r, body)
	return storeResult{rec.code, rec.header.Get("ETag")}
}

type statusRecorder struct {
	header http.Header
	code   int
}

func (s *statusRecorder) Header() http.Header         { return s.header }
func (s *statusRecorder) Write(b []byte) (int, error) { return len(b), nil }
func (s *statusRecorder) WriteHeader(code int)        { s.code = code }

// A 409 for our own key still in flight is waited out and the same key
// sent again: never a rebase with a new key (issue 11, 1a).
func TestKeyInFlightIsWaitedOut(t *testing.T) {
	ctx := context.Background()
	k := newKeyServer(t, 150*time.Millisecond)
	o := testOptions()
	o.IdempotencyKeys = true
	o.AttemptTimeout = 50 * time.Millisecond
	c := New(o)
	if _, err := c.Get(ctx, k.url()); err != nil {
		t.Fatal(err)
	}
	_, err := c.Update(ctx, k.url(), increment)
	if err != nil && !errors.Is(err, ErrOutcomeUnknown) {
		t.Fatalf("Update: %v, want success or ErrOutcomeUnknown", err)
	}
	k.mu.Lock()
	commits := k.commits
	k.mu.Unlock()
	if doc, _ := k.current(); commits != 1 || doc != `{"n":2}` {
		t.Errorf("%d commits, document %s: want one increment", commits, doc)
	}
}

// A context deadline that ends the conflict retries returns a
// *ConflictError matching context.DeadlineExceeded too (issue 10, case 7).
func TestDeadlineEndsConflictRetries(t *testing.T) {
	f := newFake(t, `{"n":1}`)
	for range 20 {
		f.then(onlyFor(http.MethodPut, writeFirst(`{"n":100}`)))
	}
	o := testOptions()
	// The first backoff ends past the deadline, however long the first
	// read and write took (a 20 ms deadline could end during them on a
	// busy machine, which is a different outcome).
	o.MaxElapsed = -1
	o.Backoff = func() Backoff { return backoff.NewConstantBackOff(time.Hour) }
	c := New(o)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := c.Update(ctx, f.url(), increment)
	if !errors.Is(err, ErrConflict) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Update: %v, want an error matching ErrConflict and context.DeadlineExceeded", err)
	}
}

// blockPUT holds the next PUT until release is closed, telling arrived
// when it is held, then lets then answer it.
func blockPUT(arrived chan<- struct{}, release <-chan struct{}, then step) step {
	return func(f *fake, w http.ResponseWriter, r *http.Request, body []byte) verdict {
		if r.Method != http.MethodPut {
			return skip
		}
		arrived <- struct{}{}
		<-release
		if then == nil {
			return through
		}
		return then(f, w, r, body)
	}
}

// queued reports how many callers wait in the lane of url.
func queued(c *Client, url string) int {
	t, _ := c.target(url, nil)
	c.lanes.mu.Lock()
	defer c.lanes.mu.Unlock()
	return len(c.lanes.m[t.lane])
}

// Group commit tells "outcome unknown" only to callers whose change was in
// the write whose answer was lost; callers that joined meanwhile are
// written after, and Stats counts what callers saw (issue 10, case 6).
func TestGroupLostAnswerOnlyItsMembers(t *testing.T) {
	ctx := context.Background()
	f := newFake(t, `{"n":0}`)
	arrived, release1, release2 := make(chan struct{}), make(chan struct{}), make(chan struct{})
	f.then(blockPUT(arrived, release1, nil), blockPUT(arrived, release2, commitThenDrop()))
	c := New(&Options{RetryWaitMin: time.Millisecond, RetryWaitMax: 5 * time.Millisecond})
	type outcome struct {
		group int
		err   error
	}
	results := make(chan outcome, 8)
	update := func(group int) {
		_, err := c.Update(ctx, f.url(), increment)
		results <- outcome{group, err}
	}
	go update(0) // leads inline; its PUT is held
	<-arrived
	for range 3 {
		go update(1) // queue behind it: the lane's first group
	}
	waitUntil(t, func() bool { return queued(c, f.url()) == 3 })
	close(release1) // the leader commits; the group's PUT is held next
	<-arrived
	for range 4 {
		go update(2) // join while the group's write is out
	}
	waitUntil(t, func() bool { return queued(c, f.url()) == 4 })
	close(release2) // the group's PUT commits and its answer is lost
	unknown := map[int]int{}
	for range 8 {
		o := <-results
		switch {
		case errors.Is(o.err, ErrOutcomeUnknown):
			unknown[o.group]++
		case o.err != nil:
			t.Errorf("group %d: %v", o.group, o.err)
		}
	}
	if unknown[1] != 3 || unknown[0]+unknown[2] != 0 {
		t.Errorf("unknown outcomes by group = %v, want only the 3 callers of the lost write", unknown)
	}
	if doc, _ := f.current(); doc != `{"n":8}` {
		t.Errorf("document = %s, want {\"n\":8}: each change applied once", doc)
	}
	if got := c.Stats().OutcomeUnknown; got != 3 {
		t.Errorf("Stats.OutcomeUnknown = %d, want 3 (what callers saw)", got)
	}
}
