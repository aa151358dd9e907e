package integration

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ifmatch/ifmatch"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// startScript is what a developer runs to get the servers.
const startScript = `eval "$(scripts/peers/start-all.sh)"`

// peerURL returns the base URL of a real server from the environment
// variable env, without a trailing slash. When the variable is unset the
// test is skipped, or fails under CI=true, where the servers must be there.
func peerURL(t *testing.T, env string) string {
	t.Helper()
	raw := os.Getenv(env)
	if raw == "" {
		if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
			t.Fatalf("%s is not set, and CI=true needs the real servers: start them with %s before go test, as .ci/run does", env, startScript)
		}
		t.Skipf("%s is not set: start the servers with %s (stop them with scripts/peers/stop-all.sh)", env, startScript)
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" || !isLoopbackHost(u.Hostname()) {
		t.Fatalf("%s=%q: want an http URL on 127.0.0.1 (these tests talk to nothing else)", env, raw)
	}
	base := strings.TrimSuffix(raw, "/")
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/", nil)
	resp, err := plainClient(t).Do(req)
	if err != nil {
		t.Fatalf("%s=%s does not answer (%v): start the servers with %s", env, base, err, startScript)
	}
	resp.Body.Close()
	return base
}

func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// loopbackTransport is an HTTP transport that can only dial loopback
// addresses and never uses a proxy, so that no test can reach another
// machine, whatever URL it is given. Its idle connections are closed when
// the test ends.
func loopbackTransport(t *testing.T) *http.Transport {
	d := &net.Dialer{
		Timeout: 5 * time.Second,
		Control: func(network, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
				return fmt.Errorf("integration tests dial loopback only, not %s", address)
			}
			return nil
		},
	}
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         d.DialContext,
		MaxIdleConns:        64,
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     30 * time.Second,
	}
	t.Cleanup(tr.CloseIdleConnections)
	return tr
}

// plainClient is a net/http client without ifmatch: the external writer,
// and the independent reader that checks what the server holds.
func plainClient(t *testing.T) *http.Client {
	return &http.Client{Transport: loopbackTransport(t), Timeout: 10 * time.Second}
}

// counter counts the requests that reach a transport, by method and status.
type counter struct {
	base  http.RoundTripper
	total atomic.Int64
	mu    sync.Mutex
	by    map[string]int
}

func newCounter(base http.RoundTripper) *counter {
	return &counter{base: base, by: map[string]int{}}
}

func (c *counter) RoundTrip(req *http.Request) (*http.Response, error) {
	c.total.Add(1)
	resp, err := c.base.RoundTrip(req)
	key := req.Method + " error"
	if err == nil {
		key = req.Method + " " + strconv.Itoa(resp.StatusCode)
	}
	c.mu.Lock()
	c.by[key]++
	c.mu.Unlock()
	return resp, err
}

// count returns how many requests got the answer key ("PUT 412").
func (c *counter) count(key string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.by[key]
}

// String lists the counts by method and status, in order.
func (c *counter) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	keys := make([]string, 0, len(c.by))
	for k := range c.by {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s: %d", k, c.by[k])
	}
	return strings.Join(parts, ", ")
}

// testContext bounds a test in time: by the test binary's deadline (go
// test -timeout), less a margin to report what happened, not by a budget of
// its own. The counter tests take seconds alone and several times as long
// on a machine busy with other work; a hang still ends at the deadline.
func testContext(t *testing.T) context.Context {
	ctx := t.Context()
	if deadline, ok := t.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline.Add(-30*time.Second))
		t.Cleanup(cancel)
	}
	return ctx
}

// uniqueName is a resource name no other test or earlier run uses: the
// test's name, the time and a random suffix.
func uniqueName(t *testing.T) string {
	name := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-':
			return r
		case r >= 'A' && r <= 'Z':
			return r + ('a' - 'A')
		}
		return '-'
	}, t.Name())
	if len(name) > 60 {
		name = name[:60]
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s-%d-%s", name, time.Now().UnixNano(), hex.EncodeToString(b[:]))
}

// plainDo sends one request with net/http alone, with no precondition but
// those in header, and returns the status, headers and body.
func plainDo(t *testing.T, ctx context.Context, hc *http.Client, method, url string, header http.Header, body []byte) (int, http.Header, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if body != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", method, url, err)
	}
	return resp.StatusCode, resp.Header, b
}

// externalPut writes body at url as another program would: a plain PUT
// without preconditions. It fails the test unless the server accepts it.
func externalPut(t *testing.T, ctx context.Context, hc *http.Client, url string, body []byte) {
	t.Helper()
	status, _, b := plainDo(t, ctx, hc, http.MethodPut, url, nil, body)
	if status/100 != 2 {
		t.Fatalf("external PUT %s: status %d: %s", url, status, b)
	}
}

