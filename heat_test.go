package ifmatch

import (
	"fmt"
	"testing"
	"time"
)

func TestContentionLevels(t *testing.T) {
	var h contention
	k := cacheKey{url: "http://h/x"}
	// Conflicts double the level from 1 ms to the 50 ms ceiling; waits lie
	// in its upper half.
	for i, want := range []time.Duration{1, 2, 4, 8, 16, 32, 50, 50} {
		want *= time.Millisecond
		d := h.conflicted(k, 1, 0, 0)
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
		h.conflicted(k, 1, 0, 0)
	}
	if d := h.conflicted(k, agingStart+2*agingStep, 0, 0); d > contentionCeil/4 {
		t.Errorf("wait after %d rounds = %v, want at most a quarter of the level", agingStart+2*agingStep, d)
	}
	// The call's own backoff is honored up to the level.
	if d := h.conflicted(cacheKey{url: "other"}, 1, 0, 10*time.Second); d != contentionFloor {
		t.Errorf("wait with a 10s call backoff on a cold resource = %v, want the level %v", d, contentionFloor)
	}
}

func TestContentionScalesWithRoundTrip(t *testing.T) {
	var h contention
	k := cacheKey{url: "slow"}
	// A 5 ms server: the level starts at 2 round trips, rises to 32.
	if d := h.conflicted(k, 1, 5*time.Millisecond, 0); d < 5*time.Millisecond || d > 10*time.Millisecond {
		t.Errorf("first wait on a 5ms server = %v, want within [5ms, 10ms]", d)
	}
	for range 10 {
		h.conflicted(k, 1, 5*time.Millisecond, 0)
	}
	if lv := h.levels[k]; lv != 160*time.Millisecond {
		t.Errorf("level after 11 conflicts = %v, want the 160ms ceiling (32 round trips)", lv)
	}
}

func TestContentionIsBounded(t *testing.T) {
	var h contention
	for i := range contentionKeys + 100 {
		h.conflicted(cacheKey{url: fmt.Sprint(i)}, 1, 0, 0)
	}
	if n := len(h.levels); n > contentionKeys {
		t.Errorf("%d resources remembered, want at most %d", n, contentionKeys)
	}
}
