package main

import (
	"bytes"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

func TestProgressDisplays(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := start.Add(10 * time.Second)
	tests := []struct {
		name              string
		total             int64
		ok, fail, unknown int64
		line, bar         string
	}{
		{
			name: "known total", total: 1000, ok: 495, fail: 3, unknown: 2,
			line: "500/1000 done (ok 495, failed 3, unknown 2), 50/s, ETA 10s",
			bar:  "[############............]  50% 500/1000  ok 495  failed 3  unknown 2  50/s  ETA 10s",
		},
		{
			name: "input from a pipe", ok: 40,
			line: "40 done (ok 40, failed 0, unknown 0), 4/s",
			bar:  "40 done  ok 40  failed 0  unknown 0  4/s",
		},
		{
			name: "nothing yet", total: 10,
			line: "0/10 done (ok 0, failed 0, unknown 0), 0/s",
			bar:  "[........................]   0% 0/10  ok 0  failed 0  unknown 0  0/s",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c counts
			c.ok.Add(tt.ok)
			c.failed.Add(tt.fail)
			c.unknown.Add(tt.unknown)
			p := &progress{total: tt.total, counts: &c, start: start}
			if got := p.line(now); got != tt.line {
				t.Errorf("line:\n got %q\nwant %q", got, tt.line)
			}
			if got := p.bar(now); got != tt.bar {
				t.Errorf("bar:\n got %q\nwant %q", got, tt.bar)
			}
		})
	}
}

// Off a terminal, a plain line every interval; on one, a bar redrawn in
// place and cleared at the end.
func TestProgressRun(t *testing.T) {
	for _, terminal := range []bool{false, true} {
		synctest.Test(t, func(t *testing.T) {
			var buf bytes.Buffer
			var c counts
			p := &progress{w: &buf, terminal: terminal, every: time.Second, counts: &c, start: time.Now()}
			stop := make(chan struct{})
			done := make(chan struct{})
			go func() { p.run(stop); close(done) }()
			time.Sleep(2500 * time.Millisecond)
			close(stop)
			<-done
			out := buf.String()
			if terminal {
				if n := strings.Count(out, "\r"); n != 12+1 { // every 200ms, then the clear
					t.Errorf("terminal: %d redraws, want 13:\n%q", n, out)
				}
				if !strings.HasSuffix(out, "\r\x1b[K") {
					t.Errorf("terminal: the bar is not cleared at the end: %q", out)
				}
				return
			}
			if n := strings.Count(out, "ifmatch: 0 done"); n != 2 {
				t.Errorf("plain: %d lines, want 2:\n%s", n, out)
			}
		})
	}
}
