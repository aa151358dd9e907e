package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"net"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ifmatch/ifmatch/mockserver"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestParseFlags(t *testing.T) {
	all := []string{
		"-addr", "127.0.0.1:0", "-stale-status", "409", "-require-if-match", "-weak-etags", "-conflict-body",
		"-version-field", "/metadata/resourceVersion", "-version-param", "resourceVersion", "-ignore-preconditions",
		"-idempotency", "-idempotency-header", "X-Key", "-history", "3", "-seed", "42",
		"-latency", "5ms", "-latency-jitter", "1ms", "-error-rate", "0.1", "-error-status", "429",
		"-retry-after", "2s", "-reset-rate", "0.2", "-drop-rate", "0.3", "-interfere-rate", "0.4",
		"-stale-read-rate", "0.5", "-seed-doc", `/a={"n":0}`, "-seed-doc", `/b/c=[1,"x=y"]`, "-v",
		"-max-conns", "7", "-max-header-bytes", "1000",
	}
	c, err := parseFlags(all, io.Discard)
	if err != nil {
		t.Fatalf("parseFlags: %v", err)
	}
	want := mockserver.Options{
		StaleStatus: 409, RequireIfMatch: true, WeakETags: true, ConflictBody: true,
		VersionField: "/metadata/resourceVersion", VersionParam: "resourceVersion", IgnorePreconditions: true,
		Idempotency: true, IdempotencyHeader: "X-Key", History: 3, Seed: 42, MaxConnections: 7,
		Faults: mockserver.Faults{
			Latency: 5 * time.Millisecond, LatencyJitter: time.Millisecond, ErrorRate: 0.1, ErrorStatus: 429,
			RetryAfter: 2 * time.Second, ResetRate: 0.2, DropRate: 0.3, InterfereRate: 0.4, StaleReadRate: 0.5,
		},
	}
	if !reflect.DeepEqual(c.opts, want) {
		t.Errorf("options = %+v\nwant %+v", c.opts, want)
	}
	if c.addr != "127.0.0.1:0" || !c.verbose || c.maxHeaderBytes != 1000 {
		t.Errorf("addr, verbose, max header bytes = %q, %v, %d, want 127.0.0.1:0, true, 1000", c.addr, c.verbose, c.maxHeaderBytes)
	}
	if len(c.docs) != 2 || c.docs[1].path != "/b/c" || string(c.docs[1].doc) != `[1,"x=y"]` {
		t.Errorf("seed docs = %+v, want /a and /b/c", c.docs)
	}

	defaults, err := parseFlags(nil, io.Discard)
	if err != nil {
		t.Fatalf("parseFlags(nil): %v", err)
	}
	if defaults.addr != "127.0.0.1:8080" || defaults.opts.StaleStatus != 412 || defaults.opts.Faults != (mockserver.Faults{ErrorStatus: 503}) {
		t.Errorf("defaults = %+v, want 127.0.0.1:8080, 412, no faults", defaults)
	}
	if defaults.opts.MaxConnections != 256 || defaults.maxHeaderBytes != 64<<10 {
		t.Errorf("default -max-conns, -max-header-bytes = %d, %d, want 256, 65536", defaults.opts.MaxConnections, defaults.maxHeaderBytes)
	}
	wantTimeouts := timeouts{readHeader: 5 * time.Second, read: 15 * time.Second, idle: 15 * time.Second}
	if defaults.timeouts != wantTimeouts {
		t.Errorf("default timeouts = %+v, want %+v", defaults.timeouts, wantTimeouts)
	}
	c, err = parseFlags([]string{"-read-header-timeout", "1s", "-read-timeout", "2s", "-write-timeout", "3s", "-idle-timeout", "0"}, io.Discard)
	if want := (timeouts{readHeader: time.Second, read: 2 * time.Second, write: 3 * time.Second}); err != nil || c.timeouts != want {
		t.Errorf("timeouts = %+v (%v), want %+v", c.timeouts, err, want)
	}
}

func TestParseFlagsErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string // in the output
	}{
		{"stale status", []string{"-stale-status", "400"}, "StaleStatus 400"},
		{"rate", []string{"-drop-rate", "1.5"}, "DropRate 1.5"},
		{"error status", []string{"-error-status", "404"}, "ErrorStatus 404"},
		{"version field", []string{"-version-field", "_rev"}, "JSON Pointer"},
		{"seed doc without =", []string{"-seed-doc", "/a"}, "path=json"},
		{"seed doc bad JSON", []string{"-seed-doc", "/a={"}, "invalid JSON"},
		{"unknown flag", []string{"-nope"}, "-nope"},
		{"negative timeout", []string{"-idle-timeout", "-1s"}, "timeout -1s is negative"},
		{"argument", []string{"extra"}, "unexpected arguments"},
		{"zero connections", []string{"-max-conns", "0"}, "-max-conns 0"},
		{"zero header bytes", []string{"-max-header-bytes", "0"}, "-max-header-bytes 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			_, err := parseFlags(tt.args, &out)
			if !errors.Is(err, errUsage) {
				t.Errorf("parseFlags(%q) error = %v, want errUsage", tt.args, err)
			}
			if !strings.Contains(out.String(), tt.want) {
				t.Errorf("output %q lacks %q", out.String(), tt.want)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	var out bytes.Buffer
	if _, err := parseFlags([]string{"-h"}, &out); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("-h error = %v, want flag.ErrHelp", err)
	}
	for _, want := range []string{
		"Examples:", "-stale-status", "-require-if-match", "-weak-etags", "-conflict-body", "-version-field",
		"-version-param", "-ignore-preconditions", "-idempotency", "-seed", "-latency", "-latency-jitter",
		"-error-rate", "-error-status", "-retry-after", "-reset-rate", "-drop-rate", "-interfere-rate",
		"-stale-read-rate", "-seed-doc", "-v", "-read-header-timeout", "-read-timeout", "-write-timeout", "-idle-timeout",
		"-max-conns", "-max-header-bytes",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("usage lacks %q", want)
		}
	}
}

