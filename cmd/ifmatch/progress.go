package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"
)

// progress shows how far apply is on stderr: a bar redrawn in place when
// stderr is a terminal, a plain line every interval when it is not (a log
// file, kubectl logs).
type progress struct {
	w        io.Writer
	terminal bool
	every    time.Duration // between plain lines; a terminal redraws every barEvery
	total    int64         // operations to run; 0: not known (input from a pipe)
	counts   *counts
	start    time.Time
}

// barEvery is how often the terminal bar is redrawn.
const barEvery = 200 * time.Millisecond

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// run shows progress until stop is closed, then clears the bar, so that
// the summary that follows stands alone.
func (p *progress) run(stop <-chan struct{}) {
	every := p.every
	if p.terminal {
		every = barEvery
	}
	if every <= 0 {
		<-stop
		return
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-stop:
			if p.terminal {
				io.WriteString(p.w, "\r\x1b[K")
			}
			return
		case now := <-t.C:
			if p.terminal {
				io.WriteString(p.w, "\r"+p.bar(now)+"\x1b[K")
			} else {
				io.WriteString(p.w, "ifmatch: "+p.line(now)+"\n")
			}
		}
	}
}

// snapshot is the numbers a display shows.
type snapshot struct {
	ok, failed, unknown, done, total int64
	rate                             float64 // operations per second since the start
	eta                              time.Duration
	hasETA                           bool
}

func (p *progress) snapshot(now time.Time) snapshot {
	s := snapshot{ok: p.counts.ok.Load(), failed: p.counts.failed.Load(), unknown: p.counts.unknown.Load(), total: p.total}
	s.done = s.ok + s.failed + s.unknown
	if el := now.Sub(p.start).Seconds(); el > 0 {
		s.rate = float64(s.done) / el
	}
	if s.total > 0 && s.rate > 0 && s.done <= s.total {
		s.eta, s.hasETA = time.Duration(float64(s.total-s.done)/s.rate*float64(time.Second)).Round(time.Second), true
	}
	return s
}

// line is the plain progress line.
func (p *progress) line(now time.Time) string {
	s := p.snapshot(now)
	var b strings.Builder
	if s.total > 0 {
		fmt.Fprintf(&b, "%d/%d done", s.done, s.total)
	} else {
		fmt.Fprintf(&b, "%d done", s.done)
	}
	fmt.Fprintf(&b, " (ok %d, failed %d, unknown %d), %.0f/s", s.ok, s.failed, s.unknown, s.rate)
	if s.hasETA {
		fmt.Fprintf(&b, ", ETA %s", s.eta)
	}
	return b.String()
}

// barWidth is the bar's width in cells.
const barWidth = 24

// bar is the terminal progress bar.
func (p *progress) bar(now time.Time) string {
	s := p.snapshot(now)
	var b strings.Builder
	if s.total > 0 {
		filled := int(min(s.done, s.total) * barWidth / s.total)
		fmt.Fprintf(&b, "[%s%s] %3d%% %d/%d", strings.Repeat("#", filled), strings.Repeat(".", barWidth-filled),
			min(s.done, s.total)*100/s.total, s.done, s.total)
	} else {
		fmt.Fprintf(&b, "%d done", s.done)
	}
	fmt.Fprintf(&b, "  ok %d  failed %d  unknown %d  %.0f/s", s.ok, s.failed, s.unknown, s.rate)
	if s.hasETA {
		fmt.Fprintf(&b, "  ETA %s", s.eta)
	}
	return b.String()
}
