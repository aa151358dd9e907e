package main

import (
	"encoding/xml"
	"fmt"
	"math"
	"strings"
)

// A chart is one SVG picture: panels side by side sharing axes' kinds.
type chart struct {
	title          string
	xLabel, yLabel string
	logX, logY     bool
	panels         []panel
	refY           float64 // a dashed horizontal reference line (0: none)
	refLabel       string
}

// A panel is one plot area.
type panel struct {
	title  string
	series []series
	marks  []point // targets, drawn as red diamonds
}

type series struct {
	name   string
	points []point
}

type point struct{ x, y float64 }

// Fixed colors per approach, so that every chart agrees.
var palette = map[string]string{
	"limit":              "#000000",
	"ifmatch":            "#1f77b4",
	"ifmatch-update":     "#2ca02c",
	"ifmatch-patch":      "#17becf",
	"ifmatch-sdk-client": "#9467bd",
	"k8s-retry-default":  "#ff7f0e",
	"k8s-retry-backoff":  "#d62728",
	"retryablehttp":      "#8c564b",
	"no-precondition":    "#7f7f7f",
}

var spare = []string{"#bcbd22", "#e377c2", "#aec7e8", "#ffbb78"}

func colorOf(name string, i int) string {
	if c, ok := palette[name]; ok {
		return c
	}
	return spare[i%len(spare)]
}

const (
	panelW, panelH = 420, 300
	marginL        = 64
	marginR        = 16
	marginT        = 56
	marginB        = 48
	legendW        = 170
)

