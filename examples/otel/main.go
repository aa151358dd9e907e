// Command otel records ifmatch's conflicts, transport retries and Stats as
// OpenTelemetry metrics (see Metrics), while 8 independent Clients each add
// 1 to one counter 20 times on an in-process mock server that answers some
// requests with 503 and drops some answers. It prints what a collection
// sees. This is its own module, so that the ifmatch module does not depend
// on OpenTelemetry. The hooks get the call's context, so that points can
// be linked to the call's trace; for the traces themselves (a span per call
// and per request), set Options.Tracer to otelifmatch.NewTracer() from the
// module github.com/ifmatch/ifmatch/otelifmatch. Run it with:
//
//	cd examples/otel && go run .
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"slices"
	"strings"
	"sync"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/ifmatch/ifmatch"
	"github.com/ifmatch/ifmatch/mockserver"
)

func main() {
	ctx := context.Background()
	reader := sdkmetric.NewManualReader()
	provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer provider.Shutdown(ctx)

	w, err := run(ctx, provider.Meter("github.com/ifmatch/ifmatch/examples/otel"), 8, 20)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d Clients x %d increments: %d acknowledged, %d outcome unknown, %d failed; counter is %d\n\n",
		w.clients, w.each, w.acked, w.unknown, w.failed, w.final)

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		log.Fatal(err)
	}
	for _, p := range points(rm) {
		fmt.Printf("%-48s %d\n", p.name, p.value)
	}
}

// workload is what run did.
type workload struct {
	clients, each          int
	acked, unknown, failed int
	final                  int           // the counter's value on the server
	stats                  ifmatch.Stats // summed over the Clients
}

// run has clients independent Clients, instrumented on meter, each add 1
// to one counter each times.
func run(ctx context.Context, meter metric.Meter, clients, each int) (workload, error) {
	w := workload{clients: clients, each: each}
	m, err := NewMetrics(meter)
	if err != nil {
		return w, err
	}
	srv := mockserver.New(mockserver.Options{Faults: mockserver.Faults{ErrorRate: 0.05, DropRate: 0.02}})
	defer srv.Close()
	if _, err := srv.SetDoc("/counter", []byte(`{"n":0}`)); err != nil {
		return w, err
	}

	type counter struct {
		N int `json:"n"`
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range clients {
		c := m.NewClient(ifmatch.Options{HTTPClient: srv.Client()})
		wg.Go(func() {
			for range each {
				_, err := ifmatch.Modify(ctx, c, srv.URL+"/counter", func(v *counter) error {
					v.N++
					return nil
				})
				mu.Lock()
				switch {
				case err == nil:
					w.acked++
				case errors.Is(err, ifmatch.ErrOutcomeUnknown):
					w.unknown++ // the increment may or may not be there
				default:
					w.failed++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()

	doc, _, _ := srv.Doc("/counter")
	var v counter
	err = json.Unmarshal(doc, &v)
	w.final, w.stats = v.N, m.stats()
	return w, err
}

type point struct {
	name  string // with its attributes: ifmatch.conflicts{status=412}
	value int64
}

// points flattens a collection's int64 sums and gauges, sorted by name.
func points(rm metricdata.ResourceMetrics) []point {
	var ps []point
	add := func(name string, attrs attribute.Set, v int64) {
		var kv []string
		for _, a := range attrs.ToSlice() {
			kv = append(kv, string(a.Key)+"="+a.Value.String())
		}
		if len(kv) > 0 {
			name += "{" + strings.Join(kv, ",") + "}"
		}
		ps = append(ps, point{name, v})
	}
	for _, sm := range rm.ScopeMetrics {
		for _, md := range sm.Metrics {
			switch d := md.Data.(type) {
			case metricdata.Sum[int64]:
				for _, dp := range d.DataPoints {
					add(md.Name, dp.Attributes, dp.Value)
				}
			case metricdata.Gauge[int64]:
				for _, dp := range d.DataPoints {
					add(md.Name, dp.Attributes, dp.Value)
				}
			}
		}
	}
	slices.SortFunc(ps, func(a, b point) int { return strings.Compare(a.name, b.name) })
	return ps
}
