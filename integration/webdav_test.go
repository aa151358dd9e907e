package integration

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ifmatch/ifmatch"
)

// Checks shared by the WebDAV servers (lighttpd, Apache httpd): each runs
// them with its own way of making a document and a Client.

// webdav is one WebDAV server under test.
type webdav struct {
	env string // the variable holding its URL
	// settle is how long a document must stay unwritten before its ETag is
	// strong (Apache's weak window; 0 for lighttpd).
	settle time.Duration
}

var (
	lighttpd = webdav{env: "LIGHTTPD_URL"}
	apache   = webdav{env: "APACHE_URL", settle: apacheWeakWindow}
)

// doc returns the URL of a fresh document on the server, deleted after t.
func (s webdav) doc(t *testing.T) string {
	t.Helper()
	u := peerURL(t, s.env) + "/" + uniqueName(t) + ".json"
	hc := plainClient(t)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodDelete, u, nil)
		if resp, err := hc.Do(req); err == nil {
			resp.Body.Close()
		}
	})
	return u
}

// client returns a Client with default options that counts its requests.
func (s webdav) client(t *testing.T) (*ifmatch.Client, *counter) {
	cnt := newCounter(loopbackTransport(t))
	return ifmatch.New(&ifmatch.Options{HTTPClient: &http.Client{Transport: cnt}}), cnt
}

// createTwiceConflicts: a second Create, by the same Client or another,
// is a conflict and leaves the first document.
func (s webdav) createTwiceConflicts(t *testing.T) {
	ctx := testContext(t)
	url := s.doc(t)
	a, _ := s.client(t)
	b, _ := s.client(t)
	create(t, ctx, a, url, []byte(`{"owner":"a"}`))
	for name, c := range map[string]*ifmatch.Client{"same client": a, "other client": b} {
		_, err := c.Create(ctx, url, []byte(`{"owner":"b"}`))
		wantConflict(t, "second Create by "+name, err, http.StatusPreconditionFailed)
	}
	wantDoc(t, ctx, plainClient(t), url, map[string]any{"owner": "a"})
}

// patchTestFails: a failing JSON Patch test is ErrTestFailed, nothing
// written.
func (s webdav) patchTestFails(t *testing.T) {
	ctx := testContext(t)
	url := s.doc(t)
	c, _ := s.client(t)
	create(t, ctx, c, url, []byte(`{"n":1}`))
	_, err := c.Patch(ctx, url, []byte(`[{"op":"test","path":"/n","value":99},{"op":"replace","path":"/n","value":100}]`))
	if !errors.Is(err, ifmatch.ErrTestFailed) || !errors.Is(err, ifmatch.ErrConflict) {
		t.Fatalf("Patch with a failing test: err = %v, want ErrTestFailed and ErrConflict", err)
	}
	wantDoc(t, ctx, plainClient(t), url, map[string]any{"n": 1.0})
}

const lockBody = `<?xml version="1.0" encoding="utf-8"?>
<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner>ifmatch-test</D:owner></D:lockinfo>`

// lockIsWaitedOut: a WebDAV lock held by somebody else makes the server
// answer 423 Locked; ifmatch waits it out with backoff, without a rebase,
// and the write goes through once the lock is released.
func (s webdav) lockIsWaitedOut(t *testing.T) {
	ctx := testContext(t)
	url := s.doc(t)
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
	time.Sleep(s.settle)

	status, h, body := plainDo(t, ctx, hc, "LOCK", url,
		http.Header{"Content-Type": {"application/xml"}, "Timeout": {"Second-30"}}, []byte(lockBody))
	token := h.Get("Lock-Token")
	if status != http.StatusOK || token == "" {
		t.Fatalf("LOCK: %d %s, token %q", status, body, token)
	}
	released := make(chan struct{})
	go func() {
		defer close(released)
		for locked.Load() < 2 && ctx.Err() == nil { // ifmatch has met the lock at least twice
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

func TestLighttpdCreateTwiceConflicts(t *testing.T) { lighttpd.createTwiceConflicts(t) }
func TestApacheCreateTwiceConflicts(t *testing.T)   { apache.createTwiceConflicts(t) }
func TestLighttpdPatchTestFails(t *testing.T)       { lighttpd.patchTestFails(t) }
func TestApachePatchTestFails(t *testing.T)         { apache.patchTestFails(t) }
func TestLighttpdLockIsWaitedOut(t *testing.T)      { lighttpd.lockIsWaitedOut(t) }
func TestApacheLockIsWaitedOut(t *testing.T)        { apache.lockIsWaitedOut(t) }
