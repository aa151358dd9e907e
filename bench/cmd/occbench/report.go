package main

import (
	"bufio"
	"cmp"
	"context"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"time"
)

// machine describes where a run happened.
type machine struct {
	CPUs     int    `json:"cpus"`
	CPUModel string `json:"cpu_model"`
	Go       string `json:"go"`
	SDK      string `json:"sdk"` // git revision of the SDK's tree
}

func thisMachine(ctx context.Context) machine {
	m := machine{CPUs: runtime.NumCPU(), CPUModel: "unknown", Go: runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH,
		SDK: sdkRevision(ctx)}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	return m
}

// sdkRevision names the SDK source the run measured: its git commit, and
// whether the tree had uncommitted changes.
func sdkRevision(ctx context.Context) string {
	root, err := sdkRoot(ctx)
	if err != nil {
		return "unknown"
	}
	git := func(args ...string) string {
		out, err := exec.CommandContext(ctx, "git", append([]string{"-C", root}, args...)...).Output()
		if err != nil {
			return ""
		}
		return strings.TrimSpace(string(out))
	}
	rev := git("rev-parse", "--short", "HEAD")
	if rev == "" {
		return "unknown"
	}
	if git("status", "--porcelain", "--untracked-files=no", "--", ".", ":!bench") != "" {
		rev += " with uncommitted changes"
	}
	return rev
}

// loadAvg is the first three fields of /proc/loadavg, "" where there is
// none.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// report is everything the markdown and JSON output need.
type report struct {
	Command string        `json:"command"`
	Machine machine       `json:"machine"`
	Started time.Time     `json:"started"`
	Took    time.Duration `json:"took_ns"`
	// Load is the machine's load average (1, 5, 15 minutes, /proc/loadavg)
	// at the start and at the end of the run: the machine is shared.
	Load     [2]string     `json:"load_avg,omitempty"`
	Server   string        `json:"server"` // the server mode (-version-field, -patch-tests-version)
	Reps     int           `json:"reps"`
	Duration time.Duration `json:"duration_ns"`
	Config   cellConfig    `json:"-"`
	Results  []cellResult  `json:"results"`

	scenarios  []scenario
	approaches []approach
}

// cells returns the repetitions of one approach in one scenario.
func (r *report) cells(scenario, approach string) []cellResult {
	var out []cellResult
	for _, c := range r.Results {
		if c.Scenario == scenario && c.Approach == approach {
			out = append(out, c)
		}
	}
	return out
}

func writeMarkdown(w io.Writer, r *report) {
	fmt.Fprintf(w, "# occbench: optimistic-concurrency increments on one HTTP server\n\n")
	fmt.Fprintf(w, "- command (from `bench/`): `%s`\n", r.Command)
	fmt.Fprintf(w, "- machine: %d CPUs, %s, %s; SDK at git %s\n", r.Machine.CPUs, r.Machine.CPUModel, r.Machine.Go, r.Machine.SDK)
	fmt.Fprintf(w, "- started %s, took %s; %d repetitions of %s per cell, interleaved (each repetition runs every scenario × approach once)\n",
		r.Started.UTC().Format(time.RFC3339), r.Took.Round(time.Second), r.Reps, r.Duration)
	if r.Load[0] != "" {
		fmt.Fprintf(w, "- load average (1, 5, 15 min) at the start: %s; at the end: %s (%d CPUs, shared with other work)\n", r.Load[0], r.Load[1], r.Machine.CPUs)
	}
	fmt.Fprintf(w, "- server: ifmatch-mockserver as a separate process on 127.0.0.1 (%s); documents of %d bytes `{\"n\":0,\"pad\":\"xxx…\"}`\n", mode, r.Config.docBytes)
	fmt.Fprintf(w, "- each writer loops over increments of `n` (%s timeout each) until the cell's time is up; operations under way then finish\n\n", r.Config.opTimeout)

	for _, s := range r.scenarios {
		fmt.Fprintf(w, "## %s\n\n%s.", s.name, s.about)
		if s.oneDoc && s.writers > 1 {
			fmt.Fprintf(w, " The limit row is the limit loop uncontended (1 writer, 1 document).")
		}
		fmt.Fprintf(w, "\n\n")
		writeTable(w, r, s)
		writeFailures(w, r, s)
	}
	fmt.Fprintf(w, "## Columns\n\n%s\n\n## Approaches\n\n", legend)
	for _, a := range r.approaches {
		fmt.Fprintf(w, "- `%s`: %s\n", a.name, a.about)
	}
	fmt.Fprintln(w)
}