// syncBuffer is written by the server while the test may read it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestRun(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	urls := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-stale-status", "409", "-v", "-seed-doc", `/counter={"n":0}`},
			&stdout, &stderr, func(url string) { urls <- url })
	}()
	var url string
	select {
	case url = <-urls:
	case err := <-done:
		t.Fatalf("run ended before serving: %v\n%s", err, stderr.String())
	}
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}

	steps := []struct {
		method, path, body string
		header             []string
		want               int
		wantBody           string // substring
	}{
		{"GET", "/counter", "", nil, 200, `{"n":0}`},
		{"PUT", "/counter", `{"n":1}`, []string{"If-Match", `"0"`, "Content-Type", "application/json"}, 409, "stale-version"},
		{"PUT", "/counter", `{"n":1}`, []string{"If-Match", "$etag", "Content-Type", "application/json"}, 200, `{"n":1}`},
		{"PUT", "/counter", `{"n":1}`, []string{"If-Match", "$etag"}, 415, "unsupported-media-type"},
		{"PUT", "/x%00y", `{}`, []string{"Content-Type", "application/json"}, 201, "{}"},
		{"GET", "/counter", "", []string{"X-Pad", strings.Repeat("a", 100<<10)}, 431, ""}, // past -max-header-bytes
		{"PUT", "/_mock/docs/other", `{"x":true}`, nil, 201, `{"x":true}`},
		{"GET", "/other", "", nil, 200, `{"x":true}`},
		{"GET", "/_mock/stats", "", nil, 200, `"commits":2`},
		{"PUT", "/_mock/faults", `{"error_rate":1}`, nil, 200, `"error_rate":1`},
		{"GET", "/counter", "", nil, 503, "injected-fault"},
		{"GET", "/_mock/faults", "", nil, 200, `"error_rate":1`},
	}
	etag := "" // the last ETag seen, sent for "$etag"
	for _, s := range steps {
		req, _ := http.NewRequest(s.method, url+s.path, strings.NewReader(s.body))
		for i := 0; i+1 < len(s.header); i += 2 {
			v := s.header[i+1]
			if v == "$etag" {
				v = etag
			}
			req.Header.Set(s.header[i], v)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", s.method, s.path, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if e := resp.Header.Get("ETag"); e != "" {
			etag = e
		}
		if resp.StatusCode != s.want || !strings.Contains(string(body), s.wantBody) {
			t.Errorf("%s %s = %d %s, want %d with %s", s.method, s.path, resp.StatusCode, body, s.want, s.wantBody)
		}
	}

	cancel()
	if err := <-done; err != nil {
		t.Errorf("run after cancel = %v, want nil", err)
	}
	if got := stdout.String(); got != "listening on "+url+"\n" {
		t.Errorf("stdout = %q, want listening on %s", got, url)
	}
	for _, want := range []string{"mockserver started", "document seeded", "faults switched", "msg=request", "stopped"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, stderr.String())
		}
	}
	if _, err := c.Get(url + "/counter"); err == nil {
		t.Errorf("GET after shutdown succeeded, want an error")
	}
}

func TestRunListenError(t *testing.T) {
	err := run(context.Background(), []string{"-addr", "256.0.0.1:0"}, io.Discard, io.Discard, nil)
	if err == nil {
		t.Errorf("run on a bad address = nil, want an error")
	}
}

// startRun runs the server with args on a free port until the test ends,
// and returns its host:port.
func startRun(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	urls := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"-addr", "127.0.0.1:0"}, args...), io.Discard, io.Discard,
			func(url string) { urls <- url })
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})
	select {
	case url := <-urls:
		return strings.TrimPrefix(url, "http://")
	case err := <-done:
		t.Fatalf("run ended before serving: %v", err)
		return ""
	}
}

// TestTimeouts holds connections open the ways a slow or idle client
// does, against short timeouts, and checks that the server closes each
// one. The 10 s bound only keeps a broken server from hanging the test.
func TestTimeouts(t *testing.T) {
	addr := startRun(t, "-read-header-timeout", "100ms", "-read-timeout", "200ms", "-idle-timeout", "200ms")
	tests := []struct {
		name, send string
		wantReply  string // the start of what the server writes before closing, if it matters
	}{
		{"trickled headers", "GET /doc HTTP/1.1\r\nHost: x\r\n", ""},
		{"trickled body", "PUT /doc HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{", "HTTP/1.1 400"},
		{"idle keep-alive", "GET /_mock/stats HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 200"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := io.WriteString(conn, tt.send); err != nil {
				t.Fatal(err)
			}
			_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
			got, err := io.ReadAll(conn) // until the server closes
			if err != nil {
				t.Fatalf("the server kept the connection: %v (read %q)", err, got)
			}
			if !strings.HasPrefix(string(got), tt.wantReply) {
				t.Errorf("the server wrote %q, want %q", got, tt.wantReply)
			}
		})
	}
}
