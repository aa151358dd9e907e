package main

import (
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	ds := []time.Duration{5, 1, 4, 2, 3, 6, 7, 8, 9, 10}
	for _, tc := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 5}, {0.99, 10}, {1, 10}, {0.01, 1}} {
		if got := percentile(ds, tc.q); got != tc.want {
			t.Errorf("percentile(%v) = %v, want %v", tc.q, got, tc.want)
		}
	}
	if got := percentile(nil, 0.5); got != 0 {
		t.Errorf("percentile of nothing = %v, want 0", got)
	}
}

func TestSummarize(t *testing.T) {
	for _, tc := range []struct {
		name string
		xs   []float64
		want summary
	}{
		{"odd", []float64{3, 1, 2}, summary{2, 1, 3}},
		{"even", []float64{4, 1, 3, 2}, summary{2.5, 1, 4}},
		{"empty", nil, summary{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := summarize(tc.xs); got != tc.want {
				t.Errorf("summarize(%v) = %+v, want %+v", tc.xs, got, tc.want)
			}
		})
	}
}

func TestPick(t *testing.T) {
	name := func(a approach) string { return a.name }
	extra := func(a approach) bool { return a.extra }
	all, err := pick(approaches, "", name, extra)
	if err != nil || len(all) != len(approaches)-1 {
		t.Fatalf("pick all = %d approaches, %v; want %d without the extra one", len(all), err, len(approaches)-1)
	}
	two, err := pick(approaches, "ifmatch,limit", name, extra)
	if err != nil || len(two) != 2 || two[0].name != "limit" || two[1].name != "ifmatch" {
		t.Fatalf("pick(ifmatch,limit) = %v, %v; want limit, ifmatch in table order", two, err)
	}
	if _, err := pick(approaches, "nope", name, extra); err == nil {
		t.Fatal("pick(nope) succeeded, want an error")
	}
}

func TestSeedDocSize(t *testing.T) {
	if got := len(seedDoc(1024)); got != 1024 {
		t.Errorf("seedDoc(1024) is %d bytes", got)
	}
}

func TestCommandQuotes(t *testing.T) {
	got := command([]string{"-o", "results/latest.md", "-approaches", "a b"})
	want := `go run ./cmd/occbench -o results/latest.md -approaches 'a b'`
	if got != want {
		t.Errorf("command = %q, want %q", got, want)
	}
}
