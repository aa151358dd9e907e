package ifmatch_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ifmatch/ifmatch"
	"github.com/ifmatch/ifmatch/mockserver"
)

// Attacks on the Guarantees (issue 11). Each test asserts the invariant
// the README's Guarantees section promises.

// perPrincipal serves /me as the requesting principal's own document, with
// the same ETag for everybody, so that a cache shared between principals
// would answer one with another's document after a 304.
func perPrincipal(t *testing.T, who func(*http.Request) string) (string, *sync.Map) {
	inm := &sync.Map{} // principal → If-None-Match it sent
	url := serve(t, func(w http.ResponseWriter, r *http.Request) {
		p := who(r)
		inm.Store(p, r.Header.Get("If-None-Match"))
		w.Header().Set("ETag", `"1"`)
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("If-None-Match") == `"1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		fmt.Fprintf(w, `{"owner":%q}`, p)
	})
	return url, inm
}

// Userinfo names a principal (issue 11, 2a).
func TestAttackUserinfoPartitionsTheCache(t *testing.T) {
	url, inm := perPrincipal(t, func(r *http.Request) string { u, _, _ := r.BasicAuth(); return u })
	c := newClient(t, ifmatch.Options{})
	ctx := context.Background()
	withUser := func(user string) string { return strings.Replace(url, "://", "://"+user+":pw@", 1) + "/me" }
	if _, err := c.Get(ctx, withUser("alice")); err != nil {
		t.Fatal(err)
	}
	resp, err := c.Get(ctx, withUser("bob"))
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := inm.Load("bob"); v != "" {
		t.Errorf("bob's GET carried alice's If-None-Match %q", v)
	}
	if !strings.Contains(string(resp.Body), `"bob"`) {
		t.Errorf("bob got %s", resp.Body)
	}
}

// Token headers outside a fixed list partition the cache too (issue 11, 2b).
func TestAttackTokenHeadersPartitionTheCache(t *testing.T) {
	for _, name := range []string{"Private-Token", "X-Vault-Token", "X-Goog-Api-Key", "X-Access-Token", "Authorization", "Cookie", "X-Api-Key"} {
		t.Run(name, func(t *testing.T) {
			url, inm := perPrincipal(t, func(r *http.Request) string { return r.Header.Get(name) })
			c := newClient(t, ifmatch.Options{})
			ctx := context.Background()
			if _, err := c.Get(ctx, url+"/me", ifmatch.WithHeader(name, "alice")); err != nil {
				t.Fatal(err)
			}
			resp, err := c.Get(ctx, url+"/me", ifmatch.WithHeader(name, "bob"))
			if err != nil {
				t.Fatal(err)
			}
			if v, _ := inm.Load("bob"); v != "" || !strings.Contains(string(resp.Body), `"bob"`) {
				t.Errorf("bob sent If-None-Match %q and got %s", v, resp.Body)
			}
		})
	}
}

// Credentials never follow a redirect to another host (issue 11, 2b).
func TestAttackRedirectStripsCredentials(t *testing.T) {
	names := []string{"Authorization", "Cookie", "X-Api-Key", "Private-Token", "X-Vault-Token", "X-Goog-Api-Key", "X-Access-Token"}
	var mu sync.Mutex
	var leaked []string
	other := serve(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		for _, n := range names {
			if v := r.Header.Get(n); v != "" {
				leaked = append(leaked, n+": "+v)
			}
		}
		mu.Unlock()
		w.Header().Set("ETag", `"1"`)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{}`)
	})
	// 127.0.0.1 and localhost are different hosts.
	other = strings.Replace(other, "127.0.0.1", "localhost", 1)
	first := serve(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other+"/doc", http.StatusFound)
	})
	c := newClient(t, ifmatch.Options{})
	var opts []ifmatch.CallOption
	for _, n := range names {
		opts = append(opts, ifmatch.WithHeader(n, "secret-"+n))
	}
	if _, err := c.Get(context.Background(), first+"/doc", opts...); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(leaked) > 0 {
		t.Errorf("credentials reached another host: %q", leaked)
	}
}

