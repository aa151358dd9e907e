package ifmatch_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ifmatch/ifmatch"
)

// serve starts an httptest server with h.
func serve(t *testing.T, h http.HandlerFunc) string {
	t.Helper()
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s.URL
}

func TestHostileBodyTooLarge(t *testing.T) {
	url := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"1"`)
		w.Header().Set("Content-Type", "application/json")
		chunk := bytes.Repeat([]byte(" "), 64<<10)
		for range 1600 { // 100 MiB, if anybody read it all
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	c := newClient(t, ifmatch.Options{MaxBodyBytes: 1 << 20})
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := c.Patch(context.Background(), url+"/doc", []byte(`[]`))
	if !errors.Is(err, ifmatch.ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if grown := after.TotalAlloc - before.TotalAlloc; grown > 32<<20 {
		t.Errorf("allocated %d MiB reading a body capped at 1 MiB", grown>>20)
	}
	if _, err := c.Put(context.Background(), url+"/doc", make([]byte, 2<<20)); !errors.Is(err, ifmatch.ErrTooLarge) {
		t.Errorf("Put of a body over the cap: %v, want ErrTooLarge", err)
	}
}

func TestHostileTrickle(t *testing.T) {
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) })
	url := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"1"`)
		w.WriteHeader(200)
		for {
			select {
			case <-stop:
				return
			case <-r.Context().Done():
				return
			case <-time.After(20 * time.Millisecond):
			}
			w.Write([]byte(" "))
			w.(http.Flusher).Flush()
		}
	})
	c := newClient(t, ifmatch.Options{AttemptTimeout: 200 * time.Millisecond, RetryMax: -1})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := c.Get(ctx, url+"/doc")
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("err = %v, want a per-attempt timeout", err)
	}
	if ctx.Err() != nil {
		t.Error("the call ran until the test's own deadline: the per-attempt timeout did not apply")
	}
}

func TestHostileInvalidDocuments(t *testing.T) {
	tests := []struct {
		name, ctype, body string
	}{
		{"invalid json", "application/json", `{"n":`},
		{"html", "text/html", `<html>{}</html>`},
		{"html that is valid json", "text/html", `{"n":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var puts int
			url := serve(t, func(w http.ResponseWriter, r *http.Request) {
				if r.Method != http.MethodGet {
					puts++
				}
				w.Header().Set("ETag", `"1"`)
				w.Header().Set("Content-Type", tt.ctype)
				fmt.Fprint(w, tt.body)
			})
			c := newClient(t, ifmatch.Options{})
			_, err := c.Patch(context.Background(), url+"/doc", []byte(`[{"op":"add","path":"/x","value":1}]`))
			if !errors.Is(err, ifmatch.ErrInvalidResponse) {
				t.Fatalf("err = %v, want ErrInvalidResponse", err)
			}
			if puts != 0 {
				t.Errorf("%d writes sent on the strength of an unusable document", puts)
			}
		})
	}
}

func TestRedirectDropsCredentials(t *testing.T) {
	var mu sync.Mutex
	var got http.Header
	other := serve(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = r.Header.Clone()
		mu.Unlock()
		w.Header().Set("ETag", `"1"`)
		w.Write([]byte(`{}`))
	})
	// 127.0.0.1 and localhost are different hosts to net/http.
	other = strings.Replace(other, "127.0.0.1", "localhost", 1)
	first := serve(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other+"/elsewhere", http.StatusTemporaryRedirect)
	})
	c := newClient(t, ifmatch.Options{Header: http.Header{"X-Api-Key": {"k-secret"}}})
	_, err := c.Get(context.Background(), first+"/doc",
		ifmatch.WithHeader("Authorization", "Bearer secret"), ifmatch.WithHeader("Cookie", "s=secret"))
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, h := range []string{"Authorization", "Cookie", "X-Api-Key"} {
		if v := got.Get(h); v != "" {
			t.Errorf("%s forwarded to another host: %q", h, v)
		}
	}
}

// recorder collects every log record, formatted with all its attributes.
type logRecorder struct {
	mu    sync.Mutex
	lines []string
}

func (l *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (l *logRecorder) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool { fmt.Fprintf(&b, " %s=%v", a.Key, a.Value); return true })
	l.mu.Lock()
	l.lines = append(l.lines, b.String())
	l.mu.Unlock()
	return nil
}
func (l *logRecorder) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logRecorder) WithGroup(string) slog.Handler      { return l }

// No credential ever appears in an error or a log record, whatever path
// the call takes.
func TestNoCredentialsInErrorsOrLogs(t *testing.T) {
	var n int
	var mu sync.Mutex
	url := serve(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n++
		i := n
		mu.Unlock()
		switch {
		case i%4 == 1:
			w.WriteHeader(http.StatusServiceUnavailable) // transport retry
		case r.Method == http.MethodGet:
			w.Header().Set("ETag", fmt.Sprintf(`"%d"`, i))
			w.Write([]byte(`{"n":1}`))
		case i%4 == 2:
			w.WriteHeader(http.StatusPreconditionFailed) // conflict
		default:
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusForbidden)
			w.Write([]byte(`{"title":"no"}`))
		}
	})
	rec := &logRecorder{}
	c := newClient(t, ifmatch.Options{
		Logger:      slog.New(rec),
		Header:      http.Header{"X-Api-Key": {"apikey-secret"}},
		MaxAttempts: 3,
	})
	secretURL := strings.Replace(url, "http://", "http://user:pw-secret@", 1) + "/doc?token=tok-secret&page=2#frag-secret"
	opts := []ifmatch.CallOption{
		ifmatch.WithHeader("Authorization", "Bearer bearer-secret"),
		ifmatch.WithHeader("Cookie", "session=cookie-secret"),
	}
	ctx := context.Background()
	var errs []error
	for range 6 {
		_, err := c.Patch(ctx, secretURL, []byte(`[{"op":"add","path":"/x","value":1}]`), opts...)
		errs = append(errs, err)
		_, err = c.Get(ctx, secretURL, opts...)
		errs = append(errs, err)
	}
	_, err := c.Put(ctx, secretURL, []byte(`{}`), opts...)
	errs = append(errs, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close() // nothing listens there now
	dead := "http://user:pw-secret@" + ln.Addr().String() + "/doc?token=tok-secret"
	_, err = c.Get(ctx, dead, opts...)
	errs = append(errs, err)

	var texts []string
	sawErr := false
	for _, err := range errs {
		if err != nil {
			sawErr = true
			texts = append(texts, err.Error())
			var re *ifmatch.ResponseError
			if errors.As(err, &re) {
				texts = append(texts, fmt.Sprint(re.Header), re.URL)
			}
		}
	}
	rec.mu.Lock()
	texts = append(texts, rec.lines...)
	rec.mu.Unlock()
	if !sawErr || len(rec.lines) == 0 {
		t.Fatalf("the scenario produced %d errors and %d log records; it must produce both", len(errs), len(rec.lines))
	}
	for _, s := range texts {
		if strings.Contains(s, "secret") {
			t.Errorf("credential leaked: %s", s)
		}
	}
}
