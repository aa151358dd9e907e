package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/ifmatch/ifmatch"
)

const applySynopsis = `[flags] [FILE|-]

Runs a JSON Lines stream of operations from FILE (default: stdin), one
object a line, each with an optional "id":
  {"id": "a1", "url": "https://api.example.com/items/1", "patch": [RFC 6902 ops]}
  {"id": "a2", "url": "https://api.example.com/items/2", "merge": {RFC 7396 object}}
and writes one JSON line a started operation to stdout:
  {"id","line","url","status":"ok"|"failed"|"unknown","etag","attempts","error"}
(URLs with userinfo and query values redacted). An operation without an
"id" is known by its line number.
Progress and a summary go to stderr. The exit status is 3 if an operation
is unknown, else 1 if one failed or the run was interrupted, else 0.

To finish an interrupted run, or retry the failures:
  ifmatch apply -resume out.jsonl ops.jsonl >> out.jsonl`

// applyFlags are apply's own flags.
type applyFlags struct {
	client      clientFlags
	concurrency int
	rate        float64
	resume      string
	skipUnknown bool
	shard       string
	shards      int
	progress    time.Duration
	quiet       bool
	grace       time.Duration
	base        string
}

// runApply is the apply command.
func runApply(ctx context.Context, args []string, std stdio) int {
	var f applyFlags
	flags := newFlagSet("apply", applySynopsis, std, &f.client)
	flags.IntVar(&f.concurrency, "concurrency", 8, "operations in flight at once")
	flags.Float64Var(&f.rate, "rate", 0, "operations started per second at most; 0: no limit")
	flags.StringVar(&f.resume, "resume", "", "skip the operations that this earlier output `file` reports ok")
	flags.BoolVar(&f.skipUnknown, "skip-unknown", false, "with -resume, also skip the operations reported unknown (check them by hand: they may have been applied)")
	flags.StringVar(&f.shard, "shard", "", "run only shard `i/n` of the operations, chosen by URL; default from $JOB_COMPLETION_INDEX with -shards")
	flags.IntVar(&f.shards, "shards", 0, "shard count, the shard index coming from $JOB_COMPLETION_INDEX (a Kubernetes Indexed Job)")
	flags.DurationVar(&f.progress, "progress", 10*time.Second, "interval of progress lines when stderr is not a terminal; 0: none")
	flags.BoolVar(&f.quiet, "quiet", false, "no progress display, only the summary")
	flags.DurationVar(&f.grace, "grace", 10*time.Second, "after SIGINT or SIGTERM, how long operations in flight may finish before they are canceled (and reported unknown)")
	flags.StringVar(&f.base, "base", "", "base `URL` that relative operation URLs are resolved against")
	rest, err := parseArgs(flags, args)
	if err != nil {
		return flagErr(err)
	}
	if len(rest) > 1 {
		return usage(std, "apply takes at most one FILE")
	}
	if f.concurrency < 1 {
		return usage(std, "-concurrency %d: want at least 1", f.concurrency)
	}
	if f.rate < 0 {
		return usage(std, "-rate %v: want 0 (no limit) or more", f.rate)
	}
	warn := func(s string) { fmt.Fprintln(std.err, "ifmatch:", s) }
	sh, err := resolveShard(f.shard, f.shards, os.Getenv, warn)
	if err != nil {
		return usage(std, "%v", err)
	}
	var base *url.URL
	if f.base != "" {
		if base, err = url.Parse(f.base); err != nil || !base.IsAbs() {
			return usage(std, "-base: want an absolute URL")
		}
	}
	if f.skipUnknown && f.resume == "" {
		return usage(std, "-skip-unknown needs -resume")
	}
	done, err := f.loadResume(warn)
	if err != nil {
		return usage(std, "-resume: %v", err)
	}
	c, code := newClient(&f.client, std)
	if c == nil {
		return code
	}
	defer c.CloseIdleConnections()
	in, total, err := openInput(rest, std.in, base, sh, done)
	if err != nil {
		return usage(std, "%v", err)
	}
	defer in.Close()

	a := &applier{c: c, shard: sh, done: done, concurrency: f.concurrency, rep: &reporter{w: std.out}}
	if f.rate > 0 {
		a.limiter = rate.NewLimiter(rate.Limit(f.rate), 1)
	}
	stop, stopRun := context.WithCancel(ctx)
	defer stopRun()
	a.rep.onErr = stopRun
	opCtx, abort := inFlight(stop, f.grace)
	defer abort()

	start := time.Now()
	p := &progress{w: std.err, terminal: isTerminal(std.err), every: f.progress, total: total, counts: &a.rep.counts, start: start}
	progressDone := make(chan struct{})
	var shown sync.WaitGroup
	if !f.quiet {
		shown.Go(func() { p.run(progressDone) })
	}
	readErr, interrupted := a.run(stop, opCtx, newOpReader(in, base))
	close(progressDone)
	shown.Wait()

	a.summarize(std.err, time.Since(start), f.resume, interrupted)
	if readErr != nil {
		fmt.Fprintln(std.err, "ifmatch: reading the operations:", readErr)
	}
	if a.rep.err != nil {
		fmt.Fprintln(std.err, "ifmatch: writing the results:", a.rep.err)
	}
	switch {
	case a.rep.counts.unknown.Load() > 0:
		return exitUnknown
	case a.rep.counts.failed.Load() > 0, interrupted, readErr != nil, a.rep.err != nil:
		return exitFailed
	}
	return exitOK
}