// A panicking mutate function comes back to its caller as its own panic,
// and the resource stays writable (issue 11, 3).
func TestAttackPanicInMutate(t *testing.T) {
	srv, url := setup(t, mockserver.Options{}, `{"n":0}`)
	c := newClient(t, ifmatch.Options{})
	var got any
	func() {
		defer func() { got = recover() }()
		c.Update(context.Background(), url, func([]byte) ([]byte, error) { panic("boom") })
	}()
	if got != "boom" {
		t.Fatalf("recovered %v, want the caller's own panic value", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.MergePatch(ctx, url, []byte(`{"n":1}`)); err != nil {
		t.Fatalf("the next write after a panic: %v (the lane was not released)", err)
	}
	if docOf(t, srv)["n"] != float64(1) {
		t.Error("the write after the panic did not commit")
	}
}

// Numbers are never rounded through float64, by any change kind, in
// either version mode (issue 11, 4).
func TestAttackNumbersStayExact(t *testing.T) {
	const big, long = "9007199254740993", "0.1000000000000000055511151231257827"
	initial := `{"id":` + big + `,"price":` + long + `,"n":1}`
	type counter struct {
		N int `json:"n"`
	}
	ctx := context.Background()
	kinds := []struct {
		name  string
		write func(c *ifmatch.Client, url string) error
	}{
		{"Patch", func(c *ifmatch.Client, url string) error {
			_, err := c.Patch(ctx, url, []byte(`[{"op":"replace","path":"/n","value":2}]`))
			return err
		}},
		{"MergePatch", func(c *ifmatch.Client, url string) error {
			_, err := c.MergePatch(ctx, url, []byte(`{"n":2}`))
			return err
		}},
		{"Update", func(c *ifmatch.Client, url string) error {
			_, err := c.Update(ctx, url, func(cur []byte) ([]byte, error) {
				return bytes.Replace(cur, []byte(`"n":1`), []byte(`"n":2`), 1), nil
			})
			return err
		}},
		{"Modify", func(c *ifmatch.Client, url string) error {
			_, err := ifmatch.Modify(ctx, c, url, func(v *counter) error { v.N++; return nil })
			return err
		}},
		{"Put", func(c *ifmatch.Client, url string) error {
			r, err := c.Get(ctx, url)
			if err != nil {
				return err
			}
			_, err = c.Put(ctx, url, bytes.Replace(r.Body, []byte(`"n":1`), []byte(`"n":2`), 1))
			return err
		}},
	}
	modes := []struct {
		name   string
		server mockserver.Options
		client ifmatch.Options
	}{
		{"etag", mockserver.Options{}, ifmatch.Options{}},
		{"version field", mockserver.Options{VersionField: "/_rev"}, ifmatch.Options{VersionField: "/_rev", VersionParam: "rev"}},
	}
	for _, m := range modes {
		for _, k := range kinds {
			for _, strategy := range []ifmatch.PatchStrategy{ifmatch.ApplyLocally, ifmatch.SendPatch} {
				t.Run(fmt.Sprintf("%s/%s/strategy=%d", m.name, k.name, strategy), func(t *testing.T) {
					srv, url := setup(t, m.server, initial)
					o := m.client
					o.PatchStrategy = strategy
					c := newClient(t, o)
					if _, err := c.Get(ctx, url); err != nil {
						t.Fatal(err)
					}
					if err := k.write(c, url); err != nil {
						t.Fatal(err)
					}
					doc, _, _ := srv.Doc("/doc")
					if !bytes.Contains(doc, []byte(big)) || !bytes.Contains(doc, []byte(long)) || !bytes.Contains(doc, []byte(`"n":2`)) {
						t.Errorf("stored %s: a number nobody touched changed", doc)
					}
				})
			}
		}
	}
}

// Every request body is capped before it is sent, and a small patch cannot
// build a huge document (issue 11, 5).
func TestAttackRequestBodiesCapped(t *testing.T) {
	ctx := context.Background()
	srv, url := setup(t, mockserver.Options{}, `{"a":"`+strings.Repeat("x", 1000)+`"}`)
	c := newClient(t, ifmatch.Options{MaxBodyBytes: 64 << 10})
	_, err := c.Update(ctx, url, func([]byte) ([]byte, error) {
		return []byte(`{"a":"` + strings.Repeat("y", 200<<10) + `"}`), nil
	})
	if !errors.Is(err, ifmatch.ErrTooLarge) {
		t.Errorf("Update returning 200 KiB: %v, want ErrTooLarge", err)
	}
	var ops []string
	for i := range 20 {
		ops = append(ops, fmt.Sprintf(`{"op":"copy","from":"","path":"/c%d"}`, i))
	}
	_, err = c.Patch(ctx, url, []byte("["+strings.Join(ops, ",")+"]"))
	if !errors.Is(err, ifmatch.ErrInvalidChange) && !errors.Is(err, ifmatch.ErrTooLarge) {
		t.Errorf("a doubling copy patch: %v, want it refused", err)
	}
	for k, n := range srv.Stats().Requests {
		if strings.HasPrefix(k, "PUT") || strings.HasPrefix(k, "PATCH") {
			t.Errorf("%d %s requests sent; want none", n, k)
		}
	}
}

// Secrets in the text of errors from below (net/http quoting a request
// line) never reach the caller's errors or logs (issue 11, 6).
func TestAttackSecretsInInnerErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				line, _ := bufio.NewReader(conn).ReadString('\n')
				io.WriteString(conn, line+"\r\n") // the request line, echoed as a malformed answer
			}()
		}
	}()
	var logs bytes.Buffer
	c := newClient(t, ifmatch.Options{RetryMax: 1, Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	_, err = c.Get(context.Background(), "http://"+ln.Addr().String()+"/doc?token=tok-secret")
	if err == nil {
		t.Fatal("Get of a broken server succeeded")
	}
	for where, text := range map[string]string{"error": err.Error(), "log": logs.String()} {
		if strings.Contains(text, "tok-secret") {
			t.Errorf("the %s holds the secret: %s", where, text)
		}
	}
}

// Do with a request whose URL is nil is an error, as with http.Client
// (issue 11, 7).
func TestAttackDoNilURL(t *testing.T) {
	c := newClient(t, ifmatch.Options{})
	if _, err := c.Do(&http.Request{Method: http.MethodGet}); !errors.Is(err, ifmatch.ErrInvalidChange) {
		t.Errorf("Do: %v, want ErrInvalidChange", err)
	}
}

// A write that only ever got 429s was not processed: when the context ends
// during the Retry-After wait, the error is the context's, not an unknown
// outcome (issue 11, 7).
func TestAttack429ThenContextEnds(t *testing.T) {
	// In a bubble, the 429 comes back in no time and the deadline falls
	// in the Retry-After wait however busy the machine is; with a real
	// server and clock, a slow round trip could let the deadline end the
	// PUT in flight instead (an unknown outcome, rightly).
	synctest.Test(t, func(t *testing.T) {
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("ETag", `"1"`)
			if r.Method == http.MethodGet {
				w.Header().Set("Content-Type", "application/json")
				io.WriteString(w, `{"n":1}`)
				return
			}
			w.Header().Set("Retry-After", "5")
			w.WriteHeader(http.StatusTooManyRequests)
		})
		c := ifmatch.New(&ifmatch.Options{HTTPClient: &http.Client{Transport: handlerTransport{h}}})
		if _, err := c.Get(context.Background(), "http://mock.local/doc"); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		_, err := c.Put(ctx, "http://mock.local/doc", []byte(`{"n":2}`))
		if errors.Is(err, ifmatch.ErrOutcomeUnknown) || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Put: %v, want the context's error and not ErrOutcomeUnknown", err)
		}
	})
}

