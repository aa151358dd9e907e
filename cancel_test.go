package ifmatch

import (
	"context"
	"errors"
	"net/http"
	"testing"
)

// A caller that leaves while its change is in a write in flight is told
// the outcome is unknown; one that leaves while queued is not, and its
// change is never written.
func TestCancelInFlightAndQueued(t *testing.T) {
	f := newFake(t, `{"log":[]}`)
	entered, release := make(chan struct{}), make(chan struct{})
	f.then(onlyFor(http.MethodPut, func(f *fake, w http.ResponseWriter, r *http.Request, body []byte) verdict {
		close(entered)
		<-release
		return through
	}))
	c := New(&Options{}) // group commit on
	bg := context.Background()
	if _, err := c.Get(bg, f.url()); err != nil {
		t.Fatal(err)
	}
	ctxA, cancelA := context.WithCancel(bg)
	ctxB, cancelB := context.WithCancel(bg)
	errA, errB := make(chan error, 1), make(chan error, 1)
	go func() {
		_, err := c.Patch(ctxA, f.url(), []byte(`[{"op":"add","path":"/log/-","value":"a"}]`))
		errA <- err
	}()
	<-entered // A's write is at the server
	go func() {
		_, err := c.Patch(ctxB, f.url(), []byte(`[{"op":"add","path":"/log/-","value":"b"}]`))
		errB <- err
	}()
	waitUntil(t, func() bool {
		c.lanes.mu.Lock()
		defer c.lanes.mu.Unlock()
		return len(c.lanes.m[laneKey{cacheKey: cacheKey{url: f.url()}}]) == 1
	})
	cancelB()
	if err := <-errB; !errors.Is(err, context.Canceled) || errors.Is(err, ErrOutcomeUnknown) {
		t.Errorf("queued caller: %v, want context.Canceled alone", err)
	}
	cancelA()
	if err := <-errA; !errors.Is(err, context.Canceled) || !errors.Is(err, ErrOutcomeUnknown) {
		t.Errorf("in-flight caller: %v, want context.Canceled and ErrOutcomeUnknown", err)
	}
	close(release)
	waitUntil(t, func() bool { // the server finishes a's abandoned write
		_, etag := f.current()
		return etag == `"2"`
	})
	waitUntil(t, func() bool {
		c.lanes.mu.Lock()
		defer c.lanes.mu.Unlock()
		return len(c.lanes.m) == 0
	})
	if doc, _ := f.current(); doc != `{"log":["a"]}` {
		t.Errorf("document = %s, want only a's change (b left before it was written)", doc)
	}
}
