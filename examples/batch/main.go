// Command batch updates 10,000 resources on an in-process mock server the
// way a batch job would: one shared ifmatch.Client, a bounded number of
// updates in flight, a rate limit, mild faults (latency, 503s, concurrent
// writers that force rebases), a progress bar, and a summary that checks
// every resource got exactly its one update. Ctrl-C stops it cleanly: no
// new update starts, those in flight finish (or end after -grace), and the
// summary is printed. Run it with:
//
//	go run ./examples/batch
//	go run ./examples/batch -n 50000 -concurrency 64 -rate 0
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
	"time"
)

func main() {
	var cfg Config
	flag.IntVar(&cfg.N, "n", 10_000, "resources to update")
	flag.IntVar(&cfg.Concurrency, "concurrency", 32, "updates in flight at once")
	flag.Float64Var(&cfg.Rate, "rate", 5000, "requests per second, 0 for unlimited")
	flag.DurationVar(&cfg.Grace, "grace", 2*time.Second, "after Ctrl-C, how long in-flight updates may finish")
	flag.Parse()
	if cfg.N <= 0 || cfg.Concurrency <= 0 || cfg.Rate < 0 || cfg.Grace < 0 {
		fmt.Fprintln(os.Stderr, "batch: -n and -concurrency must be positive, -rate and -grace not negative")
		os.Exit(2)
	}
	cfg.Faults = DefaultFaults
	cfg.Progress = os.Stdout
	cfg.Terminal = isTerminal(os.Stdout)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	context.AfterFunc(ctx, stop) // a second Ctrl-C kills at once

	rateText := "unlimited"
	if cfg.Rate > 0 {
		rateText = fmt.Sprintf("%g requests/s", cfg.Rate)
	}
	fmt.Printf("batch: updating %d resources, %d at a time, %s\n", cfg.N, cfg.Concurrency, rateText)
	s, err := Run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "batch:", err)
		os.Exit(1)
	}
	printSummary(os.Stdout, s)
	switch {
	case !s.Check.OK():
		os.Exit(1)
	case s.Interrupted:
		os.Exit(130) // as a shell reports a process ended by SIGINT
	case s.FailedTotal() > 0:
		os.Exit(1)
	}
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func printSummary(w io.Writer, s Summary) {
	if s.Interrupted {
		fmt.Fprintf(w, "interrupted       %d updates not started\n", s.NotStarted())
	}
	fmt.Fprintf(w, "done              %d of %d\n", s.Done, s.Total)
	fmt.Fprintf(w, "rebased           %d (conflicts resolved by reapplying the change)\n", s.Rebases)
	fmt.Fprintf(w, "failed            %d\n", s.FailedTotal())
	causes := make([]string, 0, len(s.Failed))
	for c := range s.Failed {
		causes = append(causes, c)
	}
	sort.Strings(causes)
	for _, c := range causes {
		fmt.Fprintf(w, "  %-16s%d\n", c, s.Failed[c])
	}
	perUpdate := 0.0
	if s.Started > 0 {
		perUpdate = float64(s.Requests) / float64(s.Started)
	}
	fmt.Fprintf(w, "requests          %d (%.2f per update)\n", s.Requests, perUpdate)
	fmt.Fprintf(w, "elapsed           %s (%.0f updates/s)\n", s.Elapsed.Round(time.Millisecond),
		float64(s.Done)/s.Elapsed.Seconds())
	c := s.Check
	if c.OK() {
		fmt.Fprintf(w, "check             OK: %d updated once, %d untouched, none lost, doubled or half-written\n",
			c.Updated, c.Untouched)
		return
	}
	fmt.Fprintf(w, "check             FAILED: %d resources not in the state their outcome requires\n", c.Wrong)
	for _, x := range c.Examples {
		fmt.Fprintf(w, "  %s\n", x)
	}
}