// loadResume reads the -resume file, if any. A file that does not exist
// is an earlier run that wrote nothing yet, so that a job restarted with
// the same command line (a pod, say) picks up where it left off.
func (f *applyFlags) loadResume(warn func(string)) (doneSet, error) {
	if f.resume == "" {
		return nil, nil
	}
	done, skipped, unknown, err := loadDone(f.resume, f.skipUnknown)
	if errors.Is(err, fs.ErrNotExist) {
		warn(fmt.Sprintf("-resume: %s does not exist yet: running every operation", f.resume))
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if skipped > 0 {
		warn(fmt.Sprintf("-resume: %d lines of %s are not results; ignored", skipped, f.resume))
	}
	switch {
	case unknown > 0 && f.skipUnknown:
		warn(fmt.Sprintf("-resume: %s reports %d operations unknown: skipped (-skip-unknown)", f.resume, unknown))
	case unknown > 0:
		warn(fmt.Sprintf("-resume: %s reports %d operations unknown: they run again (-skip-unknown skips them)", f.resume, unknown))
	}
	return done, nil
}

// openInput opens the operations and, when they are a regular file,
// counts those this run will start, for the progress display's ETA.
func openInput(args []string, stdin io.Reader, base *url.URL, sh shard, done doneSet) (io.ReadCloser, int64, error) {
	if len(args) == 0 || args[0] == "-" {
		return io.NopCloser(stdin), 0, nil
	}
	f, err := os.Open(args[0])
	if err != nil {
		return nil, 0, err
	}
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		return f, 0, nil
	}
	var n int64
	r := newOpReader(f, base)
	for {
		o, err := r.next()
		if err != nil {
			break
		}
		if sh.ownsOp(o) && !done[o.key()] {
			n++
		}
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, n, nil
}

// applier runs operations.
type applier struct {
	c           *ifmatch.Client
	rep         *reporter
	shard       shard
	done        doneSet
	limiter     *rate.Limiter // nil: no limit
	concurrency int

	skippedDone, otherShards int
}

// run reads operations and runs them on a.concurrency workers until the
// input ends or stop does. Operations run with opCtx (see inFlight), so
// that a stop lets those in flight finish. Every operation started is
// reported exactly once; those not started are not reported.
func (a *applier) run(stop, opCtx context.Context, r *opReader) (readErr error, interrupted bool) {
	work := make(chan *op)
	var wg sync.WaitGroup
	for range a.concurrency {
		wg.Go(func() {
			for o := range work {
				a.do(opCtx, o)
			}
		})
	}
	defer wg.Wait()
	defer close(work)

	// The input is read on its own goroutine, so that a stop is seen
	// while a read from a pipe blocks.
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
		if a.done[o.key()] {
			a.skippedDone++
			continue
		}
		if o.err != nil {
			a.rep.report(result{ID: o.id, Line: o.line, URL: redact(o.url), Status: statusFailed, Error: "ifmatch: " + o.err.Error()})
			continue
		}
		if a.limiter != nil && a.limiter.Wait(stop) != nil {
			return nil, true
		}
		if stop.Err() != nil {
			return nil, true
		}
		select {
		case work <- o:
		case <-stop.Done():
			return nil, true
		}
	}
}

// do runs one operation and reports it.
func (a *applier) do(ctx context.Context, o *op) {
	var resp *ifmatch.Response
	var err error
	if o.patch != nil {
		resp, err = a.c.Patch(ctx, o.url, o.patch)
	} else {
		resp, err = a.c.MergePatch(ctx, o.url, o.merge)
	}
	res := result{ID: o.id, Line: o.line, URL: redact(o.url), Status: outcome(err, ctx.Err() != nil)}
	if err != nil {
		res.Error, res.Attempts = err.Error(), attemptsOf(err)
		if ctx.Err() != nil && res.Status == statusUnknown {
			res.Error = "interrupted while in flight: " + res.Error
		}
	} else {
		res.ETag, res.Attempts = resp.ETag, resp.Attempts
	}
	a.rep.report(res)
}

// summarize writes the closing lines on stderr.
func (a *applier) summarize(w io.Writer, took time.Duration, resume string, interrupted bool) {
	c := &a.rep.counts
	fmt.Fprintf(w, "ifmatch: %d operations in %s: %d ok, %d failed, %d unknown\n",
		c.done(), took.Round(time.Millisecond), c.ok.Load(), c.failed.Load(), c.unknown.Load())
	if a.skippedDone > 0 {
		fmt.Fprintf(w, "ifmatch: %d skipped, reported done in %s\n", a.skippedDone, resume)
	}
	if a.shard.count > 1 {
		fmt.Fprintf(w, "ifmatch: shard %s: %d operations left to the other shards\n", a.shard, a.otherShards)
	}
	if interrupted {
		fmt.Fprintln(w, "ifmatch: interrupted: the operations not started were not run; run again with -resume to finish")
	}
}
