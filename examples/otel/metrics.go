package main

import (
	"context"
	"errors"
	"sync"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/ifmatch/ifmatch"
)

// Metrics records what ifmatch Clients do as OpenTelemetry metrics:
//
//	ifmatch.conflicts          counter, by status: conflicts retried (Options.OnConflict)
//	ifmatch.transport_retries  counter, by reason: requests repeated (Options.OnRetry)
//	ifmatch.rebases            observable counter: changes reapplied to a fresh version
//	ifmatch.outcome_unknown    observable counter: calls ended with ErrOutcomeUnknown
//	ifmatch.cache.hits         observable counter
//	ifmatch.cache.misses       observable counter
//	ifmatch.cache.entries      observable gauge: versions held now
//
// The observable ones are read from Client.Stats at each collection,
// summed over the Clients made by NewClient.
type Metrics struct {
	conflicts, retries metric.Int64Counter

	mu      sync.Mutex
	clients []*ifmatch.Client
}

// NewMetrics creates the instruments on meter.
func NewMetrics(meter metric.Meter) (*Metrics, error) {
	m := &Metrics{}
	var err error
	if m.conflicts, err = meter.Int64Counter("ifmatch.conflicts", metric.WithUnit("{conflict}"),
		metric.WithDescription("Conflicts (409, 412, 428) the Client refetched and retried")); err != nil {
		return nil, err
	}
	if m.retries, err = meter.Int64Counter("ifmatch.transport_retries", metric.WithUnit("{request}"),
		metric.WithDescription("Requests repeated after a network error, 408, 429 or 5xx")); err != nil {
		return nil, err
	}

	counter := func(name, desc string) metric.Int64ObservableCounter {
		c, e := meter.Int64ObservableCounter(name, metric.WithDescription(desc))
		err = errors.Join(err, e)
		return c
	}
	rebases := counter("ifmatch.rebases", "Changes reapplied to a fresh version after a conflict")
	unknown := counter("ifmatch.outcome_unknown", "Calls that ended with ErrOutcomeUnknown")
	hits := counter("ifmatch.cache.hits", "ETag cache hits")
	misses := counter("ifmatch.cache.misses", "ETag cache misses")
	entries, e := meter.Int64ObservableGauge("ifmatch.cache.entries",
		metric.WithDescription("Resource versions held by the ETag cache"))
	if err = errors.Join(err, e); err != nil {
		return nil, err
	}
	_, err = meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		s := m.stats()
		o.ObserveInt64(rebases, s.Rebases)
		o.ObserveInt64(unknown, s.OutcomeUnknown)
		o.ObserveInt64(hits, s.CacheHits)
		o.ObserveInt64(misses, s.CacheMisses)
		o.ObserveInt64(entries, int64(s.CacheEntries))
		return nil
	}, rebases, unknown, hits, misses, entries)
	return m, err
}

// NewClient returns ifmatch.New(&opts) with its conflicts, retries and
// Stats recorded. Hooks already in opts are still called.
func (m *Metrics) NewClient(opts ifmatch.Options) *ifmatch.Client {
	onConflict, onRetry := opts.OnConflict, opts.OnRetry
	opts.OnConflict = func(ctx context.Context, i ifmatch.ConflictInfo) {
		// The call's context: exemplars link the point to the call's trace.
		m.conflicts.Add(ctx, 1, metric.WithAttributes(attribute.Int("status", i.StatusCode)))
		if onConflict != nil {
			onConflict(ctx, i)
		}
	}
	opts.OnRetry = func(ctx context.Context, i ifmatch.RetryInfo) {
		m.retries.Add(ctx, 1, metric.WithAttributes(attribute.String("reason", i.Reason)))
		if onRetry != nil {
			onRetry(ctx, i)
		}
	}
	c := ifmatch.New(&opts)
	m.mu.Lock()
	m.clients = append(m.clients, c)
	m.mu.Unlock()
	return c
}

// stats sums the Stats of every Client made by NewClient.
func (m *Metrics) stats() ifmatch.Stats {
	m.mu.Lock()
	defer m.mu.Unlock()
	var sum ifmatch.Stats
	for _, c := range m.clients {
		s := c.Stats()
		sum.Rebases += s.Rebases
		sum.OutcomeUnknown += s.OutcomeUnknown
		sum.CacheHits += s.CacheHits
		sum.CacheMisses += s.CacheMisses
		sum.CacheEntries += s.CacheEntries
		sum.TransportRetries += s.TransportRetries
	}
	return sum
}
