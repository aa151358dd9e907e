package integration

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ifmatch/ifmatch"
)

const lockBody = `<?xml version="1.0" encoding="utf-8"?>
<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner>ifmatch-test</D:owner></D:lockinfo>`

// A WebDAV lock held by somebody else makes lighttpd answer 423 Locked:
// ifmatch waits it out with backoff, without a rebase, and the write goes
// through once the lock is released.
func TestLighttpdLockIsWaitedOut(t *testing.T) {
	ctx := testContext(t)
	url := lighttpdDoc(t)
	hc := plainClient(t)
	var locked atomic.Int64
	c := ifmatch.New(&ifmatch.Options{
		HTTPClient: &http.Client{Transport: loopbackTransport(t)},
		OnConflict: func(_ context.Context, i ifmatch.ConflictInfo) {
			if i.StatusCode == http.StatusLocked {
				locked.Add(1)
			}
		},
	})
	create(t, ctx, c, url, []byte(`{"n":1}`))

	status, h, body := plainDo(t, ctx, hc, "LOCK", url,
		http.Header{"Content-Type": {"application/xml"}, "Timeout": {"Second-30"}}, []byte(lockBody))
	token := h.Get("Lock-Token")
	if status != http.StatusOK || token == "" {
		t.Fatalf("LOCK: %d %s, token %q", status, body, token)
	}
	released := make(chan struct{})
	go func() {
		defer close(released)
		for locked.Load() < 2 { // ifmatch has met the lock at least twice
			time.Sleep(5 * time.Millisecond)
		}
		status, _, _ := plainDo(t, ctx, hc, "UNLOCK", url, http.Header{"Lock-Token": {token}}, nil)
		if status/100 != 2 {
			t.Errorf("UNLOCK: %d", status)
		}
	}()
	resp, err := c.Patch(ctx, url, []byte(`[{"op":"replace","path":"/n","value":2}]`))
	<-released
	if err != nil {
		t.Fatalf("Patch while locked: %v", err)
	}
	if got := readDoc(t, ctx, hc, url); got["n"] != float64(2) {
		t.Errorf("document = %v, want n 2", got)
	}
	st := c.Stats()
	t.Logf("met the lock %d times; %d write requests; %d rebases", locked.Load(), resp.Attempts, st.Rebases)
	if st.Rebases != 0 {
		t.Errorf("rebases = %d, want 0: a lock is not a version conflict", st.Rebases)
	}
}
