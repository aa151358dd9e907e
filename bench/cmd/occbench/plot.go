package main

import (
	"cmp"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The plot subcommand draws SVG charts from a run's JSON (-json), so that
// the pictures in BENCHMARKS.md regenerate from bench/results/*.json:
//
//	go run ./cmd/occbench plot -in results/latest.json -out results/
//
// It writes goodput.svg (× limit against writers, per approach),
// requests.svg (requests per success against writers), p99.svg (p99
// latency of 16 independent clients against the round-trip time) and
// requests-rtt.svg (their requests per success against the round trip).

// plotFlags are the plot subcommand's flags.
type plotFlags struct {
	in, out, prefix string
}

func plotMain(args []string) error {
	var f plotFlags
	fs := flag.NewFlagSet("occbench plot", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage (from bench/): go run ./cmd/occbench plot -in results/latest.json -out results/\n\nFlags:\n")
		fs.PrintDefaults()
	}
	fs.StringVar(&f.in, "in", "results/latest.json", "a run's JSON (occbench -json)")
	fs.StringVar(&f.out, "out", "results", "`directory` to write the SVG files to")
	fs.StringVar(&f.prefix, "prefix", "", "prefix of the file names (goodput.svg, requests.svg, p99.svg)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("plot: unexpected arguments %q", fs.Args())
	}
	b, err := os.ReadFile(f.in)
	if err != nil {
		return err
	}
	var r report
	if err := json.Unmarshal(b, &r); err != nil {
		return fmt.Errorf("plot: %s: %w", f.in, err)
	}
	if len(r.Results) == 0 {
		return fmt.Errorf("plot: %s holds no results", f.in)
	}
	charts := map[string]chart{
		"goodput.svg":      goodputChart(&r),
		"requests.svg":     requestsChart(&r),
		"p99.svg":          p99Chart(&r),
		"requests-rtt.svg": requestsRTTChart(&r),
	}
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range charts {
			if !yield(k) {
				return
			}
		}
	}) {
		path := filepath.Join(f.out, f.prefix+name)
		if err := os.WriteFile(path, []byte(charts[name].svg()), 0o644); err != nil {
			return err
		}
		logf("wrote %s", path)
	}
	return nil
}

// shape is what a scenario's name says: its writers, whether they share
// a client, and the server's delay. Names are parsed, not looked up, so
// that results of older runs plot too.
type shape struct {
	writers     int
	independent bool
	delay       time.Duration
	ok          bool
}

func shapeOf(name string) shape {
	if name == "uncontended" {
		return shape{writers: 1, ok: true}
	}
	for _, p := range []struct {
		prefix      string
		independent bool
	}{{"hot-shared-", false}, {"hot-independent-", true}} {
		if rest, found := strings.CutPrefix(name, p.prefix); found {
			n, err := strconv.Atoi(rest)
			return shape{writers: n, independent: p.independent, ok: err == nil}
		}
	}
	if rest, found := strings.CutPrefix(name, "wan-independent-"); found {
		w, d, _ := strings.Cut(rest, "-")
		n, err1 := strconv.Atoi(w)
		delay, err2 := time.ParseDuration(d)
		return shape{writers: n, independent: true, delay: delay, ok: err1 == nil && err2 == nil}
	}
	return shape{}
}

