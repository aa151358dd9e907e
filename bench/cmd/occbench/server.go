package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The reference server runs as a separate process, so that its CPU is not
// the bench's and a client cannot cheat by sharing memory with it.

// server is a running ifmatch-mockserver process.
type server struct {
	URL    string
	cmd    *exec.Cmd
	exited chan struct{} // closed when the process has been reaped
	stderr *tailBuffer
	admin  *http.Client
}

// buildServer compiles ../cmd/ifmatch-mockserver in the SDK's own module
// into dir and returns the binary's path.
func buildServer(ctx context.Context, dir string) (string, error) {
	root, err := sdkRoot(ctx)
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "ifmatch-mockserver")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/ifmatch-mockserver")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building the mockserver in %s: %v\n%s", root, err, out)
	}
	return bin, nil
}

// sdkRoot is the directory of the SDK module (the replace target in
// bench/go.mod).
func sdkRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "list", "-m", "-f", "{{.Dir}}", "github.com/ifmatch/ifmatch").Output()
	if err != nil {
		return "", fmt.Errorf("locating the SDK module (run from bench/): %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// startServer starts bin on a free loopback port (strong ETags, 412 for a
// stale version: the defaults) and waits until it answers. The caller
// must stop it.
func startServer(ctx context.Context, bin string, conflictBody bool) (*server, error) {
	args := []string{"-addr", "127.0.0.1:0", "-stale-status", "412"}
	if conflictBody {
		args = append(args, "-conflict-body")
	}
	args = append(args, mode.serverArgs()...)
	cmd := exec.Command(bin, args...)
	dieWithParent(cmd)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, exited: make(chan struct{}), stderr: &tailBuffer{max: 8 << 10},
		admin: &http.Client{Timeout: 10 * time.Second}}
	cmd.Stderr = s.stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the mockserver: %w", err)
	}
	go func() { _ = cmd.Wait(); close(s.exited) }()

	// The server prints "listening on http://127.0.0.1:PORT" once it
	// accepts connections.
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
				urls <- strings.TrimSpace(u)
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case s.URL = <-urls:
	case <-s.exited:
		return nil, fmt.Errorf("the mockserver exited at start: %s", s.stderr)
	case <-time.After(20 * time.Second):
		s.stop()
		return nil, errors.New("the mockserver did not say where it listens within 20s")
	case <-ctx.Done():
		s.stop()
		return nil, ctx.Err()
	}
	if err := s.waitReady(ctx); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

// waitReady polls the admin API until it answers.
func (s *server) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := s.stats(ctx); err == nil {
			return nil
		} else if time.Now().After(deadline) {
			return fmt.Errorf("the mockserver at %s does not answer: %w", s.URL, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.exited:
			return fmt.Errorf("the mockserver exited: %s", s.stderr)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// stop ends the process: SIGTERM for a graceful shutdown, SIGKILL if it is
// still there after 3 s. Safe to call more than once.
func (s *server) stop() {
	if s == nil || s.cmd.Process == nil {
		return
	}
	s.admin.CloseIdleConnections()
	select {
	case <-s.exited:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(3 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
}

// serverStats is the part of the mockserver's /_mock/stats the bench reads.
type serverStats struct {
	Requests  map[string]int64 `json:"requests"`
	Commits   int64            `json:"commits"`
	Conflicts int64            `json:"conflicts"`
}

func (st serverStats) total() int64 {
	var n int64
	for _, v := range st.Requests {
		n += v
	}
	return n
}

func (s *server) stats(ctx context.Context) (serverStats, error) {
	var st serverStats
	body, err := s.call(ctx, http.MethodGet, "/_mock/stats", nil, http.StatusOK)
	if err != nil {
		return st, err
	}
	return st, json.Unmarshal(body, &st)
}

// setLatency makes the server wait d before it processes each document
// request (a WAN round trip); 0 switches it off.
func (s *server) setLatency(ctx context.Context, d time.Duration) error {
	_, err := s.call(ctx, http.MethodPut, "/_mock/faults", fmt.Appendf(nil, `{"latency":%q}`, d.String()), http.StatusOK)
	return err
}

func (s *server) resetStats(ctx context.Context) error {
	_, err := s.call(ctx, http.MethodDelete, "/_mock/stats", nil, http.StatusNoContent)
	return err
}

// seed stores doc at path as an external writer.
func (s *server) seed(ctx context.Context, path string, doc []byte) error {
	_, err := s.call(ctx, http.MethodPut, "/_mock/docs"+path, doc, http.StatusOK, http.StatusCreated)
	return err
}

// counter reads the counters of the document at path (n and the writers'
// own), bypassing faults.
func (s *server) counter(ctx context.Context, path string) (int64, error) {
	body, err := s.call(ctx, http.MethodGet, "/_mock/docs"+path, nil, http.StatusOK)
	if err != nil {
		return 0, err
	}
	var d map[string]json.RawMessage
	if err := json.Unmarshal(body, &d); err != nil || d["n"] == nil {
		return 0, fmt.Errorf("document %s has no counter n: %v", path, err)
	}
	// n, plus the writers' own counters of ifmatch-patch (/w1, /w2, ...).
	var sum int64
	for k, v := range d {
		if k == "n" || strings.HasPrefix(k, "w") {
			var x int64
			if err := json.Unmarshal(v, &x); err != nil {
				return 0, fmt.Errorf("document %s: counter %s: %v", path, k, err)
			}
			sum += x
		}
	}
	return sum, nil
}

func (s *server) call(ctx context.Context, method, path string, body []byte, want ...int) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, s.URL+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := s.admin.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	for _, w := range want {
		if resp.StatusCode == w {
			return out, nil
		}
	}
	return nil, fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, out)
}

// tailBuffer keeps the last max bytes written to it, for error messages.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if over := len(t.b) - t.max; over > 0 {
		t.b = t.b[over:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(string(t.b))
}

// tempDir creates a private temporary directory for the server binary.
func tempDir() (string, func(), error) {
	dir, err := os.MkdirTemp("", "occbench-")
	if err != nil {
		return "", nil, err
	}
	return dir, func() { _ = os.RemoveAll(dir) }, nil
}
