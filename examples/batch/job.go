package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/ifmatch/ifmatch"
	"github.com/ifmatch/ifmatch/mockserver"
)

// Config describes one batch job. The zero value of a field means its
// default, as for the flags in main.
type Config struct {
	N           int               // resources to update; 0: 10,000
	Concurrency int               // updates in flight at once; 0: 32
	Rate        float64           // requests per second; 0: unlimited
	Grace       time.Duration     // how long in-flight updates may finish after ctx ends; 0: they end with it
	Faults      mockserver.Faults // faults the mock server injects

	Progress io.Writer // where progress goes; nil: nowhere
	Terminal bool      // Progress is a terminal: redraw a bar in place

	// OnUpdate, if set, is called after each update, from its worker.
	OnUpdate func(i int, err error)
}

// DefaultFaults are mild faults, so that the job meets what a real API
// does: some latency, a few 503s, and concurrent writers that make some
// writes stale, so that they are rebased.
var DefaultFaults = mockserver.Faults{
	Latency:       500 * time.Microsecond,
	LatencyJitter: time.Millisecond,
	ErrorRate:     0.005,
	InterfereRate: 0.02,
}

// Summary is what a job did.
type Summary struct {
	Total       int
	Started     int
	Done        int
	Failed      map[string]int // by cause: "conflict", "outcome unknown", "response 404", "context", ...
	Interrupted bool           // ctx ended before the job did
	Rebases     int64          // from Client.Stats
	Requests    int64          // HTTP requests sent, transport retries included
	Elapsed     time.Duration
	Check       Check
}

// NotStarted counts the updates that never began.
func (s Summary) NotStarted() int { return s.Total - s.Started }

// FailedTotal counts the updates that ended with an error.
func (s Summary) FailedTotal() int {
	n := 0
	for _, v := range s.Failed {
		n += v
	}
	return n
}

// Check is the state of every resource, read back from the server after
// the job, against what the job reported for it.
type Check struct {
	Updated   int      // updated exactly once
	Untouched int      // as seeded
	Wrong     int      // not in the state their outcome requires: lost, doubled, half-written, or written when it should not be
	Examples  []string // the first few of those
}

// OK reports whether every resource is in the state its outcome requires.
func (c Check) OK() bool { return c.Wrong == 0 }

// item is a resource. An update raises the price by 10% and counts
// itself, so that a lost update, a double one or a half-written one shows.
type item struct {
	SKU     string `json:"sku"`
	Price   int    `json:"price_cents"`
	Updates int    `json:"updates"`
}

// raise is the update.
func raise(it *item) error {
	it.Price = raised(it.Price)
	it.Updates++
	return nil
}

func path(i int) string    { return fmt.Sprintf("/items/%05d", i) }
func seedPrice(i int) int  { return 100 + i%9900 }
func raised(price int) int { return price + price/10 }

func seed(h *mockserver.Handler, n int) error {
	for i := range n {
		doc, err := json.Marshal(item{SKU: fmt.Sprintf("SKU-%05d", i), Price: seedPrice(i)})
		if err != nil {
			return err
		}
		if _, err := h.SetDoc(path(i), doc); err != nil {
			return err
		}
	}
	return nil
}

func defaultInt(v, d int) int {
	if v == 0 {
		return d
	}
	return v
}

// outcome of one resource's update.
type outcome uint8

const (
	notStarted outcome = iota
	done
	failedNotSent // the update cannot have been written
	failedUnknown // it may have been written
)

