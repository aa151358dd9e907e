package ifmatch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ifmatch/ifmatch/mockserver"
)

// patchGate is the mock server behind a gate that sees every PATCH first:
// each PATCH takes the next step of a script (none left: served as is),
// and the gate logs each PATCH's body with the X-Tenant header.
type patchGate struct {
	t   *testing.T
	h   *mockserver.Handler
	srv *httptest.Server

	mu     sync.Mutex
	script []patchStep
	sent   []string // "tenant body" per PATCH
}

// patchStep handles a PATCH; it reports whether it answered it.
type patchStep func(g *patchGate, w http.ResponseWriter, r *http.Request, body []byte) bool

func newPatchGate(t *testing.T, doc string) *patchGate {
	t.Helper()
	g := &patchGate{t: t, h: mockserver.NewHandler(mockserver.Options{})}
	if _, err := g.h.SetDoc("/doc", []byte(doc)); err != nil {
		t.Fatal(err)
	}
	g.srv = httptest.NewServer(http.HandlerFunc(g.serve))
	t.Cleanup(g.srv.Close)
	return g
}

func (g *patchGate) url() string { return g.srv.URL + "/doc" }

func (g *patchGate) then(s ...patchStep) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.script = append(g.script, s...)
}

func (g *patchGate) patches() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.sent)
}

func (g *patchGate) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPatch {
		g.h.ServeHTTP(w, r)
		return
	}
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	g.mu.Lock()
	g.sent = append(g.sent, strings.TrimSpace(r.Header.Get("X-Tenant")+" "+string(body)))
	var s patchStep
	if len(g.script) > 0 {
		s, g.script = g.script[0], g.script[1:]
	}
	g.mu.Unlock()
	if s != nil && s(g, w, r, body) {
		return
	}
	g.h.ServeHTTP(w, r)
}

// hold keeps the PATCH until release is closed, then serves it.
func hold(arrived chan<- struct{}, release <-chan struct{}) patchStep {
	return func(g *patchGate, w http.ResponseWriter, r *http.Request, body []byte) bool {
		arrived <- struct{}{}
		<-release
		return false
	}
}

// refuseGroups answers 422 to a PATCH of more than one operation, as a
// server with a rule the client cannot see.
func refuseGroups(g *patchGate, w http.ResponseWriter, r *http.Request, body []byte) bool {
	var ops []any
	if json.Unmarshal(body, &ops) == nil && len(ops) > 1 {
		w.WriteHeader(http.StatusUnprocessableEntity)
		return true
	}
	return false
}

// commitDrop commits the PATCH and closes the connection unanswered.
func commitDrop(g *patchGate, w http.ResponseWriter, r *http.Request, body []byte) bool {
	g.h.ServeHTTP(httptest.NewRecorder(), r)
	conn, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		g.t.Errorf("hijack: %v", err)
		return true
	}
	conn.Close()
	return true
}

// patchQueued reports how many callers wait in the patch lanes of url.
func patchQueued(c *Client, url string) int {
	t, _ := c.target(url, nil)
	c.lanes.mu.Lock()
	defer c.lanes.mu.Unlock()
	n := 0
	for k, q := range c.lanes.m {
		if k.cacheKey == t.key && strings.Contains(k.extra, "PATCH") {
			n += len(q)
		}
	}
	return n
}

func sendPatchOptions() *Options {
	o := testOptions()
	o.NoGroupCommit = false
	o.PatchStrategy = SendPatch
	return o
}

func logOf(t *testing.T, g *patchGate) []string {
	t.Helper()
	b, _, _ := g.h.Doc("/doc")
	var d struct{ Log []string }
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	return d.Log
}

func add(v string) []byte { return fmt.Appendf(nil, `[{"op":"add","path":"/log/-","value":%q}]`, v) }

// groupCase holds the lane with a leader's PATCH, queues the calls in
// order behind it, then lets everything run and returns each call's error.
func groupCase(t *testing.T, c *Client, g *patchGate, calls []func(ctx context.Context) error, after ...patchStep) []error {
	t.Helper()
	ctx := context.Background()
	arrived, release := make(chan struct{}), make(chan struct{})
	g.then(hold(arrived, release))
	g.then(after...)
	errs := make([]error, len(calls)+1)
	var wg sync.WaitGroup
	wg.Go(func() { _, errs[0] = c.Patch(ctx, g.url(), add("lead")) })
	<-arrived
	for i, call := range calls {
		wg.Go(func() { errs[i+1] = call(ctx) })
		waitUntil(t, func() bool { return patchQueued(c, g.url()) == i+1 })
	}
	close(release)
	wg.Wait()
	return errs
}

