package main

import (
	"context"
	"strings"
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

func TestMetricsMatchStats(t *testing.T) {
	ctx := context.Background()
	reader := sdkmetric.NewManualReader()
	provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer provider.Shutdown(ctx)

	w, err := run(ctx, provider.Meter("test"), 8, 20)
	if err != nil {
		t.Fatal(err)
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		t.Fatal(err)
	}
	total := map[string]int64{} // by metric name, attributes summed over
	for _, p := range points(rm) {
		name, _, _ := strings.Cut(p.name, "{")
		total[name] += p.value
	}
	t.Logf("workload %+v\nmetrics %v", w, total)

	if total["ifmatch.conflicts"] == 0 || total["ifmatch.transport_retries"] == 0 {
		t.Errorf("conflicts %d, transport retries %d; want both > 0 with 8 contending Clients and 503s",
			total["ifmatch.conflicts"], total["ifmatch.transport_retries"])
	}
	s := w.stats
	for _, c := range []struct {
		name string
		want int64
	}{
		{"ifmatch.transport_retries", s.TransportRetries},
		{"ifmatch.rebases", s.Rebases},
		{"ifmatch.outcome_unknown", s.OutcomeUnknown},
		{"ifmatch.cache.hits", s.CacheHits},
		{"ifmatch.cache.misses", s.CacheMisses},
		{"ifmatch.cache.entries", int64(s.CacheEntries)},
	} {
		if got := total[c.name]; got != c.want {
			t.Errorf("%s = %d, want %d from Stats", c.name, got, c.want)
		}
	}
	// Every rebase follows a conflict reported to OnConflict.
	if s.Rebases == 0 || total["ifmatch.conflicts"] < s.Rebases {
		t.Errorf("conflicts %d, rebases %d; want 0 < rebases <= conflicts", total["ifmatch.conflicts"], s.Rebases)
	}
	if s.OutcomeUnknown != int64(w.unknown) {
		t.Errorf("Stats.OutcomeUnknown = %d, calls that returned ErrOutcomeUnknown = %d", s.OutcomeUnknown, w.unknown)
	}
	// No increment lost, none applied twice unreported.
	if w.failed != 0 || w.final < w.acked || w.final > w.acked+w.unknown {
		t.Errorf("counter %d, acknowledged %d, outcome unknown %d, failed %d", w.final, w.acked, w.unknown, w.failed)
	}
}