// Run seeds cfg.N resources on an in-process mock server and updates each
// once through one shared Client, at most cfg.Concurrency at a time and
// cfg.Rate requests per second. When ctx ends no new update starts; the
// ones in flight get cfg.Grace to finish, then end with their context.
// Every update is one conditional write, so each resource ends either
// updated or untouched: Run reads them all back to check it.
func Run(ctx context.Context, cfg Config) (Summary, error) {
	n := defaultInt(cfg.N, 10_000)
	conc := defaultInt(cfg.Concurrency, 32)

	srv := mockserver.New(mockserver.Options{Faults: cfg.Faults})
	defer srv.Close()
	if err := seed(srv.Handler, n); err != nil {
		return Summary{}, err
	}

	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = conc // one idle connection per worker: no churn
	m := &meter{base: tr}
	if cfg.Rate > 0 {
		m.limit = rate.NewLimiter(rate.Limit(cfg.Rate), max(1, int(cfg.Rate/100)))
	}
	client := ifmatch.New(&ifmatch.Options{HTTPClient: &http.Client{Transport: m}})
	defer client.CloseIdleConnections()

	// Updates run on work, which ends cfg.Grace after ctx does.
	work, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	stop := context.AfterFunc(ctx, func() { time.AfterFunc(cfg.Grace, cancelWork) })
	defer stop()

	var (
		outcomes = make([]outcome, n)
		t        = tally{causes: map[string]int{}}
		sem      = make(chan struct{}, conc) // a slot per update in flight
		wg       sync.WaitGroup
		started  int
	)
	start := time.Now()
	stopProgress := startProgress(cfg.Progress, cfg.Terminal, n, start, &t.done, &t.failed)
	for i := range n {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break // no new update once ctx has ended
		}
		started++
		wg.Go(func() {
			defer func() { <-sem }()
			_, err := ifmatch.Modify(work, client, srv.URL+path(i), raise)
			outcomes[i] = t.record(err)
			if cfg.OnUpdate != nil {
				cfg.OnUpdate(i, err)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	stopProgress()

	return Summary{
		Total:       n,
		Started:     started,
		Done:        int(t.done.Load()),
		Failed:      t.causes,
		Interrupted: ctx.Err() != nil,
		Rebases:     client.Stats().Rebases,
		Requests:    m.n.Load(),
		Elapsed:     elapsed,
		Check:       check(srv.Handler, outcomes),
	}, nil
}

// tally counts the updates' ends, for the progress and the summary.
type tally struct {
	done, failed atomic.Int64
	mu           sync.Mutex
	causes       map[string]int // failures by cause
}

func (t *tally) record(err error) outcome {
	if err == nil {
		t.done.Add(1)
		return done
	}
	cause := causeOf(err)
	t.mu.Lock()
	t.causes[cause]++
	t.mu.Unlock()
	t.failed.Add(1)
	if cause == "outcome unknown" {
		return failedUnknown
	}
	return failedNotSent
}

// causeOf names why an update failed. Outcome unknown comes first: a
// cancelled call whose write was out matches the context's error too.
func causeOf(err error) string {
	var re *ifmatch.ResponseError
	switch {
	case errors.Is(err, ifmatch.ErrOutcomeUnknown):
		return "outcome unknown"
	case errors.Is(err, ifmatch.ErrConflict):
		return "conflict"
	case errors.As(err, &re):
		return fmt.Sprintf("response %d", re.StatusCode)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "context"
	}
	return "other"
}

// check reads every resource back from the server and compares it with
// its outcome: done must be updated once, not started or failed before
// sending must be untouched, outcome unknown may be either.
func check(h *mockserver.Handler, outcomes []outcome) Check {
	var c Check
	for i, o := range outcomes {
		var it item
		doc, _, ok := h.Doc(path(i))
		if ok && json.Unmarshal(doc, &it) != nil {
			ok = false
		}
		p := seedPrice(i)
		updated := ok && it.Updates == 1 && it.Price == raised(p)
		untouched := ok && it.Updates == 0 && it.Price == p
		switch {
		case updated:
			c.Updated++
		case untouched:
			c.Untouched++
		}
		if (o == done && !updated) || ((o == notStarted || o == failedNotSent) && !untouched) ||
			(o == failedUnknown && !updated && !untouched) {
			c.Wrong++
			if len(c.Examples) < 10 {
				c.Examples = append(c.Examples, fmt.Sprintf("%s %s: %s", path(i), o, doc))
			}
		}
	}
	return c
}

func (o outcome) String() string {
	return [...]string{"not started", "done", "failed", "outcome unknown"}[o]
}

// meter is the job's http.RoundTripper: it counts requests and holds them
// to the rate limit.
type meter struct {
	base  http.RoundTripper
	limit *rate.Limiter // nil: unlimited
	n     atomic.Int64
}

func (m *meter) RoundTrip(req *http.Request) (*http.Response, error) {
	if m.limit != nil {
		if err := m.limit.Wait(req.Context()); err != nil {
			if req.Body != nil {
				req.Body.Close()
			}
			return nil, err
		}
	}
	m.n.Add(1)
	return m.base.RoundTrip(req)
}
