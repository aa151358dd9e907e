package ifmatch

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// spans is a Tracer that records what it is told, each request with the
// call it belongs to.
type spans struct {
	mu     sync.Mutex
	events []string // "start Put PUT /doc", "request Put PUT 0", "done PUT 412", "end Put 200 2"
}

type spanKey struct{}

func (s *spans) add(e string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, e)
}

func (s *spans) StartCall(ctx context.Context, call CallInfo) (context.Context, func(CallEnd)) {
	s.add("start " + call.Name + " " + call.Method + " " + call.URL)
	return context.WithValue(ctx, spanKey{}, call.Name), func(e CallEnd) {
		s.add(strings.TrimSpace(strings.Join([]string{"end", call.Name, itoa(e.StatusCode), itoa(e.Attempts), errText(e.Err)}, " ")))
	}
}

func (s *spans) StartRequest(ctx context.Context, req *http.Request, info RequestInfo) (context.Context, func(int, error)) {
	parent, _ := ctx.Value(spanKey{}).(string)
	req.Header.Set("Traceparent", "in-"+parent)
	s.add("request " + parent + " " + info.Method + " " + itoa(info.Retry))
	return ctx, func(status int, err error) {
		s.add(strings.TrimSpace("done " + info.Method + " " + itoa(status) + " " + errText(err)))
	}
}

func (s *spans) got() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.events)
}

func itoa(n int) string { return strconv.Itoa(n) }

func errText(err error) string {
	if err == nil {
		return ""
	}
	if errors.Is(err, ErrConflict) {
		return "conflict"
	}
	return "error"
}

var _ Tracer = (*spans)(nil)

func TestTracer(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		script []step
		call   func(c *Client, url string) error
		want   []string
	}{
		{
			name:   "get",
			call:   func(c *Client, url string) error { _, err := c.Get(ctx, url); return err },
			want:   []string{"start Get GET /doc", "request Get GET 0", "done GET 200", "end Get 200 0"},
			script: nil,
		},
		{
			name:   "update after a conflict and a transport retry",
			script: []step{onlyFor(http.MethodPut, writeFirst(`{"n":5}`)), onlyFor(http.MethodPut, answer(http.StatusServiceUnavailable))},
			call:   func(c *Client, url string) error { _, err := c.Update(ctx, url, increment); return err },
			want: []string{
				"start Update PUT /doc",
				"request Update GET 0", "done GET 200",
				"request Update PUT 0", "done PUT 412",
				"request Update GET 0", "done GET 200",
				"request Update PUT 0", "done PUT 503",
				"request Update PUT 1", "done PUT 200",
				"end Update 200 3",
			},
		},
		{
			name:   "put without a version",
			call:   func(c *Client, url string) error { _, err := c.Put(ctx, url, []byte(`{}`)); return err },
			want:   []string{"start Put PUT /doc", "end Put 0 0 error"},
			script: nil,
		},
		{
			name: "do",
			call: func(c *Client, url string) error {
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
				resp, err := c.Do(req)
				if err == nil {
					resp.Body.Close()
				}
				return err
			},
			want: []string{"start Do GET /doc", "request Do GET 0", "done GET 200", "end Do 200 0"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, `{"n":1}`)
			f.then(tt.script...)
			tr := &spans{}
			o := testOptions()
			o.Tracer = tr
			c := New(o)
			err := tt.call(c, f.url())
			wantErr := strings.HasSuffix(tt.want[len(tt.want)-1], "error")
			if (err != nil) != wantErr {
				t.Fatalf("err = %v, want error %v", err, wantErr)
			}
			got := tr.got()
			for i := range got {
				got[i] = strings.ReplaceAll(got[i], f.srv.URL, "")
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// The headers a Tracer adds reach the server (trace propagation), and the
// caller's request is not changed.
func TestTracerPropagates(t *testing.T) {
	var seen []string
	var mu sync.Mutex
	f := newFake(t, `{"n":1}`)
	f.then(func(f *fake, w http.ResponseWriter, r *http.Request, body []byte) verdict {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, r.Header.Get("Traceparent"))
		return through
	})
	o := testOptions()
	o.Tracer = &spans{}
	c := New(o)
	req, _ := http.NewRequest(http.MethodGet, f.url(), nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 1 || seen[0] != "in-Do" {
		t.Errorf("Traceparent at the server = %q, want [in-Do]", seen)
	}
	if h := req.Header.Get("Traceparent"); h != "" {
		t.Errorf("the caller's request got Traceparent %q", h)
	}
}

type hookKey struct{}

// OnConflict and OnRetry receive the call's context.
func TestHooksGetTheCallsContext(t *testing.T) {
	f := newFake(t, `{"n":1}`)
	f.then(onlyFor(http.MethodPut, writeFirst(`{"n":5}`)), onlyFor(http.MethodPut, answer(http.StatusServiceUnavailable)))
	var mu sync.Mutex
	var got []string
	o := testOptions()
	o.OnConflict = func(ctx context.Context, i ConflictInfo) {
		mu.Lock()
		defer mu.Unlock()
		v, _ := ctx.Value(hookKey{}).(string)
		got = append(got, "conflict "+v)
	}
	o.OnRetry = func(ctx context.Context, i RetryInfo) {
		mu.Lock()
		defer mu.Unlock()
		v, _ := ctx.Value(hookKey{}).(string)
		got = append(got, "retry "+v)
	}
	c := New(o)
	ctx := context.WithValue(context.Background(), hookKey{}, "call-1")
	if _, err := c.Update(ctx, f.url(), increment); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"conflict call-1", "retry call-1"}; !slices.Equal(got, want) {
		t.Errorf("hooks saw %q, want %q", got, want)
	}
}

// Stats.Requests counts every request sent, transport retries included.
func TestStatsRequests(t *testing.T) {
	ctx := context.Background()
	f := newFake(t, `{"n":1}`)
	c := New(testOptions())
	if _, err := c.Get(ctx, f.url()); err != nil {
		t.Fatal(err)
	}
	f.then(onlyFor(http.MethodPut, writeFirst(`{"n":5}`)), onlyFor(http.MethodPut, answer(http.StatusServiceUnavailable)))
	if _, err := c.Update(ctx, f.url(), increment); err != nil {
		t.Fatal(err)
	}
	// GET; then PUT 412, GET, PUT 503, PUT 200.
	if got, want := c.Stats().Requests, int64(len(f.requests())); got != want || want != 5 {
		t.Errorf("Stats.Requests = %d, the server saw %d, want 5", got, want)
	}
}

// Conflicts are logged at Debug: a Logger at Info gets no record for them.
func TestConflictsLogAtDebug(t *testing.T) {
	tests := []struct {
		name  string
		level slog.Level
		want  bool
	}{
		{"info", slog.LevelInfo, false},
		{"debug", slog.LevelDebug, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, `{"n":1}`)
			f.then(onlyFor(http.MethodPut, writeFirst(`{"n":5}`)))
			var buf bytes.Buffer
			o := testOptions()
			o.Logger = slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: tt.level}))
			c := New(o)
			if _, err := c.Update(context.Background(), f.url(), increment); err != nil {
				t.Fatal(err)
			}
			if got := strings.Contains(buf.String(), "conflict"); got != tt.want {
				t.Errorf("conflict logged: %v, want %v; log:\n%s", got, tt.want, buf.String())
			}
		})
	}
}
