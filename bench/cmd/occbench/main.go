// Command occbench measures optimistic-concurrency write approaches against
// the ifmatch mockserver running as a separate process on 127.0.0.1: the
// limit loop (one conditional request per commit), ifmatch, the Kubernetes
// RetryOnConflict idiom, go-retryablehttp's defaults and unconditional
// writes, each in scenarios from one uncontended writer to 64 writers on one
// hot document. Cells run interleaved, -reps times; it prints a markdown
// report. Run it from bench/:
//
//	go run ./cmd/occbench -reps 3 -duration 2s -o results/latest.md
//
// "occbench plot" draws SVG charts from a run's JSON (plot.go).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	var err error
	if len(os.Args) > 1 && os.Args[1] == "plot" {
		err = plotMain(os.Args[2:])
	} else {
		err = bench(ctx, os.Args[1:])
	}
	stop()
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp):
	default:
		fmt.Fprintln(os.Stderr, "occbench:", err)
		os.Exit(1)
	}
}

type flags struct {
	reps         int
	cell         cellConfig
	warmup       time.Duration
	approaches   string
	scenarios    string
	serverBin    string
	conflictBody bool
	cpuProfile   string
	out          string
	jsonOut      string
}

func parseFlags(args []string) (flags, error) {
	var f flags
	fs := flag.NewFlagSet("occbench", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage (from bench/): go run ./cmd/occbench [flags]\n\nFlags:\n")
		fs.PrintDefaults()
	}
	fs.IntVar(&f.reps, "reps", 3, "repetitions of every cell, interleaved")
	fs.DurationVar(&f.cell.duration, "duration", 2*time.Second, "time per cell: writers start no operation after it")
	fs.DurationVar(&f.cell.opTimeout, "op-timeout", 30*time.Second, "timeout of one increment operation")
	fs.Int64Var(&f.cell.maxOps, "max-ops", 1_000_000, "operations per cell at most, all writers together")
	fs.IntVar(&f.cell.docBytes, "doc-bytes", 1024, "size of the seeded documents")
	fs.DurationVar(&f.warmup, "warmup", time.Second, "unrecorded uncontended run before the first repetition, shared by the approaches")
	fs.StringVar(&f.approaches, "approaches", "", "comma-separated approaches to run (default all but ifmatch-sdk-client): "+names(approaches, func(a approach) string { return a.name }))
	fs.StringVar(&f.scenarios, "scenarios", "", "comma-separated scenarios to run (default all): "+names(allScenarios(), func(s scenario) string { return s.name }))
	fs.StringVar(&f.serverBin, "server-bin", "", "a prebuilt ifmatch-mockserver `binary` (default: go build ../cmd/ifmatch-mockserver)")
	fs.BoolVar(&f.conflictBody, "conflict-body", false, "the server answers a stale write with the current document and Content-Location (mockserver -conflict-body)")
	fs.StringVar(&mode.versionField, "version-field", "", "the server keeps the version in the document at this JSON `pointer` (mockserver -version-field, 409 when stale); only limit and ifmatch approaches run")
	fs.BoolVar(&mode.patchTests, "patch-tests-version", false, "with -version-field, JSON Patches carry the version as a test operation (mockserver -patch-tests-version, 422 when stale)")
	fs.StringVar(&f.cpuProfile, "cpuprofile", "", "write a CPU profile of the bench process (the clients, not the server) to `file`")
	fs.StringVar(&f.out, "o", "", "also write the markdown report to `file`")
	fs.StringVar(&f.jsonOut, "json", "", "write every cell's raw figures as JSON to `file`")
	if err := fs.Parse(args); err != nil {
		return f, err
	}
	if fs.NArg() > 0 {
		return f, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if mode.patchTests && mode.versionField == "" {
		return f, errors.New("-patch-tests-version needs -version-field")
	}
	if f.reps < 1 || f.cell.duration <= 0 || f.cell.opTimeout <= 0 || f.cell.maxOps < 1 {
		return f, errors.New("-reps, -duration, -op-timeout and -max-ops must be positive")
	}
	return f, nil
}

func bench(ctx context.Context, args []string) error {
	f, err := parseFlags(args)
	if err != nil {
		return err
	}
	as, err := pick(approaches, f.approaches, func(a approach) string { return a.name }, func(a approach) bool { return a.extra || !mode.supports(a) })
	if err != nil {
		return err
	}
	for _, a := range as {
		if !mode.supports(a) {
			return fmt.Errorf("approach %s sends If-Match, which a -version-field server ignores", a.name)
		}
	}
	ss, err := pick(allScenarios(), f.scenarios, func(s scenario) string { return s.name }, func(scenario) bool { return false })
	if err != nil {
		return err
	}

	bin := f.serverBin
	if bin == "" {
		dir, cleanup, err := tempDir()
		if err != nil {
			return err
		}
		defer cleanup()
		logf("building ../cmd/ifmatch-mockserver")
		if bin, err = buildServer(ctx, dir); err != nil {
			return err
		}
	}
	srv, err := startServer(ctx, bin, f.conflictBody)
	if err != nil {
		return err
	}
	defer srv.stop()
	logf("mockserver at %s; %d cells × %d repetitions × %s ≈ %s",
		srv.URL, len(ss)*len(as), f.reps, f.cell.duration, time.Duration(len(ss)*len(as)*f.reps)*f.cell.duration)

	if f.cpuProfile != "" {
		pf, err := os.Create(f.cpuProfile)
		if err != nil {
			return err
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	r := &report{Command: command(args), Machine: thisMachine(ctx), Server: mode.String(), Started: time.Now(), Reps: f.reps,
		Duration: f.cell.duration, Config: f.cell, scenarios: ss, approaches: as}
	r.Load[0] = loadAvg()
	if err := warmUp(ctx, srv, as, f); err != nil {
		return err
	}
	for rep := 1; rep <= f.reps; rep++ {
		for _, s := range ss {
			// Rotate the order each repetition so that no approach always
			// runs right after the same neighbor.
			for i := range as {
				a := as[(i+rep-1)%len(as)]
				res, err := runCell(ctx, srv, a, s, rep, f.cell)
				if err != nil {
					return fmt.Errorf("rep %d, %s, %s: %w", rep, s.name, a.name, err)
				}
				r.Results = append(r.Results, res)
				logf("rep %d/%d %-20s %-18s %7.0f/s  ok %5.1f%%  %5.2f req/ok  p99 %s  max %s", rep, f.reps, s.name, a.name,
					res.goodput(), 100*ratioOf(res.Successes, res.Ops), ratioOf(res.Requests, res.Successes), dur(float64(res.P99)), dur(float64(res.Max)))
			}
		}
	}
	r.Took = time.Since(r.Started)
	r.Load[1] = loadAvg()
	return output(r, f)
}

// warmUp runs every approach briefly, uncontended, unrecorded: connections,
// caches and the server's maps are then no longer cold in repetition 1.
func warmUp(ctx context.Context, srv *server, as []approach, f flags) error {
	if f.warmup <= 0 {
		return nil
	}
	cfg := f.cell
	cfg.duration = f.warmup / time.Duration(len(as))
	for _, a := range as {
		if _, err := runCell(ctx, srv, a, allScenarios()[0], 0, cfg); err != nil {
			return fmt.Errorf("warm-up, %s: %w", a.name, err)
		}
	}
	return nil
}

func output(r *report, f flags) error {
	var b strings.Builder
	writeMarkdown(&b, r)
	fmt.Print(b.String())
	if f.out != "" {
		if err := os.WriteFile(f.out, []byte(b.String()), 0o644); err != nil {
			return err
		}
	}
	if f.jsonOut != "" {
		j, err := json.MarshalIndent(r, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(f.jsonOut, append(j, '\n'), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// pick selects the named items of all, in all's order; "" selects all but
// the extra ones.
func pick[T any](all []T, list string, name func(T) string, extra func(T) bool) ([]T, error) {
	if list == "" {
		return slices.DeleteFunc(slices.Clone(all), extra), nil
	}
	want := map[string]bool{}
	for _, n := range strings.Split(list, ",") {
		want[strings.TrimSpace(n)] = true
	}
	var out []T
	for _, x := range all {
		if want[name(x)] {
			out = append(out, x)
			delete(want, name(x))
		}
	}
	for n := range want {
		return nil, fmt.Errorf("unknown name %q; known: %s", n, names(all, name))
	}
	return out, nil
}

func names[T any](all []T, name func(T) string) string {
	var s []string
	for _, x := range all {
		s = append(s, name(x))
	}
	return strings.Join(s, ",")
}

// command is the command line that reproduces this run, from bench/.
func command(args []string) string {
	parts := []string{"go", "run", "./cmd/occbench"}
	for _, a := range args {
		if strings.ContainsAny(a, " \t'\"$\\*?;&|<>()") || a == "" {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		parts = append(parts, a)
	}
	return strings.Join(parts, " ")
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "occbench: "+format+"\n", args...)
}
