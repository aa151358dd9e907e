package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// TestMeasurePeakRSS runs the hostile inputs of issue 24 against the
// standalone server, one fresh process each, and reports each process's
// peak resident memory (VmHWM). It builds the command, so it runs only
// when asked:
//
//	IFMATCH_MEASURE=1 go test -run TestMeasurePeakRSS -v ./cmd/ifmatch-mockserver
//
// Linux only (it reads /proc). The bound is 300 MB per input.
func TestMeasurePeakRSS(t *testing.T) {
	if os.Getenv("IFMATCH_MEASURE") == "" {
		t.Skip("set IFMATCH_MEASURE=1 to build the server and measure it")
	}
	bin := filepath.Join(t.TempDir(), "ifmatch-mockserver")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	mib := strings.Repeat("x", 1<<20)
	tests := []struct {
		name   string
		args   []string
		attack func(t *testing.T, url string)
	}{
		{"idempotency keys: 400 keyed PUTs of 1 MiB", []string{"-idempotency"}, func(t *testing.T, url string) {
			for i := range 400 {
				do(t, "PUT", url+"/doc", `{"pad":"`+mib+`"}`, "Content-Type", "application/json", "Idempotency-Key", strconv.Itoa(i))
			}
		}},
		{"merge patches of 50,000 and 400,000 keys", nil, func(t *testing.T, url string) {
			do(t, "PUT", url+"/doc", `{}`, "Content-Type", "application/json")
			for _, n := range []int{50_000, 50_000, 400_000} {
				do(t, "PATCH", url+"/doc", flatKeys(n), "Content-Type", "application/merge-patch+json")
			}
		}},
		{"200 connections of 1 MiB unfinished headers", nil, func(t *testing.T, url string) {
			var wg sync.WaitGroup
			for range 200 {
				conn, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
				if err != nil {
					t.Fatal(err)
				}
				wg.Go(func() {
					defer conn.Close()
					go func() {
						_, _ = io.WriteString(conn, "GET /doc HTTP/1.1\r\nHost: x\r\nX-Pad: ")
						_, _ = io.WriteString(conn, mib)
					}()
					_, _ = io.ReadAll(conn)
				})
			}
			wg.Wait()
		}},
		{"20 patches of 30 whole-document copies", nil, func(t *testing.T, url string) {
			do(t, "PUT", url+"/doc", `{"a":"`+mib[:256<<10]+`"}`, "Content-Type", "application/json")
			var ops []string
			for i := range 30 {
				ops = append(ops, fmt.Sprintf(`{"op":"copy","from":"","path":"/c%d"}`, i))
			}
			for range 20 {
				do(t, "PATCH", url+"/doc", "["+strings.Join(ops, ",")+"]", "Content-Type", "application/json-patch+json")
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(bin, append([]string{"-addr", "127.0.0.1:0"}, tt.args...)...)
			stdout, _ := cmd.StdoutPipe()
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
			line, _ := bufio.NewReader(stdout).ReadString('\n')
			url := strings.TrimSpace(strings.TrimPrefix(line, "listening on "))
			tt.attack(t, url)
			peak := procStatus(t, cmd.Process.Pid, "VmHWM")
			t.Logf("%s: peak RSS %d MB, now %d MB", tt.name, peak>>20, procStatus(t, cmd.Process.Pid, "VmRSS")>>20)
			if peak > 300<<20 {
				t.Errorf("peak RSS %d MB, want at most 300 MB", peak>>20)
			}
		})
	}
}

// do sends one request and drains the answer; header holds name, value
// pairs.
func do(t *testing.T, method, url, body string, header ...string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

// flatKeys is a JSON object of n members "k0".."k<n-1>".
func flatKeys(n int) string {
	var b strings.Builder
	b.WriteByte('{')
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"k%d":%d`, i, i)
	}
	b.WriteByte('}')
	return b.String()
}

// procStatus reads a size in kB from /proc/<pid>/status, in bytes.
func procStatus(t *testing.T, pid int, field string) int64 {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for l := range strings.SplitSeq(string(data), "\n") {
		if rest, ok := strings.CutPrefix(l, field+":"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}
