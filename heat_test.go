package ifmatch

import (
	"fmt"
	"testing"
	"testing/synctest"
	"time"
)

func TestContentionLevels(t *testing.T) {
	var h contention
	k := cacheKey{url: "http://h/x"}
	// Conflicts double the level from 1 ms to the 50 ms ceiling; waits lie
	// in its upper half.
	for i, want := range []time.Duration{1, 2, 4, 8, 16, 32, 50, 50} {
		want *= time.Millisecond
		d := h.conflicted(k, 1, 0, 0, 0)
		if d < want/2 || d > want {
			t.Errorf("conflict %d: wait %v, want within [%v, %v]", i+1, d, want/2, want)
		}
	}
	// Commits halve it; below the floor it is forgotten.
	for range 6 {
		h.committed(k)
	}
	if _, ok := h.levels[k]; ok {
		t.Errorf("level %v kept after six commits, want forgotten", h.levels[k])
	}
	// A call that has lost many rounds waits less.
	for range 8 {
		h.conflicted(k, 1, 0, 0, 0)
	}
	if d := h.conflicted(k, agingStart+2*agingStep, 0, 0, 0); d > contentionCeil/4 {
		t.Errorf("wait after %d rounds = %v, want at most a quarter of the level", agingStart+2*agingStep, d)
	}
	// The call's own backoff is honored up to the level.
	if d := h.conflicted(cacheKey{url: "other"}, 1, 0, 0, 10*time.Second); d != contentionFloor {
		t.Errorf("wait with a 10s call backoff on a cold resource = %v, want the level %v", d, contentionFloor)
	}
}

func TestContentionScalesWithRoundTrip(t *testing.T) {
	var h contention
	k := cacheKey{url: "slow"}
	const rtt = 5 * time.Millisecond
	// A 5 ms server: the level starts at 2 round trips, rises to 4.
	if d := h.conflicted(k, 1, rtt, 0, 0); d < rtt || d > 2*rtt {
		t.Errorf("first wait on a 5ms server = %v, want within [5ms, 10ms]", d)
	}
	for range 10 {
		h.conflicted(k, 1, rtt, 0, 0)
	}
	if lv := h.levels[k].level; lv != slowCeilRTTs*rtt {
		t.Errorf("level after 11 conflicts = %v, want the %v ceiling (4 round trips)", lv, slowCeilRTTs*rtt)
	}
	// A call that has run for two levels' time waits a quarter as long.
	if d := h.conflicted(k, 2, rtt, 2*slowCeilRTTs*rtt, 0); d > slowCeilRTTs*rtt/4 {
		t.Errorf("wait of a call running for 2 levels = %v, want at most %v", d, slowCeilRTTs*rtt/4)
	}
}

// On a slow server, a call's first write on a resource that saw conflicts
// lately waits about a round trip; on a fast one, or once the conflicts
// are old, it does not.
func TestContentionCourtesy(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var h contention
		slow, fast := cacheKey{url: "slow"}, cacheKey{url: "fast"}
		const rtt = 10 * time.Millisecond
		if d := h.firstWriteDelay(slow); d != 0 {
			t.Errorf("courtesy before any conflict = %v, want 0", d)
		}
		h.conflicted(slow, 1, rtt, 0, 0)
		h.conflicted(fast, 1, 200*time.Microsecond, 0, 0)
		if d := h.firstWriteDelay(slow); d < rtt/2 || d > 3*rtt/2 {
			t.Errorf("courtesy after a conflict = %v, want within [%v, %v]", d, rtt/2, 3*rtt/2)
		}
		if d := h.firstWriteDelay(fast); d != 0 {
			t.Errorf("courtesy on a fast server = %v, want 0", d)
		}
		for range 8 {
			h.committed(slow)
		}
		if d := h.firstWriteDelay(slow); d == 0 {
			t.Errorf("courtesy after commits, the conflict recent: 0, want about a round trip")
		}
		time.Sleep(slowMemory * rtt)
		h.committed(slow)
		if d := h.firstWriteDelay(slow); d != 0 {
			t.Errorf("courtesy %v after the conflict is old, want 0", d)
		}
		if _, ok := h.levels[slow]; ok {
			t.Errorf("resource kept after its level fell to 0 and its conflict is old")
		}
	})
}

func TestContentionIsBounded(t *testing.T) {
	var h contention
	for i := range contentionKeys + 100 {
		h.conflicted(cacheKey{url: fmt.Sprint(i)}, 1, 0, 0, 0)
	}
	if n := len(h.levels); n > contentionKeys {
		t.Errorf("%d resources remembered, want at most %d", n, contentionKeys)
	}
}