var _ = json.Valid

// Odd servers that already could not hurt, kept as tests: an unsolicited
// 304 and a deeply nested document are errors, never a write or a crash.
func TestAttackOddServers(t *testing.T) {
	deep := strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000)
	for _, tt := range []struct {
		name   string
		answer func(w http.ResponseWriter)
	}{
		{"unsolicited 304", func(w http.ResponseWriter) { w.Header().Set("ETag", `"1"`); w.WriteHeader(http.StatusNotModified) }},
		{"nested 100,000 deep", func(w http.ResponseWriter) {
			w.Header().Set("ETag", `"1"`)
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, deep)
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var writes sync.Map
			url := serve(t, func(w http.ResponseWriter, r *http.Request) {
				if r.Method != http.MethodGet {
					writes.Store(r.Method, true)
					w.WriteHeader(http.StatusNoContent)
					return
				}
				tt.answer(w)
			})
			c := newClient(t, ifmatch.Options{})
			ctx := context.Background()
			if _, err := c.Patch(ctx, url+"/doc", []byte(`[{"op":"add","path":"/0","value":1}]`)); err == nil {
				t.Error("Patch succeeded")
			}
			if _, err := c.Update(ctx, url+"/doc", func(b []byte) ([]byte, error) { return b, nil }); err == nil {
				t.Error("Update succeeded")
			}
			writes.Range(func(k, _ any) bool { t.Errorf("a %v was sent", k); return true })
		})
	}
}

// Hooks get URLs without secrets, like errors and logs.
func TestAttackNoSecretsInHooks(t *testing.T) {
	var mu sync.Mutex
	failures := 1
	url := serve(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if failures > 0 {
			failures--
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		if r.Method == http.MethodGet {
			w.Header().Set("ETag", `"1"`)
			io.WriteString(w, `{"n":1}`)
			return
		}
		if r.Header.Get("If-Match") == `"1"` {
			w.WriteHeader(http.StatusPreconditionFailed) // one conflict, then the refetch moves on
			failures = 0
			return
		}
		w.Header().Set("ETag", `"2"`)
		w.WriteHeader(http.StatusNoContent)
	})
	var seen []string
	var smu sync.Mutex
	record := func(u string) { smu.Lock(); seen = append(seen, u); smu.Unlock() }
	c := newClient(t, ifmatch.Options{MaxAttempts: 2,
		OnRetry:    func(_ context.Context, i ifmatch.RetryInfo) { record(i.URL) },
		OnConflict: func(_ context.Context, i ifmatch.ConflictInfo) { record(i.URL) }})
	c.MergePatch(context.Background(), strings.Replace(url, "://", "://user:pw-secret@", 1)+"/doc?token=tok-secret", []byte(`{"n":2}`))
	smu.Lock()
	defer smu.Unlock()
	if len(seen) == 0 {
		t.Fatal("no hook was called")
	}
	for _, u := range seen {
		if strings.Contains(u, "secret") {
			t.Errorf("a hook got %q", u)
		}
	}
}
