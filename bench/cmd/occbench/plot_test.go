package main

import (
	"encoding/xml"
	"io"
	"strings"
	"testing"
	"time"
)

func TestShapeOf(t *testing.T) {
	for _, tc := range []struct {
		name string
		want shape
	}{
		{"uncontended", shape{writers: 1, ok: true}},
		{"hot-shared-64", shape{writers: 64, ok: true}},
		{"hot-independent-4", shape{writers: 4, independent: true, ok: true}},
		{"wan-independent-16-10ms", shape{writers: 16, independent: true, delay: 10 * time.Millisecond, ok: true}},
		{"distinct", shape{}},
		{"wan-shared-16-10ms", shape{}},
	} {
		if got := shapeOf(tc.name); got != tc.want {
			t.Errorf("shapeOf(%q) = %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

// A small run: every chart is well-formed SVG, plots the approaches it has
// data for, and puts the points where the figures say.
func TestCharts(t *testing.T) {
	cell := func(scenario, approach string, succ, reqs int64, p50, p99 time.Duration) cellResult {
		return cellResult{Scenario: scenario, Approach: approach, Elapsed: time.Second, Ops: succ, Successes: succ,
			Requests: reqs, P50: p50, P99: p99}
	}
	r := &report{Results: []cellResult{
		cell("uncontended", "limit", 1000, 1000, 100*time.Microsecond, 200*time.Microsecond),
		cell("uncontended", "ifmatch", 900, 900, 110*time.Microsecond, 300*time.Microsecond),
		cell("hot-independent-16", "limit", 1000, 1000, 100*time.Microsecond, 200*time.Microsecond),
		cell("hot-independent-16", "ifmatch", 800, 1200, time.Millisecond, 50*time.Millisecond),
		cell("hot-shared-16", "limit", 1000, 1000, 100*time.Microsecond, 200*time.Microsecond),
		cell("hot-shared-16", "ifmatch", 4000, 500, time.Millisecond, 2*time.Millisecond),
		cell("wan-independent-16-10ms", "limit", 90, 90, 11*time.Millisecond, 12*time.Millisecond),
		cell("wan-independent-16-10ms", "ifmatch", 72, 864, 170*time.Millisecond, 600*time.Millisecond),
	}}
	g := goodputChart(r)
	if len(g.panels) != 2 || len(g.panels[0].series) != 1 || g.panels[0].series[0].name != "ifmatch" {
		t.Fatalf("goodput chart panels = %+v, want shared and independent, ifmatch only (limit is the reference line)", g.panels)
	}
	if got, want := g.panels[0].series[0].points, []point{{1, 0.9}, {16, 4}}; !equalPoints(got, want) {
		t.Errorf("shared goodput points = %v, want %v", got, want)
	}
	if got, want := g.panels[1].series[0].points, []point{{1, 0.9}, {16, 0.8}}; !equalPoints(got, want) {
		t.Errorf("independent goodput points = %v, want %v (the WAN cell is not a writers point)", got, want)
	}
	q := requestsRTTChart(r)
	var ifm series
	for _, s := range q.panels[0].series {
		if s.name == "ifmatch" {
			ifm = s
		}
	}
	if got, want := ifm.points, []point{{0.1, 1.5}, {11, 12}}; !equalPoints(got, want) {
		t.Errorf("requests against round trip = %v, want %v", got, want)
	}
	if got := q.panels[0].marks; len(got) != 2 {
		t.Errorf("targets marked = %v, want loopback and 10 ms", got)
	}
	for name, c := range map[string]chart{"goodput": g, "requests": requestsChart(r), "p99": p99Chart(r), "requests-rtt": q} {
		svg := c.svg()
		d := xml.NewDecoder(strings.NewReader(svg))
		for {
			_, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: not well-formed XML: %v", name, err)
			}
		}
		if !strings.Contains(svg, "<polyline") || !strings.Contains(svg, ">ifmatch</text>") {
			t.Errorf("%s: no line or legend for ifmatch", name)
		}
	}
}

func equalPoints(a, b []point) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if d := a[i].x - b[i].x; d > 1e-9 || d < -1e-9 {
			return false
		}
		if d := a[i].y - b[i].y; d > 1e-9 || d < -1e-9 {
			return false
		}
	}
	return true
}

func TestNice(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		up   bool
		want float64
	}{{0.03, false, 0.02}, {0.03, true, 0.05}, {10.77, true, 20}, {1, true, 1}, {1, false, 1}, {7, false, 5}} {
		if got := nice(tc.v, tc.up); got < tc.want*0.999 || got > tc.want*1.001 {
			t.Errorf("nice(%v, %v) = %v, want %v", tc.v, tc.up, got, tc.want)
		}
	}
}
