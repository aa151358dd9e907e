package ifmatch_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ifmatch/ifmatch"
	"github.com/ifmatch/ifmatch/mockserver"
)

// ifMatchLog records the If-Match of every PUT before h answers it.
type ifMatchLog struct {
	h  http.Handler
	mu sync.Mutex
	tt []string
}

func (l *ifMatchLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPut {
		l.mu.Lock()
		l.tt = append(l.tt, r.Header.Get("If-Match"))
		l.mu.Unlock()
	}
	l.h.ServeHTTP(w, r)
}

func (l *ifMatchLog) puts() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.tt...)
}

// inBubble returns a Client that talks to h without a network, for a
// synctest bubble.
func inBubble(h http.Handler, o ifmatch.Options) *ifmatch.Client {
	// a client's request may have no body; a server's always has one
	withBody := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil {
			r.Body = http.NoBody
		}
		h.ServeHTTP(w, r)
	})
	o.HTTPClient = &http.Client{Transport: handlerTransport{withBody}}
	o.NoGroupCommit = true
	return ifmatch.New(&o)
}

func counterOf(t *testing.T, h *mockserver.Handler) int {
	t.Helper()
	b, _, ok := h.Doc("/doc")
	if !ok {
		t.Fatal("document missing")
	}
	var c counter
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c.N
}

// A weak tag is sent verbatim first; refused, and handed out again, the
// call waits for it to turn strong, then writes on the strong tag.
func TestWeakETagTurnsStrong(t *testing.T) {
	tests := []struct {
		name string
		opts mockserver.Options
	}{
		{"weak window", mockserver.Options{WeakWindow: time.Second}},
		{"apache", mockserver.ApacheOptions()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := mockserver.NewHandler(tt.opts)
				etag, err := h.SetDoc("/doc", []byte(`{"n":0}`))
				if err != nil {
					t.Fatal(err)
				}
				log := &ifMatchLog{h: h}
				c := inBubble(log, ifmatch.Options{})
				if err := increment(context.Background(), c, "http://mock.local/doc"); err != nil {
					t.Fatalf("increment: %v", err)
				}
				if got := counterOf(t, h); got != 1 {
					t.Errorf("n = %d, want 1", got)
				}
				want := []string{"W/" + etag, etag}
				if got := log.puts(); fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("PUTs' If-Match = %q, want %q: the weak tag once, verbatim, then the strong one", got, want)
				}
			})
		})
	}
}

// A server that compares weak tags weakly takes them back as they are.
func TestWeakETagAcceptedFirstTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := mockserver.NewHandler(mockserver.Options{WeakETags: true})
		etag, err := h.SetDoc("/doc", []byte(`{"n":0}`))
		if err != nil {
			t.Fatal(err)
		}
		log := &ifMatchLog{h: h}
		if err := increment(context.Background(), inBubble(log, ifmatch.Options{}), "http://mock.local/doc"); err != nil {
			t.Fatalf("increment: %v", err)
		}
		if got := log.puts(); len(got) != 1 || got[0] != etag {
			t.Errorf("PUTs' If-Match = %q, want one, %q", got, etag)
		}
	})
}

// foreverWeak hands out one weak tag and refuses every write on it.
func foreverWeak(tag string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", tag)
		if r.Method == http.MethodGet {
			w.Write([]byte(`{"n":1}`))
			return
		}
		w.WriteHeader(http.StatusPreconditionFailed)
	})
}

// A tag that stays weak past the budget ends the call with ErrETagRejected,
// whose message says what was seen and what to try; the weak tag is sent
// once only.
func TestWeakETagThatStaysWeak(t *testing.T) {
	tests := []struct {
		name     string
		opts     ifmatch.Options
		timeout  time.Duration
		wantPUTs int
	}{
		{"MaxElapsed", ifmatch.Options{MaxElapsed: 5 * time.Second}, 0, 1},
		{"context deadline", ifmatch.Options{MaxElapsed: -1}, 4 * time.Second, 1},
		{"short budget", ifmatch.Options{MaxElapsed: 300 * time.Millisecond}, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				log := &ifMatchLog{h: foreverWeak(`W/"t1"`)}
				ctx := context.Background()
				if tt.timeout > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, tt.timeout)
					defer cancel()
				}
				err := increment(ctx, inBubble(log, tt.opts), "http://mock.local/doc")
				if !errors.Is(err, ifmatch.ErrETagRejected) || !errors.Is(err, ifmatch.ErrConflict) {
					t.Fatalf("err = %v, want ErrETagRejected", err)
				}
				if byDeadline := tt.timeout > 0; errors.Is(err, context.DeadlineExceeded) != byDeadline {
					t.Errorf("err = %v: matches context.DeadlineExceeded %v, want %v (ended by the context's deadline)",
						err, !byDeadline, byDeadline)
				}
				for _, want := range []string{`W/"t1"`, "strongly", "MaxElapsed", "weak window"} {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("message %q lacks %q", err, want)
					}
				}
				if got := log.puts(); len(got) != tt.wantPUTs {
					t.Errorf("PUTs = %q, want %d", got, tt.wantPUTs)
				}
			})
		})
	}
}

// A strong tag that the server keeps refusing ends the call at once, with
// a message that says so.
func TestStrongETagRejectedMessage(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("ETag", `"s1"`)
			if r.Method == http.MethodGet {
				w.Write([]byte(`{"n":1}`))
				return
			}
			w.WriteHeader(http.StatusPreconditionFailed)
		})
		err := increment(context.Background(), inBubble(h, ifmatch.Options{}), "http://mock.local/doc")
		if !errors.Is(err, ifmatch.ErrETagRejected) {
			t.Fatalf("err = %v, want ErrETagRejected", err)
		}
		for _, want := range []string{`"s1"`, "4 times", "cannot help"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("message %q lacks %q", err, want)
			}
		}
	})
}

