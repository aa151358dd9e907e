package ifmatch_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ifmatch/ifmatch"
)

// Transport retries go through senders pooled across Clients (retry.go):
// two Clients with their own OnRetry hooks, sending at the same time
// through answers that need a retry, each see only their own retries, and
// count only their own requests.
func TestSenderPoolKeepsClientsApart(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]bool{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		first := !seen[r.URL.Path]
		seen[r.URL.Path] = true
		mu.Unlock()
		if first {
			w.WriteHeader(http.StatusServiceUnavailable) // once per path: one transport retry each
			return
		}
		w.Header().Set("ETag", `"1"`)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"n":1}`)
	}))
	t.Cleanup(srv.Close)

	const calls = 40
	type client struct {
		name string
		c    *ifmatch.Client
		mu   sync.Mutex
		urls []string
	}
	var clients []*client
	for _, name := range []string{"a", "b"} {
		cl := &client{name: name}
		cl.c = ifmatch.New(&ifmatch.Options{
			RetryWaitMin: time.Millisecond, RetryWaitMax: 2 * time.Millisecond,
			OnRetry: func(_ context.Context, ri ifmatch.RetryInfo) {
				cl.mu.Lock()
				cl.urls = append(cl.urls, ri.URL)
				cl.mu.Unlock()
			},
		})
		clients = append(clients, cl)
	}
	// Rounds of one call per Client at a time, so that the senders the
	// pool hands out were used by the other Client in an earlier round.
	for i := range calls {
		var wg sync.WaitGroup
		for _, cl := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := cl.c.Get(context.Background(), fmt.Sprintf("%s/%s/%d", srv.URL, cl.name, i)); err != nil {
					t.Errorf("client %s, GET %d: %v", cl.name, i, err)
				}
			}()
		}
		wg.Wait()
	}
	for _, cl := range clients {
		if len(cl.urls) != calls {
			t.Errorf("client %s: OnRetry called %d times, want %d (one per call)", cl.name, len(cl.urls), calls)
		}
		for _, u := range cl.urls {
			if !strings.Contains(u, "/"+cl.name+"/") {
				t.Errorf("client %s: OnRetry saw %s, a request of the other client", cl.name, u)
			}
		}
		st := cl.c.Stats()
		if st.Requests != 2*calls || st.TransportRetries != calls {
			t.Errorf("client %s: %d requests, %d transport retries, want %d and %d", cl.name, st.Requests, st.TransportRetries, 2*calls, calls)
		}
	}
}