func patchCall(c *Client, url string, patch []byte, opts ...CallOption) func(context.Context) error {
	return func(ctx context.Context) error {
		_, err := c.Patch(ctx, url, patch, opts...)
		return err
	}
}

// Queued JSON Patches share one PATCH; when a member's test fails, the
// combined patch is refused, that member alone gets ErrTestFailed and the
// others commit, each once.
func TestSendPatchGroupTestFailsAlone(t *testing.T) {
	g := newPatchGate(t, `{"log":[]}`)
	c := New(sendPatchOptions())
	errs := groupCase(t, c, g, []func(context.Context) error{
		patchCall(c, g.url(), add("a")),
		patchCall(c, g.url(), []byte(`[{"op":"test","path":"/log/0","value":"nope"},{"op":"add","path":"/log/-","value":"b"}]`)),
		patchCall(c, g.url(), add("c")),
	})
	for i, err := range errs {
		if i == 2 {
			var ce *ConflictError
			if !errors.Is(err, ErrTestFailed) || !errors.As(err, &ce) || ce.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("call with the failing test: %v, want a *ConflictError (422) matching ErrTestFailed", err)
			}
			continue
		}
		if err != nil {
			t.Errorf("call %d: %v", i, err)
		}
	}
	if got, want := logOf(t, g), []string{"lead", "a", "c"}; !slices.Equal(got, want) {
		t.Errorf("log = %v, want %v: each committed once, in order", got, want)
	}
	sent := g.patches()
	if len(sent) != 3 || strings.Count(sent[1], `"op"`) != 4 || strings.Count(sent[2], `"op"`) != 2 {
		t.Errorf("PATCHes sent = %q, want the leader's, the three queued combined, then the two that apply", sent)
	}
}

// A server that refuses the combined patch for a reason the client cannot
// see gets each member's patch alone, so that each gets its own answer.
func TestSendPatchGroupFallsBackToSingles(t *testing.T) {
	g := newPatchGate(t, `{"log":[]}`)
	c := New(sendPatchOptions())
	errs := groupCase(t, c, g, []func(context.Context) error{
		patchCall(c, g.url(), add("a")),
		patchCall(c, g.url(), add("b")),
		patchCall(c, g.url(), []byte(`[{"op":"add","path":"/log/-","value":"c"},{"op":"add","path":"/log/-","value":"c2"}]`)),
	}, refuseGroups, refuseGroups, refuseGroups, refuseGroups)
	for i, err := range errs[:3] {
		if err != nil {
			t.Errorf("call %d: %v", i, err)
		}
	}
	var re *ResponseError
	if !errors.As(errs[3], &re) || re.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("call refused alone too: %v, want its own *ResponseError (422)", errs[3])
	}
	if got, want := logOf(t, g), []string{"lead", "a", "b"}; !slices.Equal(got, want) {
		t.Errorf("log = %v, want %v", got, want)
	}
}

// A lost answer to a group's PATCH is "outcome unknown" for the callers in
// that PATCH only.
func TestSendPatchGroupLostAnswerOnlyItsMembers(t *testing.T) {
	g := newPatchGate(t, `{"log":[]}`)
	c := New(sendPatchOptions())
	errs := groupCase(t, c, g, []func(context.Context) error{
		patchCall(c, g.url(), add("a")),
		patchCall(c, g.url(), add("b")),
	}, commitDrop)
	if errs[0] != nil {
		t.Errorf("leader: %v", errs[0])
	}
	for i, err := range errs[1:] {
		var ou *OutcomeUnknownError
		if !errors.As(err, &ou) || ou.Method != http.MethodPatch {
			t.Errorf("call %d: %v, want an *OutcomeUnknownError for PATCH", i+1, err)
		}
	}
	if got, want := logOf(t, g), []string{"lead", "a", "b"}; !slices.Equal(got, want) {
		t.Errorf("log = %v, want %v: the lost write committed once, never twice", got, want)
	}
	if _, err := c.Patch(context.Background(), g.url(), add("d")); err != nil {
		t.Errorf("a later call: %v", err)
	}
}

