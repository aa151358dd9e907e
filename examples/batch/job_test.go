package main

import (
	"bytes"
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestRunUpdatesEveryResourceOnce(t *testing.T) {
	var out bytes.Buffer
	s, err := Run(context.Background(), Config{N: 2000, Concurrency: 16, Faults: DefaultFaults, Progress: &out})
	if err != nil {
		t.Fatal(err)
	}
	if s.Done != 2000 || s.FailedTotal() != 0 || s.Interrupted {
		t.Errorf("done %d, failed %v, interrupted %v; want 2000 done, none failed", s.Done, s.Failed, s.Interrupted)
	}
	if !s.Check.OK() || s.Check.Updated != 2000 {
		t.Errorf("check: %d updated, wrong %d %q; want 2000 updated", s.Check.Updated, s.Check.Wrong, s.Check.Examples)
	}
	if s.Rebases == 0 {
		t.Errorf("rebases = 0, want some: the mock server interferes with 2%% of writes")
	}
	if s.Requests < 2*2000 {
		t.Errorf("requests = %d, want at least a GET and a PUT per update", s.Requests)
	}
	if !strings.Contains(out.String(), "100.0%  2000/2000") {
		t.Errorf("progress does not end at 100%%:\n%s", out.String())
	}
}

func TestRunStopsCleanly(t *testing.T) {
	const n, stopAt = 2000, 500
	for _, tt := range []struct {
		name  string
		grace time.Duration
	}{
		{"in-flight updates finish", time.Minute},
		{"in-flight updates end with the context", 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var finished atomic.Int64
			s, err := Run(ctx, Config{N: n, Concurrency: 32, Grace: tt.grace, Faults: DefaultFaults,
				OnUpdate: func(int, error) {
					if finished.Add(1) == stopAt {
						cancel()
					}
				}})
			if err != nil {
				t.Fatal(err)
			}
			if !s.Interrupted || s.NotStarted() == 0 || s.Done < stopAt-32 {
				t.Errorf("interrupted %v, %d not started, %d done; want interrupted after about %d", s.Interrupted,
					s.NotStarted(), s.Done, stopAt)
			}
			if s.Done+s.FailedTotal() != s.Started {
				t.Errorf("done %d + failed %v != started %d: some update did not end", s.Done, s.Failed, s.Started)
			}
			for cause := range s.Failed {
				if tt.grace > 0 || (cause != "context" && cause != "outcome unknown") {
					t.Errorf("failed %v; want none with a grace period, else only context or outcome unknown", s.Failed)
				}
			}
			// Every resource is updated once or untouched, as its outcome requires.
			if !s.Check.OK() || s.Check.Updated+s.Check.Untouched != n {
				t.Errorf("check: %d updated, %d untouched, wrong %d %q", s.Check.Updated, s.Check.Untouched,
					s.Check.Wrong, s.Check.Examples)
			}
			t.Logf("started %d, done %d, failed %v, updated %d", s.Started, s.Done, s.Failed, s.Check.Updated)
		})
	}
}

func TestProgress(t *testing.T) {
	start := time.Unix(0, 0)
	for _, tt := range []struct {
		name string
		tty  bool
		want []string
	}{
		{"terminal", true, []string{"\r[===============               ]  50.0%  500/1000  500/s  ETA 1s  failed 0\x1b[K",
			"\r[==============================] 100.0%  1000/1000  500/s  ETA 0s  failed 2\x1b[K\n"}},
		{"plain", false, []string{"progress  50.0%  500/1000  500/s  ETA 1s  failed 0  elapsed 1s\n",
			"progress 100.0%  1000/1000  500/s  ETA 0s  failed 2  elapsed 2s\n"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			p := &progress{w: &out, tty: tt.tty, total: 1000, start: start, lastLine: start}
			p.draw(start.Add(time.Second), 500, 0, false)
			if got := out.String(); got != tt.want[0] {
				t.Errorf("halfway: got %q, want %q", got, tt.want[0])
			}
			out.Reset()
			p.draw(start.Add(2*time.Second), 998, 2, true)
			if got := out.String(); got != tt.want[1] {
				t.Errorf("final: got %q, want %q", got, tt.want[1])
			}
		})
	}
}
