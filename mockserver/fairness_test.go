package mockserver

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ifmatch/ifmatch/internal/jsontest"
)

// serve sends one request straight to the handler; header holds name,
// value pairs.
func serve(h *Handler, method, path, body string, header ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// TestBigMergePatchHoldsUpNoOtherDocument holds a 50,000-key merge patch
// in the middle of its work and checks that the server meanwhile answers
// reads and writes of another document, and reads of the patched one. It
// used to hold one server-wide lock across the patch: a GET of another
// document waited 26.8 s behind it.
func TestBigMergePatchHoldsUpNoOtherDocument(t *testing.T) {
	h := NewHandler(Options{})
	bigTag, _ := h.SetDoc("/big", []byte(`{}`))
	otherTag, _ := h.SetDoc("/other", []byte(`{"n":1}`))
	inPatch, release := make(chan struct{}), make(chan struct{})
	h.patchHook = func(path string) {
		if path == "/big" {
			close(inPatch)
			<-release
		}
	}
	done := make(chan *httptest.ResponseRecorder, 1)
	go func() {
		done <- serve(h, "PATCH", "/big", jsontest.Flat(50_000, `"v"`), "Content-Type", mergePatchType, "If-Match", bigTag)
	}()
	<-inPatch

	// the patch is under way: none of these may wait for it
	answered := make(chan string, 1)
	go func() {
		var got []string
		rec := serve(h, "GET", "/other", "")
		got = append(got, fmt.Sprintf("GET /other %d", rec.Code))
		rec = serve(h, "PUT", "/other", `{"n":2}`, "Content-Type", "application/json", "If-Match", otherTag)
		got = append(got, fmt.Sprintf("PUT /other %d", rec.Code))
		rec = serve(h, "GET", "/big", "")
		got = append(got, fmt.Sprintf("GET /big %d %s", rec.Code, rec.Body))
		answered <- strings.Join(got, ", ")
	}()
	// with one server-wide lock, this waits forever: the patch holds the
	// lock until release, and release waits for these answers
	if got, want := <-answered, "GET /other 200, PUT /other 200, GET /big 200 {}"; got != want {
		t.Errorf("while the patch was under way: %s, want %s", got, want)
	}
	close(release)
	if rec := <-done; rec.Code != http.StatusOK {
		t.Fatalf("PATCH = %d %s", rec.Code, rec.Body)
	}
	doc, _, _ := h.Doc("/big")
	if !strings.HasPrefix(string(doc), `{"k0":"v",`) || strings.Count(string(doc), ":") != 50_000 {
		t.Errorf("the patched document has %d members, want 50000", strings.Count(string(doc), ":"))
	}
}

// TestWritesOfOneDocumentStaySerial holds a write in the middle of its
// work: another write of the same document waits for it, and then fails
// its If-Match, as the atomic check-and-commit requires.
func TestWritesOfOneDocumentStaySerial(t *testing.T) {
	h := NewHandler(Options{})
	tag, _ := h.SetDoc("/doc", []byte(`{"n":0}`))
	inPatch, release := make(chan struct{}), make(chan struct{})
	h.patchHook = func(string) {
		close(inPatch)
		<-release
	}
	first := make(chan int, 1)
	go func() {
		first <- serve(h, "PATCH", "/doc", `{"n":1}`, "Content-Type", mergePatchType, "If-Match", tag).Code
	}()
	<-inPatch
	second := make(chan int, 1)
	go func() {
		second <- serve(h, "PUT", "/doc", `{"n":2}`, "Content-Type", "application/json", "If-Match", tag).Code
	}()
	// the second write waits for the document's lock, which the first holds
	waitFor(t, func() bool {
		h.locks.mu.Lock()
		defer h.locks.mu.Unlock()
		return h.locks.m["/doc"] != nil && h.locks.m["/doc"].refs == 2
	})
	close(release)
	if got := []int{<-first, <-second}; !slices.Equal(got, []int{200, 412}) {
		t.Errorf("PATCH, PUT with the same If-Match = %v, want [200 412]", got)
	}
	if n := len(h.locks.m); n != 0 {
		t.Errorf("%d document locks left after the writes, want 0", n)
	}
}

// waitFor polls cond until it holds; the test's deadline bounds it.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for !cond() {
		time.Sleep(time.Millisecond)
	}
}
