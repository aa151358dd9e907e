package ifmatch

import (
	"math/rand/v2"
	"sync"
	"time"
)

// contention is the default conflict policy (Options.Backoff nil). It
// remembers, per resource, how contended its writes have been lately, so
// that a Client's calls on a hot resource back off from where its last
// calls left off instead of from scratch: a conflict doubles the
// resource's level (1 ms to 50 ms, or 2 to 32 round trips of the last
// write on a slower server), a commit halves it, and each wait is
// drawn at random from the upper half of the level. Independent writers of
// one resource so settle, each on its own, at a pace at which their writes
// seldom collide. Backoff alone would starve the unlucky: a writer that
// keeps winning never waits, while the others wait longer and longer. So a
// call that has lost 8 rounds waits half as long every 4 rounds more, and
// gets its turn.
//
// The figures were chosen by measurement (BENCHMARKS.md, hot-independent).
type contention struct {
	mu     sync.Mutex
	levels map[cacheKey]time.Duration
}

const (
	contentionFloor = time.Millisecond // below it, a level is forgotten
	contentionCeil  = 50 * time.Millisecond
	contentionKeys  = 4096 // resources remembered at most
	agingStart      = 8    // rounds lost before a call's waits shrink
	agingStep       = 4    // rounds per halving after that
)

// conflicted raises k's level after a call's round-th conflict and
// returns the wait before its next attempt, at least min(d, level), d
// being the call's own backoff. rtt, the last write's round trip, scales
// the range for slow servers: the level stays within 2 to 32 round trips
// when that is more than 1 to 50 ms.
func (h *contention) conflicted(k cacheKey, round int, rtt, d time.Duration) time.Duration {
	h.mu.Lock()
	if h.levels == nil {
		h.levels = make(map[cacheKey]time.Duration)
	}
	lv := min(max(2*h.levels[k], contentionFloor, 2*rtt), max(contentionCeil, 32*rtt))
	if _, ok := h.levels[k]; ok || len(h.levels) < contentionKeys {
		h.levels[k] = lv
	}
	h.mu.Unlock()
	if round > agingStart {
		lv >>= min((round-agingStart)/agingStep, 16)
	}
	return max(min(d, lv), lv/2+rand.N(lv/2+1))
}

// committed lowers k's level after a commit.
func (h *contention) committed(k cacheKey) {
	h.mu.Lock()
	if lv, ok := h.levels[k]; ok {
		if lv /= 2; lv < contentionFloor {
			delete(h.levels, k)
		} else {
			h.levels[k] = lv
		}
	}
	h.mu.Unlock()
}