// Patches under different headers, of different media types, or based on
// the caller's own version are never sent in one PATCH.
func TestSendPatchGroupKeepsApart(t *testing.T) {
	g := newPatchGate(t, `{"log":[],"w":{}}`)
	c := New(sendPatchOptions())
	ctx := context.Background()
	_, etag, _ := g.h.Doc("/doc")
	arrived, release := make(chan struct{}), make(chan struct{})
	g.then(hold(arrived, release))
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	run := func(f func() error) { wg.Go(func() { errs <- f() }) }
	call := func(patch string, opts ...CallOption) func() error {
		return func() error { _, err := c.Patch(ctx, g.url(), []byte(patch), opts...); return err }
	}
	t1 := WithHeader("X-Tenant", "1")
	run(call(string(add("t1")), t1)) // leads tenant 1's lane; held
	<-arrived
	run(call(string(add("t1b")), t1))
	waitUntil(t, func() bool { return patchQueued(c, g.url()) == 1 })
	// Other lanes are idle: these go at once, alone.
	for _, f := range []func() error{
		call(string(add("t2")), WithHeader("X-Tenant", "2")),
		func() error {
			_, err := c.MergePatch(ctx, g.url(), []byte(`{"w":{"m":1}}`), t1)
			return err
		},
		call(`[{"op":"add","path":"/w/p","value":1}]`, t1, IfMatch(etag)),
	} {
		if err := f(); err != nil && !errors.Is(err, ErrFieldsChanged) {
			t.Errorf("call in another lane: %v", err)
		}
	}
	run(call(string(add("t1c")), t1))
	waitUntil(t, func() bool { return patchQueued(c, g.url()) == 2 })
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("tenant 1: %v", err)
		}
	}
	for _, p := range g.patches() {
		tenant, body, _ := strings.Cut(p, " ")
		switch {
		case tenant == "1" && strings.Contains(body, `"t2"`), tenant == "2" && strings.Contains(body, `"t1`):
			t.Errorf("PATCH %q mixes tenants", p)
		case strings.Contains(body, `"m"`) && strings.Contains(body, "op"):
			t.Errorf("PATCH %q mixes media types", p)
		case strings.Contains(body, `/w/p`) && body != `[{"op":"add","path":"/w/p","value":1}]`:
			t.Errorf("PATCH %q combines a patch pinned to its caller's version", p)
		}
	}
	if want := `1 [{"op":"add","path":"/log/-","value":"t1b"},{"op":"add","path":"/log/-","value":"t1c"}]`; !slices.Contains(g.patches(), want) {
		t.Errorf("PATCHes %q: want %s", g.patches(), want)
	}
}

// Many callers, JSON Patches and merge patches, through one Client: every
// change lands exactly once and callers share PATCHes.
func TestSendPatchGroupConcurrent(t *testing.T) {
	const writers, each = 32, 8
	srv := mockserver.New(mockserver.Options{})
	t.Cleanup(srv.Close)
	if _, err := srv.SetDoc("/doc", []byte(`{"log":[],"w":{}}`)); err != nil {
		t.Fatal(err)
	}
	url := srv.URL + "/doc"
	c := New(sendPatchOptions())
	ctx := context.Background()
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				var err error
				if w%2 == 0 {
					_, err = c.Patch(ctx, url, add(fmt.Sprintf("%d-%d", w, i)))
				} else {
					_, err = c.MergePatch(ctx, url, fmt.Appendf(nil, `{"w":{"%d":%d}}`, w, i+1))
				}
				if err != nil {
					t.Errorf("writer %d, change %d: %v", w, i, err)
				}
			}
		})
	}
	wg.Wait()
	b, _, _ := srv.Doc("/doc")
	var d struct {
		Log []string
		W   map[string]int
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	slices.Sort(d.Log)
	if len(d.Log) != writers/2*each || len(slices.Compact(d.Log)) != writers/2*each {
		t.Errorf("log has %d entries (%d distinct), want %d: none lost, none twice", len(d.Log), len(slices.Compact(d.Log)), writers/2*each)
	}
	for w := 1; w < writers; w += 2 {
		if got := d.W[fmt.Sprint(w)]; got != each {
			t.Errorf("w[%d] = %d, want %d", w, got, each)
		}
	}
	st := srv.Stats()
	if st.Commits >= writers*each {
		t.Errorf("%d commits for %d changes, want fewer: group commit", st.Commits, writers*each)
	}
	t.Logf("%d changes in %d commits, %d conflicts", writers*each, st.Commits, st.Conflicts)
}