// readDoc reads the document at url with a plain GET and decodes it. It
// returns nil when there is none (404).
func readDoc(t *testing.T, ctx context.Context, hc *http.Client, url string) map[string]any {
	t.Helper()
	status, _, b := plainDo(t, ctx, hc, http.MethodGet, url, http.Header{"Accept": {"application/json"}}, nil)
	if status == http.StatusNotFound {
		return nil
	}
	if status != http.StatusOK {
		t.Fatalf("GET %s: status %d: %s", url, status, b)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("GET %s: %v: %s", url, err, b)
	}
	return m
}

// mustJSON marshals v or fails the test.
func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// counterFigures is what a concurrent counter run did.
type counterFigures struct {
	committed int           // calls that returned no error
	failed    int           // calls that returned an error
	requests  int64         // HTTP requests the ifmatch clients sent
	maxRounds int64         // the most conflicts one call met
	slowest   time.Duration // the longest call
	elapsed   time.Duration // wall time of the run
	errs      []error       // the first few errors
}

// counterMaxAttempts bounds the write attempts of one increment, so that
// a run is bounded in requests, by the work rather than by the machine's
// speed: the increments have no time budget (MaxElapsed -1; the default
// 30 s is near the worst call against pouchdb-server on a quiet machine),
// only the test's context. The worst call seen here met a few dozen
// conflicts.
const counterMaxAttempts = 500

// runCounter runs clients goroutines, each with its own ifmatch Client
// (opts, with every request counted by cnt), each calling incr perClient
// times one after the other.
func runCounter(ctx context.Context, clients, perClient int, opts ifmatch.Options, cnt *counter,
	incr func(ctx context.Context, c *ifmatch.Client) error) counterFigures {
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		f         counterFigures
		maxRounds atomic.Int64
	)
	opts.HTTPClient = &http.Client{Transport: cnt}
	opts.MaxAttempts = counterMaxAttempts
	opts.MaxElapsed = -1
	opts.OnConflict = func(_ context.Context, ci ifmatch.ConflictInfo) {
		for n := int64(ci.Attempt); ; {
			cur := maxRounds.Load()
			if n <= cur || maxRounds.CompareAndSwap(cur, n) {
				return
			}
		}
	}
	cs := make([]*ifmatch.Client, clients)
	for i := range cs {
		o := opts
		cs[i] = ifmatch.New(&o)
	}
	start := time.Now()
	for _, c := range cs {
		wg.Go(func() {
			for range perClient {
				callStart := time.Now()
				err := incr(ctx, c)
				took := time.Since(callStart)
				mu.Lock()
				f.slowest = max(f.slowest, took)
				if err != nil {
					f.failed++
					if len(f.errs) < 5 {
						f.errs = append(f.errs, err)
					}
				} else {
					f.committed++
				}
				mu.Unlock()
				if ctx.Err() != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	f.elapsed = time.Since(start)
	f.requests = cnt.total.Load()
	f.maxRounds = maxRounds.Load()
	return f
}

// check fails the test unless every increment committed exactly once,
// saying what happened to those that did not (failed with an error, lost
// silently, applied twice), and logs the figures.
func (f counterFigures) check(t *testing.T, server string, want, final int, cnt *counter) {
	t.Helper()
	lost := f.committed - final
	perUpdate := 0.0
	if f.committed > 0 {
		perUpdate = float64(f.requests) / float64(f.committed)
	}
	t.Logf("%s counter: committed %d, failed %d, final %d, lost %d, requests %d (%.2f per update), elapsed %v; worst call: %d conflicts, %v",
		server, f.committed, f.failed, final, lost, f.requests, perUpdate, f.elapsed.Round(time.Millisecond),
		f.maxRounds, f.slowest.Round(time.Millisecond))
	t.Logf("%s requests by answer: %s", server, cnt)
	f.checkCalls(t, want)
	switch {
	case lost > 0:
		t.Errorf("final value %d, %d increments acknowledged: %d lost silently", final, f.committed, lost)
	case lost < 0:
		t.Errorf("final value %d, %d increments acknowledged: %d applied twice (or applied and reported as failed)", final, f.committed, -lost)
	}
}

// checkCalls fails the test unless all want increments were acknowledged,
// saying how many failed with an error (and the first errors) and how many
// never ran.
func (f counterFigures) checkCalls(t *testing.T, want int) {
	t.Helper()
	for _, err := range f.errs {
		t.Errorf("increment failed with an error: %v", err)
	}
	if f.failed > 0 {
		t.Errorf("%d of %d increments failed with an error (the first %d above)", f.failed, want, len(f.errs))
	}
	if ran := f.committed + f.failed; ran < want {
		t.Errorf("%d of %d increments never ran: the test's context ended", want-ran, want)
	}
}
