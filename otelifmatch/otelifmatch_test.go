package otelifmatch_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/ifmatch/ifmatch"
	"github.com/ifmatch/ifmatch/mockserver"
	"github.com/ifmatch/ifmatch/otelifmatch"
)

// server is the mock server, failing the first PUT with 503 and keeping
// the traceparent of every request.
type server struct {
	h      *mockserver.Handler
	mu     sync.Mutex
	failed bool
	seen   []string // traceparent headers, in arrival order
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.seen = append(s.seen, r.Header.Get("Traceparent"))
	fail := r.Method == http.MethodPut && !s.failed
	s.failed = s.failed || fail
	s.mu.Unlock()
	if fail {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	s.h.ServeHTTP(w, r)
}

func setup(t *testing.T, opts ifmatch.Options) (*ifmatch.Client, *server, string, *tracetest.SpanRecorder, trace.Tracer) {
	t.Helper()
	s := &server{h: mockserver.NewHandler(mockserver.Options{})}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	sr := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))
	t.Cleanup(func() { tp.Shutdown(context.Background()) })
	opts.Tracer = otelifmatch.NewTracer(otelifmatch.WithTracerProvider(tp), otelifmatch.WithPropagators(propagation.TraceContext{}))
	opts.RetryWaitMin, opts.RetryWaitMax = time.Millisecond, 2*time.Millisecond
	c := ifmatch.New(&opts)
	t.Cleanup(c.CloseIdleConnections)
	if _, err := s.h.SetDoc("/doc", []byte(`{"n":1}`)); err != nil {
		t.Fatal(err)
	}
	return c, s, ts.URL + "/doc", sr, tp.Tracer("test")
}

func increment(cur []byte) ([]byte, error) {
	return []byte(strings.Replace(string(cur), `"n":5`, `"n":6`, 1)), nil
}

// A call after a conflict and a transport retry: one span for the call,
// a child of the caller's, and one client span per request, children of
// the call's, whose context the server receives.
func TestSpans(t *testing.T) {
	var conflictSpan trace.SpanContext
	c, s, url, sr, tr := setup(t, ifmatch.Options{
		OnConflict: func(ctx context.Context, _ ifmatch.ConflictInfo) { conflictSpan = trace.SpanContextFromContext(ctx) },
	})
	ctx, job := tr.Start(context.Background(), "job")
	if _, err := c.Get(ctx, url); err != nil {
		t.Fatal(err)
	}
	if _, err := s.h.SetDoc("/doc", []byte(`{"n":5}`)); err != nil { // another writer
		t.Fatal(err)
	}
	resp, err := c.Update(ctx, url, increment)
	if err != nil {
		t.Fatal(err)
	}
	job.End()

	ended := sr.Ended()
	byID := map[trace.SpanID]sdktrace.ReadOnlySpan{}
	for _, sp := range ended {
		byID[sp.SpanContext().SpanID()] = sp
	}
	children := func(parent sdktrace.ReadOnlySpan) []string {
		var out []string
		for _, sp := range ended {
			if sp.Parent().SpanID() == parent.SpanContext().SpanID() {
				out = append(out, describe(sp))
			}
		}
		return out
	}
	root := find(t, ended, "job")
	if got, want := children(root), []string{"ifmatch.Get 200", "ifmatch.Update 200 attempts=3"}; !slices.Equal(got, want) {
		t.Errorf("the caller's span has children %q, want %q", got, want)
	}
	update := find(t, ended, "ifmatch.Update")
	// The first PUT meets the 503 and its retry the other writer's version.
	want := []string{"HTTP PUT 503 error", "HTTP PUT 412 resend=1", "HTTP GET 200", "HTTP PUT 200"}
	if got := children(update); !slices.Equal(got, want) {
		t.Errorf("ifmatch.Update has children %q, want %q", got, want)
	}
	if resp.Attempts != 3 {
		t.Errorf("Attempts = %d, want 3", resp.Attempts)
	}
	if conflictSpan.SpanID() != update.SpanContext().SpanID() {
		t.Errorf("OnConflict saw span %v, want the call's %v", conflictSpan.SpanID(), update.SpanContext().SpanID())
	}
	// Every request carried its own span's context.
	var requestIDs []string
	for _, sp := range ended {
		if sp.SpanKind() == trace.SpanKindClient {
			if sp.SpanContext().TraceID() != root.SpanContext().TraceID() {
				t.Errorf("%s: trace %v, want the caller's %v", sp.Name(), sp.SpanContext().TraceID(), root.SpanContext().TraceID())
			}
			requestIDs = append(requestIDs, sp.SpanContext().SpanID().String())
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.seen) != len(requestIDs) {
		t.Fatalf("the server saw %d requests, %d request spans", len(s.seen), len(requestIDs))
	}
	for i, tp := range s.seen {
		if !strings.Contains(tp, requestIDs[i]) {
			t.Errorf("request %d: traceparent %q, want its span %s", i, tp, requestIDs[i])
		}
	}
}

// A call that fails is a span with an error status and the error.
func TestSpanOfAFailedCall(t *testing.T) {
	c, _, url, sr, _ := setup(t, ifmatch.Options{})
	_, err := c.Put(context.Background(), url, []byte(`{"n":2}`))
	if !errors.Is(err, ifmatch.ErrNoVersion) {
		t.Fatalf("Put: %v, want ErrNoVersion", err)
	}
	sp := find(t, sr.Ended(), "ifmatch.Put")
	if sp.Status().Code != codes.Error || len(sp.Events()) != 1 || sp.Events()[0].Name != "exception" {
		t.Errorf("status %v, events %v; want Error with the exception", sp.Status(), sp.Events())
	}
	if n := len(sr.Ended()); n != 1 {
		t.Errorf("%d spans, want only the call's: nothing was sent", n)
	}
}

func find(t *testing.T, spans []sdktrace.ReadOnlySpan, name string) sdktrace.ReadOnlySpan {
	t.Helper()
	for _, sp := range spans {
		if sp.Name() == name {
			return sp
		}
	}
	t.Fatalf("no span %q", name)
	return nil
}

// describe is "name status [attempts=n] [resend=n] [error]".
func describe(sp sdktrace.ReadOnlySpan) string {
	attrs := attribute.NewSet(sp.Attributes()...)
	s := sp.Name()
	if v, ok := attrs.Value("http.response.status_code"); ok {
		s += " " + v.String()
	}
	if v, ok := attrs.Value(otelifmatch.AttemptsKey); ok && v.AsInt64() > 0 {
		s += " attempts=" + v.String()
	}
	if v, ok := attrs.Value("http.request.resend_count"); ok {
		s += " resend=" + v.String()
	}
	if sp.Status().Code == codes.Error {
		s += " error"
	}
	return s
}
