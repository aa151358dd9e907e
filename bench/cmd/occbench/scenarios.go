package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// A scenario is how many writers there are, on how many documents, through
// how many clients.
type scenario struct {
	name    string
	about   string
	writers int
	oneDoc  bool          // every writer on one hot document; else one document each
	shared  bool          // every writer through one client; else one client each, each with its own connection pool
	latency time.Duration // the server waits this long before processing each request (a WAN round trip)
}

func allScenarios() []scenario {
	s := []scenario{
		{"uncontended", "1 writer, 1 document", 1, true, true, 0},
		{"distinct", "16 writers through one client, each on its own document", 16, false, true, 0},
	}
	for _, w := range []int{4, 16, 64} {
		s = append(s, scenario{fmt.Sprintf("hot-shared-%d", w),
			fmt.Sprintf("%d goroutines sharing one client, one hot document", w), w, true, true, 0})
	}
	for _, w := range []int{4, 16, 64} {
		s = append(s, scenario{fmt.Sprintf("hot-independent-%d", w),
			fmt.Sprintf("%d independent clients (own transport and pool each, as separate processes), one hot document", w), w, true, false, 0})
	}
	for _, d := range []time.Duration{time.Millisecond, 10 * time.Millisecond, 50 * time.Millisecond} {
		s = append(s, scenario{name: fmt.Sprintf("wan-independent-16-%s", d),
			about:   fmt.Sprintf("16 independent clients, one hot document, the server waiting %s before each request", d),
			writers: 16, oneDoc: true, latency: d})
	}
	s = append(s, scenario{name: "wan-shared-16-10ms",
		about:   "16 goroutines sharing one client, one hot document, the server waiting 10ms before each request",
		writers: 16, oneDoc: true, shared: true, latency: 10 * time.Millisecond})
	return s
}

// forLimit is the shape the limit loop runs in this scenario: its single
// writer never conflicts, so on a hot document it runs uncontended; with
// distinct documents it runs with the same writers, each on its own.
func (s scenario) forLimit() scenario {
	if s.oneDoc {
		return scenario{name: s.name, writers: 1, oneDoc: true, shared: true, latency: s.latency}
	}
	return s
}

// cellConfig bounds one cell.
type cellConfig struct {
	duration  time.Duration // writers start no operation after this
	opTimeout time.Duration // per operation
	maxOps    int64         // operations per cell, all writers together
	docBytes  int
}

// cellResult is one measurement of one approach in one scenario.
type cellResult struct {
	Approach   string           `json:"approach"`
	Scenario   string           `json:"scenario"`
	Rep        int              `json:"rep"`
	Writers    int              `json:"writers"`
	Elapsed    time.Duration    `json:"elapsed_ns"` // start to the last writer's end
	Ops        int64            `json:"ops"`
	Successes  int64            `json:"successes"`
	Failures   map[string]int64 `json:"failures,omitempty"`
	Requests   int64            `json:"requests"` // counted by the server
	Conflicts  int64            `json:"conflicts"`
	Commits    int64            `json:"commits"`
	Increase   int64            `json:"increase"` // of n on the server, all documents
	CPU        time.Duration    `json:"cpu_ns"`   // user+sys of this process
	P50        time.Duration    `json:"p50_ns"`
	P99        time.Duration    `json:"p99_ns"`
	Max        time.Duration    `json:"max_ns"`
	StatusSeen map[string]int64 `json:"server_requests"`
}

func (r cellResult) goodput() float64 { return float64(r.Successes) / r.Elapsed.Seconds() }
func (r cellResult) lost() int64      { return r.Successes - r.Increase }

// runCell seeds fresh documents, runs the approach's writers until the
// duration ends, and reads back what the server saw.
func runCell(ctx context.Context, srv *server, a approach, s scenario, rep int, cfg cellConfig) (cellResult, error) {
	shape := s
	if a.name == "limit" {
		shape = s.forLimit()
	}
	res := cellResult{Approach: a.name, Scenario: s.name, Rep: rep, Writers: shape.writers, Failures: map[string]int64{}}

	ndocs := shape.writers
	if shape.oneDoc {
		ndocs = 1
	}
	paths := make([]string, ndocs)
	for i := range paths {
		paths[i] = fmt.Sprintf("/bench/r%d/%s/%s/doc%d", rep, s.name, a.name, i)
		if err := srv.seed(ctx, paths[i], seedDoc(cfg.docBytes)); err != nil {
			return res, err
		}
	}

	nclients := 1
	if !shape.shared {
		nclients = shape.writers
	}
	transports := make([]*http.Transport, nclients)
	clients := make([]client, nclients)
	for i := range clients {
		transports[i] = newTransport()
		clients[i] = a.newClient(&http.Client{Transport: transports[i]})
	}
	defer func() {
		for _, t := range transports {
			t.CloseIdleConnections()
		}
	}()

	ops := make([]op, shape.writers)
	for i := range ops {
		var err error
		if ops[i], err = clients[i%nclients].writer(ctx, srv.URL+paths[i%ndocs]); err != nil {
			return res, fmt.Errorf("preparing writer %d: %w", i, err)
		}
	}

	if err := srv.setLatency(ctx, shape.latency); err != nil {
		return res, err
	}
	if shape.latency > 0 {
		defer srv.setLatency(context.WithoutCancel(ctx), 0)
	}
	if err := srv.resetStats(ctx); err != nil {
		return res, err
	}
	cpu0 := processCPU()
	start := time.Now()
	deadline := start.Add(cfg.duration)
	var (
		started   atomic.Int64
		wg        sync.WaitGroup
		mu        sync.Mutex
		latencies []time.Duration
	)
	for _, o := range ops {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			var ok int64
			fails := map[string]int64{}
			for ctx.Err() == nil && time.Now().Before(deadline) && started.Add(1) <= cfg.maxOps {
				octx, cancel := context.WithTimeout(ctx, cfg.opTimeout)
				t0 := time.Now()
				err := o(octx)
				lat = append(lat, time.Since(t0))
				cancel()
				if err == nil {
					ok++
				} else {
					fails[failureKind(err)]++
				}
			}
			mu.Lock()
			defer mu.Unlock()
			latencies = append(latencies, lat...)
			res.Successes += ok
			for k, v := range fails {
				res.Failures[k] += v
			}
		}()
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	res.CPU = processCPU() - cpu0
	if err := ctx.Err(); err != nil {
		return res, err
	}

	res.Ops = int64(len(latencies))
	res.P50, res.P99, res.Max = percentile(latencies, 0.50), percentile(latencies, 0.99), percentile(latencies, 1)
	st, err := srv.stats(ctx)
	if err != nil {
		return res, err
	}
	res.Requests, res.Conflicts, res.Commits, res.StatusSeen = st.total(), st.Conflicts, st.Commits, st.Requests
	for _, p := range paths {
		n, err := srv.counter(ctx, p)
		if err != nil {
			return res, err
		}
		res.Increase += n
	}
	return res, nil
}

// seedDoc is a document with n = 0, padded to size bytes.
func seedDoc(size int) []byte {
	const head, tail = `{"n":0,"pad":"`, `"}`
	return []byte(head + strings.Repeat("x", max(size-len(head)-len(tail), 0)) + tail)
}