// approachesOf lists the approaches of a run in the order they first
// appear, the limit loop first.
func approachesOf(r *report) []string {
	var as []string
	for _, c := range r.Results {
		if !slices.Contains(as, c.Approach) {
			as = append(as, c.Approach)
		}
	}
	slices.SortStableFunc(as, func(a, b string) int {
		return cmp.Compare(boolInt(a != "limit"), boolInt(b != "limit"))
	})
	return as
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// median of one figure over a cell's repetitions; ok is false when the
// run has no such cell.
func median(r *report, scenario, approach string, f func(cellResult) float64) (float64, bool) {
	cs := r.cells(scenario, approach)
	if len(cs) == 0 {
		return 0, false
	}
	return figure(cs, f).Median, true
}

// byWriters builds one series per approach of a figure against writers,
// for shared (independent false) or independent clients; the uncontended
// cell is the point at 1 writer of both.
func byWriters(r *report, independent bool, f func(r *report, scenario, approach string) (float64, bool)) []series {
	var out []series
	for _, a := range approachesOf(r) {
		if a == "limit" {
			continue // the reference line of both charts
		}
		s := series{name: a}
		for _, c := range scenariosOf(r) {
			sh := shapeOf(c)
			if !sh.ok || sh.delay != 0 || (sh.writers > 1 && sh.independent != independent) {
				continue
			}
			if y, ok := f(r, c, a); ok && y > 0 && !math.IsInf(y, 0) {
				s.points = append(s.points, point{float64(sh.writers), y})
			}
		}
		slices.SortFunc(s.points, func(p, q point) int { return cmp.Compare(p.x, q.x) })
		if len(s.points) > 0 {
			out = append(out, s)
		}
	}
	return out
}

func scenariosOf(r *report) []string {
	var ss []string
	for _, c := range r.Results {
		if !slices.Contains(ss, c.Scenario) {
			ss = append(ss, c.Scenario)
		}
	}
	return ss
}

// ratio is an approach's median goodput over the limit loop's in the same
// scenario.
func ratio(r *report, scenario, approach string) (float64, bool) {
	g, ok := median(r, scenario, approach, cellResult.goodput)
	l, lok := median(r, scenario, "limit", cellResult.goodput)
	if !ok || !lok || l == 0 {
		return 0, false
	}
	return g / l, true
}

func requestsPerSuccess(r *report, scenario, approach string) (float64, bool) {
	return median(r, scenario, approach, func(c cellResult) float64 { return ratioOf(c.Requests, c.Successes) })
}

func goodputChart(r *report) chart {
	return chart{
		title:  "Goodput against writers on one hot document (× the limit loop of the same run)",
		xLabel: "writers", yLabel: "goodput × limit", logX: true, logY: true,
		panels: []panel{
			{title: "goroutines sharing one client", series: byWriters(r, false, ratio)},
			{title: "independent clients (one each)", series: byWriters(r, true, ratio)},
		},
		refY: 1, refLabel: "limit loop",
	}
}

func requestsChart(r *report) chart {
	return chart{
		title:  "Requests the server received per successful increment",
		xLabel: "writers", yLabel: "requests / success", logX: true, logY: true,
		panels: []panel{
			{title: "goroutines sharing one client", series: byWriters(r, false, requestsPerSuccess)},
			{title: "independent clients (one each)", series: byWriters(r, true, requestsPerSuccess)},
		},
		refY: 1, refLabel: "one request per commit",
	}
}

// p99Chart plots, for 16 independent clients, the p99 latency against the
// round-trip time, with the targets (1 s at 10 ms, 2 s at 50 ms).
func p99Chart(r *report) chart {
	ss, marks := byRoundTrip(r, func(c cellResult) float64 { return float64(c.P99) / 1e6 },
		map[time.Duration]float64{10 * time.Millisecond: 1000, 50 * time.Millisecond: 2000})
	return chart{
		title:  "p99 latency, 16 independent clients, one hot document",
		xLabel: "round trip (ms, the limit loop's median)", yLabel: "p99 (ms)", logX: true, logY: true,
		panels: []panel{{title: "loopback, then the server waiting 1, 10, 50 ms per request", series: ss, marks: marks}},
	}
}

// requestsRTTChart plots, for 16 independent clients, the requests per
// success against the round-trip time, with the target (5 on loopback
// and at 10 ms).
func requestsRTTChart(r *report) chart {
	ss, marks := byRoundTrip(r, func(c cellResult) float64 { return ratioOf(c.Requests, c.Successes) },
		map[time.Duration]float64{0: 5, 10 * time.Millisecond: 5})
	return chart{
		title:  "Requests per success, 16 independent clients, one hot document",
		xLabel: "round trip (ms, the limit loop's median)", yLabel: "requests / success", logX: true, logY: true,
		panels: []panel{{title: "loopback, then the server waiting 1, 10, 50 ms per request", series: ss, marks: marks}},
		refY:   1, refLabel: "one request per commit",
	}
}

// byRoundTrip builds one series per approach of a figure against the
// round trip, for the cells of 16 independent clients (hot-independent-16
// and wan-independent-16-*); the round trip of a cell is the limit loop's
// median latency in it. targets, by server delay, become marks.
func byRoundTrip(r *report, f func(cellResult) float64, targets map[time.Duration]float64) ([]series, []point) {
	var out []series
	var marks []point
	for _, a := range approachesOf(r) {
		s := series{name: a}
		for _, c := range scenariosOf(r) {
			sh := shapeOf(c)
			if !sh.ok || !sh.independent || sh.writers != 16 {
				continue
			}
			rtt, ok := median(r, c, "limit", func(c cellResult) float64 { return float64(c.P50) / 1e6 })
			y, yok := median(r, c, a, f)
			if !ok || !yok || rtt <= 0 || y <= 0 || math.IsInf(y, 0) {
				continue
			}
			s.points = append(s.points, point{rtt, y})
			if t, found := targets[sh.delay]; found && a == "limit" {
				marks = append(marks, point{rtt, t})
			}
		}
		slices.SortFunc(s.points, func(p, q point) int { return cmp.Compare(p.x, q.x) })
		if len(s.points) > 0 {
			out = append(out, s)
		}
	}
	return out, marks
}