// svg renders the chart.
func (c chart) svg() string {
	var b strings.Builder
	w := len(c.panels)*(marginL+panelW+marginR) + legendW
	h := marginT + panelH + marginB
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", w, h, w, h)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", w, h)
	text(&b, 8, 20, "start", 14, "bold", c.title)
	xs, ys := c.extent()
	var names []string
	for i, p := range c.panels {
		ox := i*(marginL+panelW+marginR) + marginL
		c.drawPanel(&b, p, ox, xs, ys)
		for _, s := range p.series {
			if !contains(names, s.name) {
				names = append(names, s.name)
			}
		}
	}
	lx := len(c.panels)*(marginL+panelW+marginR) + 8
	for i, n := range names {
		y := marginT + 12 + i*18
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="2.5"/>`+"\n", lx, y-4, lx+22, y-4, colorOf(n, i))
		text(&b, lx+28, y, "start", 12, "normal", n)
	}
	b.WriteString("</svg>\n")
	return b.String()
}

// extent is the range of x and y over every panel, widened to whole
// decades on log axes.
func (c chart) extent() (xs, ys [2]float64) {
	xs = [2]float64{math.Inf(1), math.Inf(-1)}
	ys = xs
	grow := func(r *[2]float64, v float64) { r[0], r[1] = math.Min(r[0], v), math.Max(r[1], v) }
	for _, p := range c.panels {
		for _, s := range p.series {
			for _, pt := range s.points {
				grow(&xs, pt.x)
				grow(&ys, pt.y)
			}
		}
		for _, m := range p.marks {
			grow(&ys, m.y)
		}
	}
	if c.refY > 0 {
		grow(&ys, c.refY)
	}
	if math.IsInf(xs[0], 1) {
		return [2]float64{1, 10}, [2]float64{1, 10}
	}
	widen := func(r [2]float64, log bool) [2]float64 {
		if log {
			return [2]float64{nice(r[0], false), nice(r[1], true)}
		}
		return [2]float64{0, r[1] * 1.1}
	}
	return widen(xs, c.logX), widen(ys, c.logY)
}

// nice rounds v down (or up) to 1, 2 or 5 times a power of ten.
func nice(v float64, up bool) float64 {
	d := math.Pow(10, math.Floor(math.Log10(v)))
	steps := []float64{1, 2, 5, 10}
	if up {
		for _, m := range steps {
			if d*m >= v*(1-1e-9) {
				return d * m
			}
		}
	}
	for i := len(steps) - 1; i >= 0; i-- {
		if d*steps[i] <= v*(1+1e-9) {
			return d * steps[i]
		}
	}
	return d
}

func scale(v float64, r [2]float64, log bool, px int, flip bool) float64 {
	f := (v - r[0]) / (r[1] - r[0])
	if log {
		f = (math.Log10(v) - math.Log10(r[0])) / (math.Log10(r[1]) - math.Log10(r[0]))
	}
	if flip {
		f = 1 - f
	}
	return f * float64(px)
}

func (c chart) drawPanel(b *strings.Builder, p panel, ox int, xs, ys [2]float64) {
	oy := marginT
	px := func(x float64) float64 { return float64(ox) + scale(x, xs, c.logX, panelW, false) }
	py := func(y float64) float64 { return float64(oy) + scale(y, ys, c.logY, panelH, true) }
	text(b, ox, oy-8, "start", 12, "bold", p.title)
	fmt.Fprintf(b, `<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#444"/>`+"\n", ox, oy, panelW, panelH)
	for _, t := range ticks(ys, c.logY) {
		y := py(t)
		fmt.Fprintf(b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>`+"\n", ox, y, ox+panelW, y)
		text(b, ox-4, int(y)+4, "end", 11, "normal", tickLabel(t))
	}
	for _, t := range ticks(xs, c.logX) {
		x := px(t)
		fmt.Fprintf(b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/>`+"\n", x, oy, x, oy+panelH)
		text(b, int(x), oy+panelH+16, "middle", 11, "normal", tickLabel(t))
	}
	text(b, ox+panelW/2, oy+panelH+36, "middle", 12, "normal", c.xLabel)
	fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="middle" transform="rotate(-90 %d %d)" font-size="12">%s</text>`+"\n",
		ox-46, oy+panelH/2, ox-46, oy+panelH/2, esc(c.yLabel))
	if c.refY > 0 {
		y := py(c.refY)
		fmt.Fprintf(b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#000" stroke-dasharray="5,4"/>`+"\n", ox, y, ox+panelW, y)
		text(b, ox+panelW-4, int(y)-4, "end", 10, "normal", c.refLabel)
	}
	for i, s := range p.series {
		col := colorOf(s.name, i)
		var pts []string
		for _, pt := range s.points {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(pt.x), py(pt.y)))
		}
		fmt.Fprintf(b, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"><title>%s</title></polyline>`+"\n", col, strings.Join(pts, " "), esc(s.name))
		for _, pt := range s.points {
			fmt.Fprintf(b, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"><title>%s: %s at %s</title></circle>`+"\n",
				px(pt.x), py(pt.y), col, esc(s.name), tickLabel(pt.y), tickLabel(pt.x))
		}
	}
	for _, m := range p.marks {
		x, y := px(m.x), py(m.y)
		fmt.Fprintf(b, `<path d="M%.1f %.1f l6 6 l-6 6 l-6 -6 z" fill="none" stroke="red" stroke-width="2"><title>target: %s</title></path>`+"\n", x, y-6, tickLabel(m.y))
	}
}

// ticks are the decades (and 2, 5 between them when few) of a log axis,
// or five even steps of a linear one.
func ticks(r [2]float64, log bool) []float64 {
	var out []float64
	if !log {
		for i := range 6 {
			out = append(out, r[0]+(r[1]-r[0])*float64(i)/5)
		}
		return out
	}
	decades := math.Log10(r[1]) - math.Log10(r[0])
	for d := math.Pow(10, math.Floor(math.Log10(r[0])+1e-9)); d <= r[1]*1.0001; d *= 10 {
		for _, m := range []float64{1, 2, 5} {
			if v := d * m; v >= r[0]*0.9999 && v <= r[1]*1.0001 && (m == 1 || decades <= 3) {
				out = append(out, v)
			}
		}
	}
	return out
}

func tickLabel(v float64) string {
	switch {
	case v >= 1000:
		return fmt.Sprintf("%.0f", v)
	case v >= 1:
		return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", v), "0"), ".")
	default:
		return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.3f", v), "0"), ".")
	}
}

func text(b *strings.Builder, x, y int, anchor string, size int, weight, s string) {
	fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="%s" font-size="%d" font-weight="%s">%s</text>`+"\n", x, y, anchor, size, weight, esc(s))
}

func esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
