package ifmatch

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"
)

// contention is the default conflict policy (Options.Backoff nil). It
// remembers, per resource, how contended its writes have been lately, so
// that a Client's calls on a hot resource back off from where its last
// calls left off instead of from scratch: a conflict doubles the
// resource's level (1 ms to 50 ms, or from 2 round trips of the last write
// on a slower server), a commit halves it, and each wait is drawn at
// random from the upper half of the level. Independent writers of one
// resource so settle, each on its own, at a pace at which their writes
// seldom collide. Backoff alone would starve the unlucky: a writer that
// keeps winning never waits, while the others wait longer and longer. So a
// call that has lost 8 rounds waits half as long every 4 rounds more, and
// gets its turn.
//
// A slow server (round trips of 1 ms or more, the shortest of the recent
// ones: a WAN) needs two more
// rules, because there the round trip, not client CPU, sets the pace.
// First, a writer that has just committed would win every next round: its
// next write, sent at once with the version it made, reaches the server
// before any other writer can have read that version and written. So on a
// resource that saw conflicts lately (within 100 round trips), a call's
// first write waits about one round trip, which lets a waiting writer in.
// Second, the level stays within 4 round trips, and a call's waits halve
// for every level's worth of time it has been running, so that the oldest
// calls write most often and a call's latency stays near its fair share.
//
// The figures were chosen by measurement (BENCHMARKS.md, hot-independent
// and wan-independent).
type contention struct {
	mu     sync.Mutex
	levels map[cacheKey]heat
}

// heat is what is remembered of one resource.
type heat struct {
	level time.Duration
	rtt   time.Duration // the shortest recent round trip of its conflicting writes (rising by 1/8 a conflict)
	at    time.Time     // of its last conflict
}

const (
	contentionFloor = time.Millisecond // below it, a level is 0
	contentionCeil  = 50 * time.Millisecond
	contentionKeys  = 4096 // resources remembered at most
	agingStart      = 8    // rounds lost before a call's waits shrink
	agingStep       = 4    // rounds per halving after that

	slowRTT      = time.Millisecond // from this round trip on, a server is slow
	slowCeilRTTs = 4                // a slow server's ceiling, in round trips
	slowMemory   = 100              // round trips a conflict is remembered for the courtesy wait
)

// conflicted raises k's level after a call's round-th conflict and
// returns the wait before its next attempt, at least min(d, level), d
// being the call's own backoff. rtt is the last write's round trip;
// elapsed is the time since the call began.
func (h *contention) conflicted(k cacheKey, round int, rtt, elapsed, d time.Duration) time.Duration {
	h.mu.Lock()
	if h.levels == nil {
		h.levels = make(map[cacheKey]heat)
	}
	e, ok := h.levels[k]
	// The server's own pace is the shortest recent round trip: on a busy
	// machine, client CPU lengthens some round trips but not all.
	base := rtt
	if ok && e.rtt > 0 {
		base = min(rtt, e.rtt+e.rtt/8)
	}
	slow := base >= slowRTT
	ceil := max(contentionCeil, 32*rtt)
	if slow {
		ceil = slowCeilRTTs * base
	}
	lv := min(max(2*e.level, contentionFloor, 2*rtt), ceil)
	if ok || len(h.levels) < contentionKeys {
		h.levels[k] = heat{level: lv, rtt: base, at: time.Now()}
	}
	h.mu.Unlock()
	shift := 0
	if round > agingStart {
		shift = (round - agingStart) / agingStep
	}
	if slow {
		shift = max(shift, int(elapsed/lv))
	}
	lv >>= min(shift, 16)
	return max(min(d, lv), lv/2+rand.N(lv/2+1))
}

// committed lowers k's level after a commit. The resource is forgotten
// once its level is 0 and its last conflict is no longer recent.
func (h *contention) committed(k cacheKey) {
	h.mu.Lock()
	if e, ok := h.levels[k]; ok {
		if e.level /= 2; e.level < contentionFloor {
			e.level = 0
		}
		if e.level == 0 && !e.recent() {
			delete(h.levels, k)
		} else {
			h.levels[k] = e
		}
	}
	h.mu.Unlock()
}

// recent reports whether the resource's last conflict was recent enough
// for the courtesy wait on a slow server.
func (e heat) recent() bool {
	return e.rtt >= slowRTT && time.Since(e.at) < slowMemory*e.rtt
}

// firstWriteDelay is the wait before a call's first write: on a slow server's
// resource that saw conflicts lately, about one round trip (½ to 1½),
// else none.
func (h *contention) firstWriteDelay(k cacheKey) time.Duration {
	h.mu.Lock()
	e, ok := h.levels[k]
	h.mu.Unlock()
	if !ok || !e.recent() {
		return 0
	}
	return e.rtt/2 + rand.N(e.rtt+1)
}

// sleep sleeps d, or less if ctx ends first: what ends the call is then
// the write's own business.
func sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
