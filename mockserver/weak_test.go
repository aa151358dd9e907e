package mockserver_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ifmatch/ifmatch/mockserver"
)

// serve sends one request straight to h (no network, so that it runs in a
// synctest bubble); header holds name, value pairs.
func serve(h http.Handler, method, path, body string, header ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	if method == http.MethodPut && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestWeakWindow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := mockserver.NewHandler(mockserver.Options{WeakWindow: time.Second})
		strong, err := h.SetDoc("/doc", []byte(`{"n":1}`))
		if err != nil {
			t.Fatal(err)
		}
		weak := "W/" + strong
		steps := []struct {
			name     string
			after    time.Duration // sleep before the request
			method   string
			header   []string
			want     int
			wantETag string
		}{
			{"GET just after the write", 0, "GET", nil, 200, weak},
			{"HEAD just after the write", 0, "HEAD", nil, 200, weak},
			{"GET If-None-Match weak", 0, "GET", []string{"If-None-Match", weak}, 304, weak},
			{"PUT If-Match weak, within the window", 0, "PUT", []string{"If-Match", weak}, 412, ""},
			{"PUT If-Match strong, within the window", 0, "PUT", []string{"If-Match", strong}, 412, ""},
			{"GET at the window's end", time.Second, "GET", nil, 200, weak},
			{"GET past the window", time.Nanosecond, "GET", nil, 200, strong},
			{"PUT If-Match weak, past the window", 0, "PUT", []string{"If-Match", weak}, 412, ""},
			{"PUT If-Match strong, past the window", 0, "PUT", []string{"If-Match", strong}, 200, ""},
		}
		for _, s := range steps {
			time.Sleep(s.after)
			rec := serve(h, s.method, "/doc", `{"n":2}`, s.header...)
			if rec.Code != s.want {
				t.Fatalf("%s: status %d, want %d: %s", s.name, rec.Code, s.want, rec.Body)
			}
			if s.wantETag != "" && rec.Header().Get("ETag") != s.wantETag {
				t.Errorf("%s: ETag %q, want %q", s.name, rec.Header().Get("ETag"), s.wantETag)
			}
		}
		_, now, _ := h.Doc("/doc")
		if now == strong {
			t.Fatalf("the PUT past the window did not commit")
		}
		if got := serve(h, "GET", "/doc", "").Header().Get("ETag"); got != "W/"+now {
			t.Errorf("GET after the new write: ETag %q, want W/%s", got, now)
		}
		if got := h.Stats().Conflicts; got != 3 {
			t.Errorf("Conflicts = %d, want 3", got)
		}
	})
}

func TestNoWriteETag(t *testing.T) {
	tests := []struct {
		name   string
		method string
		path   string
		header []string
		want   int
	}{
		{"PUT create", "PUT", "/new", nil, 201},
		{"PUT update", "PUT", "/doc", nil, 204},
		{"PATCH", "PATCH", "/doc", []string{"Content-Type", "application/merge-patch+json"}, 204},
		{"DELETE", "DELETE", "/doc", nil, 204},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := mockserver.NewHandler(mockserver.Options{NoWriteETag: true})
			if _, err := h.SetDoc("/doc", []byte(`{"n":1}`)); err != nil {
				t.Fatal(err)
			}
			rec := serve(h, tt.method, tt.path, `{"n":2}`, tt.header...)
			if rec.Code != tt.want {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.want, rec.Body)
			}
			if got := rec.Header().Get("ETag"); got != "" {
				t.Errorf("ETag %q, want none", got)
			}
			if rec.Body.Len() != 0 {
				t.Errorf("body %q, want none", rec.Body)
			}
			if got := h.Stats().Commits; got != 1 {
				t.Errorf("Commits = %d, want 1", got)
			}
		})
	}
}

func TestNonAtomicCheck(t *testing.T) {
	tests := []struct {
		name        string
		gap         time.Duration
		wantCommits int64
	}{
		{"atomic", 0, 1},
		{"non-atomic", time.Millisecond, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := mockserver.NewHandler(mockserver.Options{NonAtomicCheck: tt.gap})
				etag, err := h.SetDoc("/doc", []byte(`{"n":1}`))
				if err != nil {
					t.Fatal(err)
				}
				// Two writers with the same If-Match, at the same time.
				var wg sync.WaitGroup
				codes := make([]int, 2)
				for i := range codes {
					wg.Go(func() {
						codes[i] = serve(h, "PUT", "/doc", `{"n":2}`, "If-Match", etag, "Content-Type", "application/json").Code
					})
				}
				wg.Wait()
				ok := 0
				for _, c := range codes {
					if c == 200 {
						ok++
					}
				}
				if got := h.Stats().Commits; got != tt.wantCommits || int64(ok) != tt.wantCommits {
					t.Errorf("commits %d, 200 answers %d (%v), want %d", got, ok, codes, tt.wantCommits)
				}
			})
		})
	}
}

func TestApacheOptionsValidate(t *testing.T) {
	tests := []struct {
		name string
		opts mockserver.Options
		want string // "" for valid
	}{
		{"apache", mockserver.ApacheOptions(), ""},
		{"with WeakETags", func() mockserver.Options { o := mockserver.ApacheOptions(); o.WeakETags = true; return o }(), "exclude each other"},
		{"with VersionField", mockserver.Options{WeakWindow: time.Second, VersionField: "/_rev"}, "needs ETag mode"},
		{"negative window", mockserver.Options{WeakWindow: -1}, "negative"},
		{"negative gap", mockserver.Options{NonAtomicCheck: -1}, "negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.opts.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("Validate() = %v, want an error with %q", err, tt.want)
			}
		})
	}
}
