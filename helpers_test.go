package ifmatch

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fake is a one-document server for exact tests of the conflict loop: it
// keeps a real document with strong ETags and honors If-Match, and answers
// from a script of overrides first.
type fake struct {
	t   *testing.T
	srv *httptest.Server

	mu      sync.Mutex
	doc     string
	version int
	script  []step
	log     []string // "METHOD if-match", one per request
}

// step sees a request before the store does, and says what happens next.
type step func(f *fake, w http.ResponseWriter, r *http.Request, body []byte) verdict

type verdict int

const (
	skip    verdict = iota // not this step's request: the store answers, the step stays
	done                   // the step answered: it leaves the script
	through                // the step did its part and leaves; the store answers
	left                   // the step answered and has already left the script (leave)
)

// leave removes the running step from the script before it answers, for
// steps whose answer makes the client retry at once (a dropped
// connection): the retry then meets the next step, not this one again.
func (f *fake) leave() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.script = f.script[1:]
}

func newFake(t *testing.T, doc string) *fake {
	t.Helper()
	f := &fake{t: t, doc: doc, version: 1}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fake) url() string { return f.srv.URL + "/doc" }

func (f *fake) etag() string { return fmt.Sprintf(`"%d"`, f.version) }

// then queues steps.
func (f *fake) then(s ...step) *fake {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.script = append(f.script, s...)
	return f
}

// requests returns the log and clears it.
func (f *fake) requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	l := f.log
	f.log = nil
	return l
}

// set changes the document as another writer would.
func (f *fake) set(doc string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.doc = doc
	f.version++
}

func (f *fake) current() (string, string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.doc, f.etag()
}

func (f *fake) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.log = append(f.log, strings.TrimSpace(r.Method+" "+r.Header.Get("If-Match")))
	if len(f.script) > 0 {
		s := f.script[0]
		f.mu.Unlock()
		v := s(f, w, r, body)
		f.mu.Lock()
		if v != skip && v != left {
			f.script = f.script[1:]
		}
		if v == done || v == left {
			f.mu.Unlock()
			return
		}
	}
	defer f.mu.Unlock()
	f.store(w, r, body)
}

// store answers as a plain conditional-write server; f.mu is held.
func (f *fake) store(w http.ResponseWriter, r *http.Request, body []byte) {
	switch r.Method {
	case http.MethodGet:
		w.Header().Set("ETag", f.etag())
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("If-None-Match") == f.etag() {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		io.WriteString(w, f.doc)
	case http.MethodPut:
		if im := r.Header.Get("If-Match"); im != "" && im != f.etag() {
			w.WriteHeader(http.StatusPreconditionFailed)
			return
		}
		f.doc = string(body)
		f.version++
		w.Header().Set("ETag", f.etag())
		w.WriteHeader(http.StatusOK)
	default:
		w.WriteHeader(http.StatusMethodNotAllowed)
	}
}

// Steps.

func answer(status int, header ...string) step {
	return func(f *fake, w http.ResponseWriter, r *http.Request, body []byte) verdict {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.WriteHeader(status)
		return done
	}
}

func problem(status int, title string) step {
	return func(f *fake, w http.ResponseWriter, r *http.Request, body []byte) verdict {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"title":%q,"status":%d}`, title, status)
		return done
	}
}

// writeFirst lets another writer commit just before the request is served.
func writeFirst(doc string) step {
	return func(f *fake, w http.ResponseWriter, r *http.Request, body []byte) verdict {
		f.set(doc)
		return through
	}
}

// onlyFor applies s to requests of one method; others pass through.
func onlyFor(method string, s step) step {
	return func(f *fake, w http.ResponseWriter, r *http.Request, body []byte) verdict {
		if r.Method != method {
			return skip
		}
		return s(f, w, r, body)
	}
}

// commitThenDrop commits the write and closes the connection unanswered.
func commitThenDrop() step {
	return func(f *fake, w http.ResponseWriter, r *http.Request, body []byte) verdict {
		f.leave()
		f.mu.Lock()
		f.store(httptest.NewRecorder(), r, body)
		f.mu.Unlock()
		dropConn(f.t, w)
		return left
	}
}

// dropBefore closes the connection without processing the request.
func dropBefore() step {
	return func(f *fake, w http.ResponseWriter, r *http.Request, body []byte) verdict {
		f.leave()
		dropConn(f.t, w)
		return left
	}
}

func dropConn(t *testing.T, w http.ResponseWriter) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		t.Errorf("hijack: %v", err)
		return
	}
	conn.Close()
}

// waitUntil polls cond, for setting up concurrent scenarios (never for
// asserting timing).
func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	// Until the test binary's own deadline (go test -timeout), less a
	// margin to fail with this message: a busy machine may be slow to
	// reach the condition, and a broken one never reaches it.
	deadline, bounded := t.Deadline()
	deadline = deadline.Add(-10 * time.Second)
	for !cond() {
		if bounded && time.Now().After(deadline) {
			t.Fatal("condition not reached before the test's deadline")
		}
		time.Sleep(time.Millisecond)
	}
}
