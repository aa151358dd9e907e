package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

const applySynopsis = `[flags] [FILE|-]

Runs a JSON Lines stream of operations from FILE (default: stdin), one
object a line, each with an optional "id" (unique in the input):
  {"id": "a1", "url": "https://api.example.com/items/1", "patch": [RFC 6902 ops]}
  {"id": "a2", "url": "https://api.example.com/items/2", "merge": {RFC 7396 object}}
and writes one JSON line an operation to stdout:
  {"id","line","url","status":"ok"|"failed"|"unknown","etag","attempts","error","hash"}
(URLs with userinfo and query values redacted; "hash" names the operation
for -resume; "skipped" and "rerun" say what -resume did). An operation without an
"id" is known by its line number. Operations run concurrently, in no
promised order. Every line is read and checked before anything is sent.
Progress and a summary go to stderr. The exit status is 3 if an operation
is unknown, else 130 if the run was interrupted, else 1 if one failed,
else 0.

To finish an interrupted run, or retry the failures:
  ifmatch apply -resume out.jsonl ops.jsonl >> out.jsonl
-resume skips what out.jsonl reports ok and runs what it reports failed or
never started. An operation it reports unknown may have committed: it runs
again only if running it twice is running it once (a merge patch, a JSON
Patch of test, replace, and add or remove of object members), or if its
own test fails a second run (a JSON Patch that tests a field, then changes
it); any other is skipped and reported unknown again, until you check it
and say what happened: -rerun-unknown (it did not commit) or -skip-unknown
(it did). A rerun that fails stays unknown.
An id (or line) that out.jsonl reports for another operation is an error.`

// applyFlags are apply's own flags.
type applyFlags struct {
	client       clientFlags
	concurrency  int
	rate         float64
	resume       resumeFlag
	skipUnknown  bool
	rerunUnknown bool
	shard        string
	shards       int
	progress     time.Duration
	quiet        bool
	grace        time.Duration
	base         string
}

// resumeFlag collects -resume files.
type resumeFlag []string

func (r *resumeFlag) String() string     { return strings.Join(*r, ",") }
func (r *resumeFlag) Set(s string) error { *r = append(*r, s); return nil }

// runApply is the apply command.
func runApply(ctx context.Context, args []string, std stdio) int {
	var f applyFlags
	flags := newCmdLine("apply", applySynopsis, std)
	f.client.register(flags, writeFlags|conflictFlags|patchFlags|jsonPatchFlags|mergeFlags|groupFlags)
	flags.IntVar(&f.concurrency, "concurrency", 8, "operations in flight at once")
	flags.Float64Var(&f.rate, "rate", 0, "operations started per second at most; 0: no limit")
	flags.Var(&f.resume, "resume", "an earlier run's output `file` (repeatable: the outputs of every shard, say): skip what it reports ok, see above for unknown")
	flags.BoolVar(&f.rerunUnknown, "rerun-unknown", false, "with -resume, run again every operation reported unknown (you checked: they did not commit)")
	flags.BoolVar(&f.skipUnknown, "skip-unknown", false, "with -resume, skip every operation reported unknown, unreported (you checked: they did commit)")
	flags.StringVar(&f.shard, "shard", "", "run only shard `i/n` of the operations, chosen by URL; default from $JOB_COMPLETION_INDEX with -shards")
	flags.IntVar(&f.shards, "shards", 0, "shard count, the shard index coming from $JOB_COMPLETION_INDEX (a Kubernetes Indexed Job)")
	flags.DurationVar(&f.progress, "progress", 10*time.Second, "interval of progress lines when stderr is not a terminal; 0: none")
	flags.BoolVar(&f.quiet, "quiet", false, "no progress display, only the summary")
	flags.DurationVar(&f.grace, "grace", 10*time.Second, "after SIGINT or SIGTERM, how long operations in flight may finish before they are canceled (and reported unknown)")
	flags.StringVar(&f.base, "base", "", "base `URL` that relative operation URLs are resolved against")
	rest, code, ok := flags.parse(args)
	if !ok {
		return code
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
	policy, err := f.unknownPolicy()
	if err != nil {
		return usage(std, "%v", err)
	}
	rec, err := f.loadResume(warn)
	if err != nil {
		return usage(std, "-resume: %v", err)
	}
	c, code := newClient(&f.client, std)
	if c == nil {
		return code
	}
	defer c.CloseIdleConnections()
	in, closeIn, err := openInput(ctx, rest, std.in)
	if err == nil {
		defer closeIn()
	}
	if ctx.Err() != nil {
		fmt.Fprintln(std.err, "ifmatch: interrupted while reading the operations: nothing was sent")
		return exitInterrupted
	}
	if err != nil {
		return usage(std, "%v", err)
	}
	total, err := checkInput(in, base, sh, rec, policy)
	if err != nil {
		return usage(std, "%v", err)
	}

	a := &applier{c: c, shard: sh, rec: rec, policy: policy, concurrency: f.concurrency, rep: &reporter{w: std.out}}
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

	a.summarize(std.err, time.Since(start), interrupted)
	if readErr != nil {
		fmt.Fprintln(std.err, "ifmatch: reading the operations:", readErr)
	}
	if a.rep.err != nil {
		fmt.Fprintln(std.err, "ifmatch: writing the results:", a.rep.err)
	}
	switch {
	case a.rep.counts.unknown.Load() > 0:
		return exitUnknown
	case interrupted:
		return exitInterrupted
	case a.rep.counts.failed.Load() > 0, readErr != nil, a.rep.err != nil:
		return exitFailed
	}
	return exitOK
}

// unknownPolicy is what -rerun-unknown and -skip-unknown say.
func (f *applyFlags) unknownPolicy() (unknownPolicy, error) {
	switch {
	case (f.skipUnknown || f.rerunUnknown) && len(f.resume) == 0:
		return 0, fmt.Errorf("-skip-unknown and -rerun-unknown need -resume")
	case f.skipUnknown && f.rerunUnknown:
		return 0, fmt.Errorf("-skip-unknown and -rerun-unknown exclude each other")
	case f.skipUnknown:
		return unknownSkip, nil
	case f.rerunUnknown:
		return unknownRerun, nil
	}
	return unknownSafe, nil
}

// loadResume reads the -resume files, if any.
func (f *applyFlags) loadResume(warn func(string)) (record, error) {
	rec, st, err := loadRecord(f.resume)
	if err != nil {
		return nil, err
	}
	for _, name := range st.missing {
		warn(fmt.Sprintf("-resume: %s does not exist yet: nothing in it to skip", name))
	}
	if st.notResults > 0 {
		warn(fmt.Sprintf("-resume: %d lines are not results; ignored", st.notResults))
	}
	if st.noHash > 0 {
		warn(fmt.Sprintf("-resume: %d results carry no hash (an older ifmatch): they are not checked against the input", st.noHash))
	}
	return rec, nil
}
