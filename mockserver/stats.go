package mockserver

import (
	"maps"
	"net/http"
)

// Stats counts what a Handler did since it started or since ResetStats.
// Admin endpoints are not counted.
type Stats struct {
	// Requests counts document requests by "METHOD OUTCOME": the status
	// ("PUT 412"), or for faults without an answer "PUT reset",
	// "PUT dropped" and "GET canceled" (the client left during latency).
	// Methods other than those of RFC 9110 and PATCH count as "OTHER".
	Requests map[string]int64 `json:"requests"`
	// Commits counts writes that changed state through HTTP (2xx PUT,
	// PATCH, DELETE), including those whose answer was then dropped and
	// excluding idempotent replays.
	Commits int64 `json:"commits"`
	// Conflicts counts stale-version answers (409/412), failed
	// If-None-Match included.
	Conflicts int64 `json:"conflicts"`
	// ExternalWrites counts writes made outside the document API: SetDoc,
	// DeleteDoc, admin writes and interference commits.
	ExternalWrites int64 `json:"external_writes"`
	// IdempotentReplays counts answers replayed for a known idempotency key.
	IdempotentReplays int64 `json:"idempotent_replays"`
	// Faults counts the injected faults that took effect.
	Faults FaultStats `json:"faults"`
}

// FaultStats counts injected faults by kind.
type FaultStats struct {
	Delayed       int64 `json:"delayed"`       // requests given latency
	Errors        int64 `json:"errors"`        // error answers (ErrorRate)
	Resets        int64 `json:"resets"`        // connections reset before processing
	Drops         int64 `json:"drops"`         // committed writes left without an answer
	Interferences int64 `json:"interferences"` // concurrent commits before a conditional write
	StaleReads    int64 `json:"stale_reads"`   // reads answered from an older version
}

// Stats returns a copy of the counters.
func (h *Handler) Stats() Stats {
	h.statsMu.Lock()
	defer h.statsMu.Unlock()
	s := h.stats
	s.Requests = maps.Clone(h.stats.Requests)
	if s.Requests == nil {
		s.Requests = map[string]int64{}
	}
	return s
}

// ResetStats sets every counter to zero.
func (h *Handler) ResetStats() {
	h.statsMu.Lock()
	defer h.statsMu.Unlock()
	h.stats = Stats{}
}

// count updates the counters under their lock.
func (h *Handler) count(update func(s *Stats)) {
	h.statsMu.Lock()
	defer h.statsMu.Unlock()
	update(&h.stats)
}

// methodBucket is the method as counted in Stats.Requests: the methods of
// RFC 9110 and PATCH by name, any other as "OTHER", so that a client
// inventing method names cannot grow the counters without bound.
func methodBucket(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
		return method
	}
	return "OTHER"
}
