package main

import (
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"time"
)

// progress shows how far a job is: on a terminal, a bar redrawn in place
// at most ten times a second; elsewhere (a log, a pipe), a plain line at
// each tenth of the job, and at least every five seconds.
type progress struct {
	w         io.Writer
	tty       bool
	total     int
	start     time.Time
	lastLine  time.Time
	lastTenth int
	lastN     int
}

// startProgress draws the progress of done and failed out of total until
// the returned function is called; that draws the final state and
// returns when drawing has stopped. A nil w draws nothing.
func startProgress(w io.Writer, tty bool, total int, start time.Time, done, failed *atomic.Int64) (stop func()) {
	if w == nil {
		return func() {}
	}
	p := &progress{w: w, tty: tty, total: total, start: start, lastLine: start}
	tick := time.NewTicker(100 * time.Millisecond)
	quit, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		defer tick.Stop()
		for {
			select {
			case now := <-tick.C:
				p.draw(now, int(done.Load()), int(failed.Load()), false)
			case <-quit:
				p.draw(time.Now(), int(done.Load()), int(failed.Load()), true)
				return
			}
		}
	}()
	return func() { close(quit); <-stopped }
}

func (p *progress) draw(now time.Time, done, failed int, final bool) {
	n := done + failed
	elapsed := now.Sub(p.start)
	rate := float64(n) / elapsed.Seconds()
	eta := "--"
	if rate > 0 {
		eta = time.Duration(float64(p.total-n) / rate * float64(time.Second)).Round(time.Second).String()
	}
	pct := 100 * float64(n) / float64(p.total)
	stats := fmt.Sprintf("%5.1f%%  %d/%d  %.0f/s  ETA %s  failed %d", pct, n, p.total, rate, eta, failed)

	if p.tty {
		const width = 30
		fill := width * n / p.total
		bar := strings.Repeat("=", fill) + strings.Repeat(" ", width-fill)
		// \r returns to the line's start, \x1b[K erases what a longer
		// previous line left.
		fmt.Fprintf(p.w, "\r[%s] %s\x1b[K", bar, stats)
		if final {
			fmt.Fprintln(p.w)
		}
		return
	}
	tenth := 10 * n / p.total
	if n == p.lastN || !(tenth > p.lastTenth || now.Sub(p.lastLine) >= 5*time.Second || final) {
		return
	}
	p.lastTenth, p.lastLine, p.lastN = tenth, now, n
	fmt.Fprintf(p.w, "progress %s  elapsed %s\n", stats, elapsed.Round(time.Millisecond))
}