const legend = `- goodput: successful increments per second, from the start of the cell to the end of its last operation; median [min–max] over the repetitions
- × limit: median goodput / the limit row's median goodput in the same scenario
- success: successful operations / operations
- req/success: requests the server received (all methods) / successful increments
- p50, p99: latency of operations, successful or not; max: the slowest operation of all repetitions
- CPU: user+sys CPU of the bench process (all clients, not the server) / successful increments
- lost: increments reported successful − actual increase of n on the server (and as % of the reported ones)
- all figures but goodput and max are medians over the repetitions`

func writeTable(w io.Writer, r *report, s scenario) {
	fmt.Fprintln(w, "| approach | goodput/s median [min–max] | × limit | success | req/success | p50 | p99 | max | CPU µs/success | lost |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	limit := figure(r.cells(s.name, "limit"), cellResult.goodput).Median
	for _, a := range r.approaches {
		cs := r.cells(s.name, a.name)
		if len(cs) == 0 {
			continue
		}
		gp := figure(cs, cellResult.goodput)
		ratio := "–"
		if limit > 0 {
			ratio = fmt.Sprintf("%.2f", gp.Median/limit)
		}
		success := figure(cs, func(c cellResult) float64 { return 100 * ratioOf(c.Successes, c.Ops) })
		reqs := figure(cs, func(c cellResult) float64 { return ratioOf(c.Requests, c.Successes) })
		p50 := figure(cs, func(c cellResult) float64 { return float64(c.P50) })
		p99 := figure(cs, func(c cellResult) float64 { return float64(c.P99) })
		worst := slices.MaxFunc(cs, func(a, b cellResult) int { return cmp.Compare(a.Max, b.Max) }).Max
		cpu := figure(cs, func(c cellResult) float64 { return ratioOf(c.CPU.Microseconds(), c.Successes) })
		lost := figure(cs, func(c cellResult) float64 { return float64(c.lost()) })
		lostPct := figure(cs, func(c cellResult) float64 { return 100 * ratioOf(c.lost(), c.Successes) })
		name := a.name
		if a.name == "limit" && s.forLimit().writers != s.writers {
			name = "limit (1 writer)"
		}
		fmt.Fprintf(w, "| %s | %.0f [%.0f–%.0f] | %s | %.1f%% | %s | %s | %s | %s | %s | %s |\n",
			name, gp.Median, gp.Min, gp.Max, ratio, success.Median, num(reqs.Median, 2),
			dur(p50.Median), dur(p99.Median), dur(float64(worst)), num(cpu.Median, 0), lostCell(lost.Median, lostPct.Median))
	}
	fmt.Fprintln(w)
}

// writeFailures lists what failed operations ended with, over all
// repetitions.
func writeFailures(w io.Writer, r *report, s scenario) {
	var lines []string
	for _, a := range r.approaches {
		total := map[string]int64{}
		var ops int64
		for _, c := range r.cells(s.name, a.name) {
			ops += c.Ops
			for k, v := range c.Failures {
				total[k] += v
			}
		}
		if len(total) == 0 {
			continue
		}
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(total)) {
			parts = append(parts, fmt.Sprintf("%d × %s", total[k], k))
		}
		lines = append(lines, fmt.Sprintf("`%s` (of %d operations): %s", a.name, ops, strings.Join(parts, ", ")))
	}
	if len(lines) > 0 {
		fmt.Fprintf(w, "Failures, all repetitions: %s.\n\n", strings.Join(lines, "; "))
	}
}

func ratioOf(a, b int64) float64 {
	if b == 0 {
		if a == 0 {
			return 0
		}
		return math.Inf(1)
	}
	return float64(a) / float64(b)
}

func num(x float64, prec int) string {
	if math.IsInf(x, 0) {
		return "∞"
	}
	return fmt.Sprintf("%.*f", prec, x)
}

func lostCell(n, pct float64) string {
	if n == 0 {
		return "0"
	}
	return fmt.Sprintf("%.0f (%.0f%%)", n, pct)
}

// dur shows a duration in nanoseconds with three significant digits.
func dur(ns float64) string {
	d := time.Duration(ns)
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.2fs", d.Seconds())
	case d >= 10*time.Millisecond:
		return fmt.Sprintf("%.0fms", float64(d)/1e6)
	case d >= time.Millisecond:
		return fmt.Sprintf("%.1fms", float64(d)/1e6)
	default:
		return fmt.Sprintf("%.0fµs", float64(d)/1e3)
	}
}
