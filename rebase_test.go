package ifmatch

import (
	"context"
	"errors"
	"net"
	"net/http"
	"slices"
	"testing"
	"time"
)

// testOptions keeps transport waits short; conflict backoff stays default.
func testOptions() *Options {
	return &Options{RetryWaitMin: time.Millisecond, RetryWaitMax: 5 * time.Millisecond, NoGroupCommit: true}
}

var incr = []byte(`[{"op":"replace","path":"/n","value":2}]`)

func TestClassification(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name     string
		script   []step
		wantReqs []string // after the document is cached
		wantDoc  string
		wantErr  func(error) bool
	}{
		{
			name:     "2xx commits in one request",
			wantReqs: []string{`PUT "1"`},
			wantDoc:  `{"n":2}`,
		},
		{
			name:     "412 refetches, rebases, retries",
			script:   []step{writeFirst(`{"n":1,"m":9}`)},
			wantReqs: []string{`PUT "1"`, `GET`, `PUT "2"`},
			wantDoc:  `{"n":2,"m":9}`,
		},
		{
			name: "409 with a moved version is rebased",
			script: []step{func(f *fake, w http.ResponseWriter, r *http.Request, b []byte) verdict {
				f.set(`{"n":1,"m":9}`)
				w.WriteHeader(409)
				return done
			}},
			wantReqs: []string{`PUT "1"`, `GET`, `PUT "2"`},
			wantDoc:  `{"n":2,"m":9}`,
		},
		{
			name:     "409 with an unchanged version is a conflict about content",
			script:   []step{problem(409, "insufficient funds")},
			wantReqs: []string{`PUT "1"`, `GET`},
			wantDoc:  `{"n":1}`,
			wantErr: func(err error) bool {
				var ce *ConflictError
				return errors.As(err, &ce) && ce.StatusCode == 409 && ce.Problem != nil &&
					ce.Problem.Title == "insufficient funds" && ce.ETag == `"1"`
			},
		},
		{
			name:     "428 fetches the version and retries",
			script:   []step{answer(428)},
			wantReqs: []string{`PUT "1"`, `GET`, `PUT "1"`},
			wantDoc:  `{"n":2}`,
		},
		{
			name:     "423 Locked is waited out and sent again, not rebased",
			script:   []step{answer(423), answer(423)},
			wantReqs: []string{`PUT "1"`, `PUT "1"`, `PUT "1"`},
			wantDoc:  `{"n":2}`,
		},
		{
			name: "409 whose problem says locked is waited out too",
			script: []step{func(f *fake, w http.ResponseWriter, r *http.Request, b []byte) verdict {
				w.Header().Set("Content-Type", "application/problem+json")
				w.WriteHeader(409)
				w.Write([]byte(`{"type":"https://example.com/problems/locked","title":"Resource locked"}`))
				return done
			}},
			wantReqs: []string{`PUT "1"`, `PUT "1"`},
			wantDoc:  `{"n":2}`,
		},
		{
			name:     "503 is retried by the transport",
			script:   []step{answer(503, "Retry-After", "0")},
			wantReqs: []string{`PUT "1"`, `PUT "1"`},
			wantDoc:  `{"n":2}`,
		},
		{
			name:     "429 is retried by the transport",
			script:   []step{answer(429)},
			wantReqs: []string{`PUT "1"`, `PUT "1"`},
			wantDoc:  `{"n":2}`,
		},
		{
			name:     "408 is retried by the transport",
			script:   []step{answer(408)},
			wantReqs: []string{`PUT "1"`, `PUT "1"`},
			wantDoc:  `{"n":2}`,
		},
		{
			name:     "a network error before processing is retried",
			script:   []step{dropBefore()},
			wantReqs: []string{`PUT "1"`, `PUT "1"`},
			wantDoc:  `{"n":2}`,
		},
		{
			name:     "another 4xx is the caller's error",
			script:   []step{problem(403, "forbidden")},
			wantReqs: []string{`PUT "1"`},
			wantDoc:  `{"n":1}`,
			wantErr: func(err error) bool {
				var re *ResponseError
				return errors.As(err, &re) && re.StatusCode == 403 && re.Problem.Title == "forbidden" && !errors.Is(err, ErrConflict)
			},
		},
		{
			name:     "a lost answer then 412 is an unknown outcome",
			script:   []step{commitThenDrop()},
			wantReqs: []string{`PUT "1"`, `PUT "1"`},
			wantDoc:  `{"n":2}`,
			wantErr: func(err error) bool {
				var ou *OutcomeUnknownError
				return errors.Is(err, ErrOutcomeUnknown) && !errors.Is(err, ErrConflict) && errors.As(err, &ou) && ou.Attempts == 2
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, `{"n":1}`)
			c := New(testOptions())
			if _, err := c.Get(ctx, f.url()); err != nil {
				t.Fatal(err)
			}
			f.requests()
			f.then(tt.script...)
			_, err := c.Patch(ctx, f.url(), incr)
			if tt.wantErr == nil && err != nil {
				t.Fatalf("Patch: %v", err)
			}
			if tt.wantErr != nil && !tt.wantErr(err) {
				t.Fatalf("Patch: got error %v (%T), not the one expected", err, err)
			}
			if got := f.requests(); !slices.Equal(got, tt.wantReqs) {
				t.Errorf("requests = %q, want %q", got, tt.wantReqs)
			}
			if doc, _ := f.current(); doc != tt.wantDoc {
				t.Errorf("document = %s, want %s", doc, tt.wantDoc)
			}
		})
	}
}

