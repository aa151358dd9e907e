//go:build unix

package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ifmatch/ifmatch/mockserver"
)

// The real binary, stopped by SIGINT (or SIGTERM) midway and run again
// with -resume: every operation it started is reported, and in the end
// every operation is applied exactly once (without faults), or at most
// once (with answers dropped after commit: a lost answer is unknown, never
// ok, and the resumed run does not apply it again). A second signal
// cancels the operations in flight, reported unknown.
func TestApplySignals(t *testing.T) {
	bin := ifmatchBinary(t)
	tests := []struct {
		name   string
		faults mockserver.Faults
		signal os.Signal
	}{
		{"no faults", mockserver.Faults{Latency: 2 * time.Millisecond}, syscall.SIGINT},
		{"answers dropped, SIGTERM", mockserver.Faults{Latency: 2 * time.Millisecond, DropRate: 0.1}, syscall.SIGTERM},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, mockserver.Options{Seed: 3})
			var paths, ids, lines []string
			// 3,000 operations: more results than a pipe holds (about 590), so
			// that however late this reader gets to run, the run cannot finish
			// before it has read 150 of them and sent the signal.
			for i := range 3000 {
				p := fmt.Sprintf("/sig/%d", i%100)
				if i < 100 {
					if _, err := srv.SetDoc(p, []byte(`{"ops":[]}`)); err != nil {
						t.Fatal(err)
					}
					paths = append(paths, p)
				}
				id := fmt.Sprintf("op%d", i)
				ids, lines = append(ids, id), append(lines, appendOp(id, srv.URL+p))
			}
			ops := filepath.Join(t.TempDir(), "ops.jsonl")
			if err := os.WriteFile(ops, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			srv.SetFaults(tt.faults)
			common := []string{"apply", "-concurrency", "4", "-retry-wait-min", "1ms", "-retry-wait-max", "5ms"}

			// Run 1: a signal after 150 results.
			cmd := exec.Command(bin, append(common, ops)...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			var out1 strings.Builder
			sc := bufio.NewScanner(stdout)
			for n := 0; sc.Scan(); n++ {
				out1.WriteString(sc.Text() + "\n")
				if n == 150 {
					if err := cmd.Process.Signal(tt.signal); err != nil {
						t.Fatal(err)
					}
				}
			}
			code1 := exitCode(t, cmd.Wait())
			first := parseResults(t, out1.String())
			t.Logf("run 1: exit %d, %d results; %s", code1, len(first), lastLine(stderr.String()))
			if len(first) >= len(ids) || !strings.Contains(stderr.String(), "interrupted") {
				t.Fatalf("run 1 was not interrupted midway: %d results; stderr:\n%s", len(first), stderr.String())
			}
			if code1 != exitInterrupted && code1 != exitUnknown {
				t.Errorf("run 1: exit %d, want 130 or 3", code1)
			}
			// Whatever run 1 committed, it reported.
			checkLedger(t, ids, [][]result{first}, opsIn(t, srv, paths))

			// Run 2: -resume with run 1's output.
			log := filepath.Join(t.TempDir(), "out1.jsonl")
			if err := os.WriteFile(log, []byte(out1.String()), 0o600); err != nil {
				t.Fatal(err)
			}
			cmd = exec.Command(bin, append(common, "-resume", log, ops)...)
			stderr.Reset()
			cmd.Stderr = &stderr
			out2, err := cmd.Output()
			code2 := exitCode(t, err)
			second := parseResults(t, string(out2))
			t.Logf("run 2: exit %d, %d results; %s", code2, len(second), lastLine(stderr.String()))

			applied := opsIn(t, srv, paths)
			ok, failed, unknown := checkLedger(t, ids, [][]result{first, second}, applied)
			st := srv.Stats()
			t.Logf("ok %d, failed %d, unknown %d; server: %d answers dropped", ok, failed, unknown, st.Faults.Drops)
			if tt.faults.DropRate == 0 {
				if code2 != exitOK || ok != len(ids) || failed+unknown != 0 {
					t.Errorf("exit %d, ok %d, failed %d, unknown %d; want 0 and every operation ok once", code2, ok, failed, unknown)
				}
				for _, id := range ids {
					if applied[id] != 1 {
						t.Errorf("%s applied %d times, want exactly once", id, applied[id])
					}
				}
				return
			}
			if st.Faults.Drops == 0 || unknown == 0 {
				t.Errorf("%d answers dropped, %d reported unknown: the faults did not bite", st.Faults.Drops, unknown)
			}
			for _, id := range ids {
				if applied[id] != 1 {
					t.Errorf("%s applied %d times after the resumed run, want once", id, applied[id])
				}
			}
		})
	}
	t.Run("second signal cancels the operations in flight", func(t *testing.T) {
		h := mockserver.NewHandler(mockserver.Options{})
		arrived, release := make(chan struct{}, 10), make(chan struct{})
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			arrived <- struct{}{}
			<-release
			h.ServeHTTP(w, r)
		}))
		defer ts.Close()
		defer close(release)
		var lines []string
		for i := range 6 {
			lines = append(lines, appendOp(fmt.Sprintf("op%d", i), fmt.Sprintf("%s/s/%d", ts.URL, i)))
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, "apply", "-concurrency", "4", "-grace", "1h")
		cmd.Stdin = strings.NewReader(strings.Join(lines, "\n"))
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		for range 4 { // four reads stuck at the server
			<-arrived
		}
		// The first signal stops; a later one, once the command listens
		// for it, cancels what is in flight despite -grace 1h.
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		var err error
	wait:
		for {
			select {
			case err = <-exited:
				break wait
			case <-tick.C:
				if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
					t.Logf("signal: %v", err)
				}
			}
		}
		if code := exitCode(t, err); code != exitUnknown {
			t.Errorf("exit %d, want %d; stderr:\n%s", code, exitUnknown, stderr.String())
		}
		results := parseResults(t, stdout.String())
		if len(results) != 4 {
			t.Errorf("%d results, want the 4 in flight:\n%s", len(results), stdout.String())
		}
		for _, r := range results {
			if r.Status != statusUnknown {
				t.Errorf("result %+v, want unknown", r)
			}
		}
	})
}
