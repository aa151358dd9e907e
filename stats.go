package ifmatch

import (
	"sync/atomic"
	"time"
)

// Stats counts what a Client has done since [New].
type Stats struct {
	Writes           int64 // write calls (Create, Put, Patch, MergePatch, Update, Modify, Delete, and Do's requests of other methods than GET, HEAD, OPTIONS and TRACE)
	Conflicts        int64 // answers that refused a write's version (409, 412, 428, and 422 to a patch) and locks (423) waited out
	ConflictErrors   int64 // *ConflictError returned to callers
	Rebases          int64 // changes reapplied to a fresh version after a conflict
	Refetches        int64 // reads made to learn the current version
	Requests         int64 // HTTP requests sent: reads, writes, refetches, transport retries and replays
	TransportRetries int64 // requests repeated after a network error, 408, 429 or 5xx
	OutcomeUnknown   int64 // calls that ended with ErrOutcomeUnknown
	CacheHits        int64
	CacheMisses      int64
	CacheEvictions   int64 // entries dropped to respect CacheEntries or CacheBytes
	CacheEntries     int   // entries held now
	CacheBytes       int64 // bytes held now
}

type counters struct {
	writes, conflicts, conflictErrors, rebases, refetches, requests, transportRetries, outcomeUnknown atomic.Int64
}

// Stats returns the Client's counters.
func (c *Client) Stats() Stats {
	c.ready()
	n, b := c.cache.len()
	s := Stats{
		Writes:           c.stats.writes.Load(),
		Conflicts:        c.stats.conflicts.Load(),
		ConflictErrors:   c.stats.conflictErrors.Load(),
		Rebases:          c.stats.rebases.Load(),
		Refetches:        c.stats.refetches.Load(),
		Requests:         c.stats.requests.Load(),
		TransportRetries: c.stats.transportRetries.Load(),
		OutcomeUnknown:   c.stats.outcomeUnknown.Load(),
		CacheEntries:     n,
		CacheBytes:       b,
	}
	if c.cache != nil {
		s.CacheHits, s.CacheMisses, s.CacheEvictions = c.cache.hits.Load(), c.cache.misses.Load(), c.cache.evictions.Load()
	}
	return s
}

// ConflictInfo describes a conflict the Client is about to retry, for
// [Options.OnConflict].
type ConflictInfo struct {
	Method     string
	URL        string // without userinfo or query values
	StatusCode int    // 409, 412 or 428; 423 for a lock; 409 or 422 for a patch the server refused (SendPatch)
	Attempt    int    // writes attempted so far
	Delay      time.Duration
}

// RetryInfo describes a transport retry, for [Options.OnRetry].
type RetryInfo struct {
	Method string
	URL    string        // without userinfo or query values
	Reason string        // "network error", "timeout", or the status code
	Delay  time.Duration // the wait before the retry
}
