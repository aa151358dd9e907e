package ifmatch_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ifmatch/ifmatch"
)

// alwaysStale is an in-process server whose every write is refused because
// somebody else always wrote first: each GET shows a new version.
func alwaysStale() http.Handler {
	var v atomic.Int64
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet:
			w.Header().Set("ETag", fmt.Sprintf(`"%d"`, v.Add(1)))
			w.Write([]byte(`{"n":1}`))
		default:
			w.WriteHeader(http.StatusPreconditionFailed)
		}
	})
}

type fixedBackoff time.Duration

func (f fixedBackoff) NextBackOff() time.Duration { return time.Duration(f) }
func (f fixedBackoff) Reset()                     {}

func staleClient(o ifmatch.Options) *ifmatch.Client {
	o.HTTPClient = &http.Client{Transport: handlerTransport{alwaysStale()}}
	return ifmatch.New(&o)
}

func TestContextCancelledDuringBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := staleClient(ifmatch.Options{Backoff: func() ifmatch.Backoff { return fixedBackoff(10 * time.Second) }, MaxElapsed: -1})
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(3*time.Second, cancel)
		start := time.Now()
		_, err := c.Patch(ctx, "http://mock.local/doc", []byte(`[]`))
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		if d := time.Since(start); d != 3*time.Second {
			t.Errorf("returned after %v, want 3s: at the cancel, not at the end of the backoff", d)
		}
	})
}

func TestNoSleepPastDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := staleClient(ifmatch.Options{Backoff: func() ifmatch.Backoff { return fixedBackoff(10 * time.Second) }, MaxElapsed: -1})
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		start := time.Now()
		_, err := c.Patch(ctx, "http://mock.local/doc", []byte(`[]`))
		var ce *ifmatch.ConflictError
		if !errors.As(err, &ce) || ce.Attempts != 1 {
			t.Fatalf("err = %v, want *ConflictError after 1 attempt", err)
		}
		if d := time.Since(start); d != 0 {
			t.Errorf("slept %v though the backoff would end past the deadline", d)
		}
	})
}

func TestMaxElapsedStopsRetries(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := staleClient(ifmatch.Options{Backoff: func() ifmatch.Backoff { return fixedBackoff(time.Second) }, MaxElapsed: 10 * time.Second})
		start := time.Now()
		_, err := c.Patch(context.Background(), "http://mock.local/doc", []byte(`[]`))
		var ce *ifmatch.ConflictError
		if !errors.As(err, &ce) {
			t.Fatalf("err = %v, want *ConflictError", err)
		}
		if d := time.Since(start); d != 10*time.Second || ce.Attempts != 11 {
			t.Errorf("gave up after %v and %d attempts, want 10s and 11", d, ce.Attempts)
		}
	})
}

func TestDefaultBackoffStartsSmallAndGrows(t *testing.T) {
	b := ifmatch.DefaultBackoff()
	var prev time.Duration
	for i := range 12 {
		d := b.NextBackOff()
		if d < 0 {
			t.Fatalf("attempt %d: stop, want no limit of its own", i)
		}
		if i == 0 && d > 2*time.Millisecond {
			t.Errorf("first backoff %v, want about 1ms", d)
		}
		if d > 150*time.Millisecond {
			t.Errorf("attempt %d: %v, want at most 150ms", i, d)
		}
		prev = d
	}
	if prev < 50*time.Millisecond {
		t.Errorf("backoff after 12 attempts %v, want it grown to at least 50ms", prev)
	}
}

func TestRetryAfterIsCapped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var calls atomic.Int64
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if calls.Add(1) == 1 {
				w.Header().Set("Retry-After", "31536000") // a year
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			w.Header().Set("ETag", `"1"`)
			w.Write([]byte(`{}`))
		})
		c := ifmatch.New(&ifmatch.Options{HTTPClient: &http.Client{Transport: handlerTransport{h}}, RetryAfterMax: 2 * time.Second})
		start := time.Now()
		if _, err := c.Get(context.Background(), "http://mock.local/doc"); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d != 2*time.Second {
			t.Errorf("waited %v, want the 2s cap", d)
		}
	})
}