// Independent writers on a server whose tags are weak after each write
// all commit, within the default budget: the server allows about one
// commit per weak window, and the writers take turns.
func TestWeakETagContention(t *testing.T) {
	const writers, each = 4, 3
	tests := []struct {
		name   string
		opts   mockserver.Options
		atomic bool
	}{
		{"atomic check", mockserver.Options{WeakWindow: time.Second, NoWriteETag: true}, true},
		// Two PUTs with the same If-Match may both succeed: updates are
		// lost by the server, but no call may fail.
		{"apache", mockserver.ApacheOptions(), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := mockserver.NewHandler(tt.opts)
				if _, err := h.SetDoc("/doc", []byte(`{"n":0}`)); err != nil {
					t.Fatal(err)
				}
				start := time.Now()
				var worstMu sync.Mutex
				var worst time.Duration
				var wg sync.WaitGroup
				errs := make(chan error, writers*each)
				for range writers {
					c := inBubble(h, ifmatch.Options{})
					wg.Go(func() {
						for range each {
							t0 := time.Now()
							if err := increment(context.Background(), c, "http://mock.local/doc"); err != nil {
								errs <- err
							}
							worstMu.Lock()
							worst = max(worst, time.Since(t0))
							worstMu.Unlock()
						}
					})
				}
				wg.Wait()
				close(errs)
				failed := 0
				for err := range errs {
					failed++
					t.Errorf("increment: %v", err)
				}
				n := counterOf(t, h)
				commits := h.Stats().Commits // SetDoc is not counted
				t.Logf("%d commits, counter %d, %d failed, in %v, worst call %v (fake time)", commits, n, failed, time.Since(start), worst)
				if commits != writers*each-int64(failed) {
					t.Errorf("commits = %d, want %d: one per successful call", commits, writers*each-failed)
				}
				// The server allows one commit per weak window; waits that
				// overshoot it much would leave it idle.
				if took, limit := time.Since(start), 2*time.Second*writers*each; took > limit {
					t.Errorf("took %v (fake time), want at most %v: two weak windows per commit", took, limit)
				}
				if tt.atomic && n != writers*each {
					t.Errorf("n = %d, want %d: updates lost", n, writers*each)
				}
				if !tt.atomic && int64(n) < commits {
					t.Logf("%d updates lost by the server's non-atomic If-Match check", commits-int64(n))
				}
			})
		})
	}
}

// Put and Delete are not rebased, but a weak version that the server
// refuses only for being weak is the same version once strong: the write
// is sent again with the strong tag. A version that moved stays a conflict.
func TestPutDeleteWeakVersion(t *testing.T) {
	tests := []struct {
		name        string
		otherWriter bool
		write       func(ctx context.Context, c *ifmatch.Client, url string) error
		wantDoc     string // "" when deleted
	}{
		{"Put", false, func(ctx context.Context, c *ifmatch.Client, url string) error {
			_, err := c.Put(ctx, url, []byte(`{"n":5}`))
			return err
		}, `{"n":5}`},
		{"Delete", false, func(ctx context.Context, c *ifmatch.Client, url string) error {
			_, err := c.Delete(ctx, url)
			return err
		}, ""},
		{"Put over another writer", true, func(ctx context.Context, c *ifmatch.Client, url string) error {
			_, err := c.Put(ctx, url, []byte(`{"n":5}`))
			return err
		}, `{"n":2}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := mockserver.NewHandler(mockserver.ApacheOptions())
				etag, err := h.SetDoc("/doc", []byte(`{"n":1}`))
				if err != nil {
					t.Fatal(err)
				}
				log := &ifMatchLog{h: h}
				c := inBubble(log, ifmatch.Options{})
				ctx := context.Background()
				const url = "http://mock.local/doc"
				if _, err := c.Get(ctx, url); err != nil {
					t.Fatal(err)
				}
				if tt.otherWriter {
					if _, err := h.SetDoc("/doc", []byte(`{"n":2}`)); err != nil {
						t.Fatal(err)
					}
				}
				err = tt.write(ctx, c, url)
				switch {
				case tt.otherWriter:
					if !errors.Is(err, ifmatch.ErrConflict) || errors.Is(err, ifmatch.ErrETagRejected) {
						t.Fatalf("err = %v, want a plain ErrConflict", err)
					}
					if _, err := c.Put(ctx, url, []byte(`{"n":6}`)); !errors.Is(err, ifmatch.ErrNoVersion) {
						t.Errorf("Put after the conflict: err = %v, want ErrNoVersion (the moved version is not taken)", err)
					}
				case err != nil:
					t.Fatalf("err = %v, want the write to go through once the tag is strong", err)
				default:
					want := []string{"W/" + etag, etag}
					if got := log.puts(); tt.name == "Put" && fmt.Sprint(got) != fmt.Sprint(want) {
						t.Errorf("PUTs' If-Match = %q, want %q", got, want)
					}
				}
				doc, _, ok := h.Doc("/doc")
				if got := string(doc); ok != (tt.wantDoc != "") || got != tt.wantDoc {
					t.Errorf("server holds %q (exists %v), want %q", got, ok, tt.wantDoc)
				}
			})
		})
	}
}