func TestPostIsNeverRetried(t *testing.T) {
	f := newFake(t, `{}`)
	f.then(answer(503), answer(503))
	c := New(testOptions())
	req, _ := http.NewRequest(http.MethodPost, f.url(), nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 503 {
		t.Errorf("status = %d, want 503", resp.StatusCode)
	}
	if got := f.requests(); len(got) != 1 {
		t.Errorf("requests = %q, want one POST", got)
	}
}

func TestTransportRetriesRunOut(t *testing.T) {
	f := newFake(t, `{"n":1}`)
	c := New(&Options{RetryMax: 2, RetryWaitMin: time.Millisecond, RetryWaitMax: time.Millisecond})
	if _, err := c.Get(context.Background(), f.url()); err != nil {
		t.Fatal(err)
	}
	f.requests()
	f.then(answer(502), answer(502), answer(502), answer(502))
	_, err := c.Patch(context.Background(), f.url(), incr)
	var re *ResponseError
	if !errors.As(err, &re) || re.StatusCode != 502 {
		t.Fatalf("err = %v, want *ResponseError 502 (the last answer kept)", err)
	}
	if got := f.requests(); len(got) != 3 {
		t.Errorf("requests = %q, want 3 (1 + RetryMax 2)", got)
	}
}

func TestWeakETagSentVerbatim(t *testing.T) {
	f := newFake(t, `{"n":1}`)
	weak := `W/"tbl-1"`
	f.then(
		func(f *fake, w http.ResponseWriter, r *http.Request, b []byte) verdict {
			w.Header().Set("ETag", weak)
			w.Write([]byte(`{"n":1}`))
			return done
		},
		func(f *fake, w http.ResponseWriter, r *http.Request, b []byte) verdict {
			if r.Header.Get("If-Match") != weak {
				t.Errorf("If-Match = %q, want %q verbatim", r.Header.Get("If-Match"), weak)
			}
			w.WriteHeader(204)
			return done
		})
	if _, err := New(testOptions()).Patch(context.Background(), f.url(), incr); err != nil {
		t.Fatal(err)
	}
}

func TestETagThatNeverMatches(t *testing.T) {
	f := newFake(t, `{"n":1}`)
	// Every write is refused though the version never moves.
	for range 20 {
		f.then(onlyFor(http.MethodPut, answer(412)))
	}
	c := New(testOptions())
	_, err := c.Patch(context.Background(), f.url(), incr)
	if !errors.Is(err, ErrETagRejected) || !errors.Is(err, ErrConflict) {
		t.Fatalf("err = %v, want ErrETagRejected", err)
	}
	puts := 0
	for _, r := range f.requests() {
		if r[:3] == "PUT" {
			puts++
		}
	}
	if puts != rejectLimit {
		t.Errorf("PUTs = %d, want %d", puts, rejectLimit)
	}
}

func TestMissingETag(t *testing.T) {
	f := newFake(t, `{"n":1}`)
	f.then(func(f *fake, w http.ResponseWriter, r *http.Request, b []byte) verdict {
		w.Write([]byte(`{"n":1}`))
		return done
	})
	_, err := New(testOptions()).Patch(context.Background(), f.url(), incr)
	if !errors.Is(err, ErrUnversioned) {
		t.Fatalf("err = %v, want ErrUnversioned", err)
	}
	if got := f.requests(); len(got) != 1 {
		t.Errorf("requests = %q, want only the GET", got)
	}
}

func TestMaxAttempts(t *testing.T) {
	f := newFake(t, `{"n":1}`)
	for i := range 10 {
		f.then(onlyFor(http.MethodPut, writeFirst(`{"n":1,"i":`+string(rune('0'+i))+`}`)))
	}
	o := testOptions()
	o.MaxAttempts = 3
	_, err := New(o).Patch(context.Background(), f.url(), incr)
	var ce *ConflictError
	if !errors.As(err, &ce) || ce.Attempts != 3 || ce.StatusCode != 412 {
		t.Fatalf("err = %v, want *ConflictError after 3 attempts", err)
	}
	// Three writes met three other writers (versions 2, 3, 4); the last
	// version this Client saw is the one it refetched before its last write.
	if ce.ETag != `"3"` {
		t.Errorf("ConflictError.ETag = %s, want the last seen \"3\"", ce.ETag)
	}
}

// A request that never left (nothing listens) is retried and is not an
// unknown outcome.
func TestRefusedConnectionIsNotAmbiguous(t *testing.T) {
	for name, hc := range map[string]*http.Client{
		"net/http transport": nil,
		"custom transport":   {Transport: roundTripFunc(http.DefaultTransport.RoundTrip)},
	} {
		t.Run(name, func(t *testing.T) {
			o := testOptions()
			o.HTTPClient = hc
			c := New(o)
			_, err := c.Create(context.Background(), deadURL(t)+"/doc", []byte(`{}`))
			if err == nil || errors.Is(err, ErrOutcomeUnknown) {
				t.Fatalf("err = %v, want a connection error, not an unknown outcome", err)
			}
			if got := c.Stats().TransportRetries; got != 4 {
				t.Errorf("transport retries = %d, want 4", got)
			}
		})
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// deadURL returns a loopback URL nothing listens on.
func deadURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	return "http://" + ln.Addr().String()
}
