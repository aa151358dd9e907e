package ifmatch_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/ifmatch/ifmatch"
	"github.com/ifmatch/ifmatch/mockserver"
)

func doReq(t *testing.T, c *ifmatch.Client, ctx context.Context, method, url, ctype, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	resp.Body.Close()
	return resp
}

// Within a TrackVersions context, Do bases a write on the version that
// context read, not on a newer one another goroutine brought into the
// shared Client's cache.
func TestDoTrackVersions(t *testing.T) {
	srv, url := setup(t, mockserver.Options{}, `{"name":"a","stock":10}`)
	c := newClient(t, ifmatch.Options{})
	op := ifmatch.TrackVersions(context.Background())
	doReq(t, c, op, http.MethodGet, url, "", "")
	// Another goroutine, through the same Client, changes the stock.
	if resp := doReq(t, c, context.Background(), http.MethodPatch, url, "application/merge-patch+json", `{"stock":9}`); resp.StatusCode != 200 {
		t.Fatalf("other writer: %d", resp.StatusCode)
	}
	// The first operation writes back what it read, renamed: a conflict,
	// reported as one.
	req, _ := http.NewRequestWithContext(op, http.MethodPut, url, strings.NewReader(`{"name":"b","stock":10}`))
	req.Header.Set("Content-Type", "application/json")
	if _, err := c.Do(req); !errors.Is(err, ifmatch.ErrConflict) {
		t.Errorf("PUT based on a stale read: err = %v, want ErrConflict", err)
	}
	if got := docOf(t, srv); got["stock"] != float64(9) {
		t.Errorf("stock = %v: the other writer's update was lost", got["stock"])
	}
	// Read again in the operation, and the write goes through.
	doReq(t, c, op, http.MethodGet, url, "", "")
	if resp := doReq(t, c, op, http.MethodPut, url, "application/json", `{"name":"b","stock":9}`); resp.StatusCode != 200 {
		t.Errorf("PUT after a fresh read: %d, want 200", resp.StatusCode)
	}
}

// Do shares the cache partition of the Client's own calls, credentials in
// Options.Header included.
func TestDoSharesCacheWithOptionsHeader(t *testing.T) {
	srv, url := setup(t, mockserver.Options{RequireIfMatch: true}, `{"n":1}`)
	_ = srv
	c := newClient(t, ifmatch.Options{Header: http.Header{"Authorization": {"Bearer t"}}})
	if _, err := c.Get(context.Background(), url); err != nil {
		t.Fatal(err)
	}
	if resp := doReq(t, c, context.Background(), http.MethodPut, url, "application/json", `{"n":2}`); resp.StatusCode != 200 {
		t.Errorf("PUT through Do after Get: %d, want 200 (If-Match from the cache)", resp.StatusCode)
	}
}
