package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/ifmatch/ifmatch"
)

// applier runs apply's operations.
type applier struct {
	c           *ifmatch.Client
	rep         *reporter
	shard       shard
	rec         record // what -resume read; nil: nothing
	policy      unknownPolicy
	limiter     *rate.Limiter // nil: no limit
	concurrency int

	skippedDone, skippedUnknown, reruns, otherShards int
}

// job is an operation handed to a worker.
type job struct {
	o     *op
	rerun bool // an earlier run reported it unknown
}

// run reads operations and runs them on a.concurrency workers until the
// input ends or stop does. Operations run with opCtx (see inFlight), so
// that a stop lets those in flight finish. Every operation started is
// reported exactly once, and so is every operation that -resume leaves
// unknown; those not started are not reported.
func (a *applier) run(stop, opCtx context.Context, r *opReader) (readErr error, interrupted bool) {
	work := make(chan job)
	var wg sync.WaitGroup
	for range a.concurrency {
		wg.Go(func() {
			for j := range work {
				a.do(opCtx, j)
			}
		})
	}
	defer wg.Wait()
	defer close(work)

	// The input is read on its own goroutine, so that a stop is seen
	// while a read blocks.
	type next struct {
		o   *op
		err error
	}
	ops := make(chan next)
	quit := make(chan struct{})
	defer close(quit)
	go func() {
		for {
			o, err := r.next()
			select {
			case ops <- next{o, err}:
			case <-quit:
				return
			}
			if err != nil {
				return
			}
		}
	}()

	for {
		var n next
		select {
		case n = <-ops:
		case <-stop.Done():
			return nil, true
		}
		if errors.Is(n.err, io.EOF) {
			return nil, false
		}
		if n.err != nil {
			return n.err, false
		}
		o := n.o
		if !a.shard.ownsOp(o) {
			a.otherShards++
			continue
		}
		act, why := decide(o, a.rec, a.policy)
		switch act {
		case actSkipDone:
			a.skippedDone++
			continue
		case actSkipUnknown:
			a.skippedUnknown++
			a.rep.report(result{ID: o.id, Line: o.line, URL: redact(o.url), Status: statusUnknown, Skipped: true, Error: "ifmatch: " + why, Hash: o.hash})
			continue
		case actRerun:
			a.reruns++
		}
		if o.err != nil {
			a.rep.report(result{ID: o.id, Line: o.line, URL: redact(o.url), Status: statusFailed, Error: "ifmatch: " + o.err.Error(), Hash: o.hash})
			continue
		}
		if a.limiter != nil && a.limiter.Wait(stop) != nil {
			return nil, true
		}
		if stop.Err() != nil {
			return nil, true
		}
		select {
		case work <- job{o, act == actRerun}:
		case <-stop.Done():
			return nil, true
		}
	}
}

// do runs one operation and reports it.
func (a *applier) do(ctx context.Context, j job) {
	o := j.o
	var resp *ifmatch.Response
	var err error
	if o.patch != nil {
		resp, err = a.c.Patch(ctx, o.url, o.patch)
	} else {
		resp, err = a.c.MergePatch(ctx, o.url, o.merge)
	}
	res := result{ID: o.id, Line: o.line, URL: redact(o.url), Status: outcome(err, ctx.Err() != nil), Rerun: j.rerun, Hash: o.hash}
	if err != nil {
		res.Error, res.Attempts = err.Error(), attemptsOf(err)
		if ctx.Err() != nil && res.Status == statusUnknown {
			res.Error = "interrupted while in flight: " + res.Error
		}
		if j.rerun && res.Status == statusFailed {
			// The earlier write may be what makes this one fail (a test
			// that its change no longer passes, a member it removed): the
			// operation stays open.
			res.Status = statusUnknown
			res.Error = "ran again after an earlier unknown outcome, and failed (the earlier write may have committed): " + res.Error
		}
	} else {
		res.ETag, res.Attempts = resp.ETag, resp.Attempts
	}
	a.rep.report(res)
}

// summarize writes the closing lines on stderr.
func (a *applier) summarize(w io.Writer, took time.Duration, interrupted bool) {
	c := &a.rep.counts
	fmt.Fprintf(w, "ifmatch: %d operations in %s: %d ok, %d failed, %d unknown\n",
		c.done(), took.Round(time.Millisecond), c.ok.Load(), c.failed.Load(), c.unknown.Load())
	if a.skippedDone > 0 {
		fmt.Fprintf(w, "ifmatch: -resume: %d skipped, reported done\n", a.skippedDone)
	}
	if a.reruns > 0 {
		fmt.Fprintf(w, "ifmatch: -resume: %d reported unknown ran again (idempotent, or -rerun-unknown)\n", a.reruns)
	}
	if a.skippedUnknown > 0 {
		fmt.Fprintf(w, "ifmatch: -resume: %d reported unknown were not run again and are reported unknown: check them, then resume with -rerun-unknown or -skip-unknown\n", a.skippedUnknown)
	}
	if a.shard.count > 1 {
		fmt.Fprintf(w, "ifmatch: shard %s: %d operations left to the other shards\n", a.shard, a.otherShards)
	}
	if interrupted {
		fmt.Fprintln(w, "ifmatch: interrupted: the operations not started were not run; run again with -resume to finish")
	}
}
