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
		if want == 50 {
			want = contentionCeil
		}
		d := h.conflicted(k, 1, 0)
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
		h.conflicted(k, 1, 0)
	}
	if d := h.conflicted(k, agingStart+2*agingStep, 0); d > contentionCeil/4 {
		t.Errorf("wait after %d rounds = %v, want at most a quarter of the level", agingStart+2*agingStep, d)
	}
	// The call's own backoff is honored up to the level.
	if d := h.conflicted(cacheKey{url: "other"}, 1, 10*time.Second); d != contentionFloor {
		t.Errorf("wait with a 10s call backoff on a cold resource = %v, want the level %v", d, contentionFloor)
	}
}

func TestContentionIsBounded(t *testing.T) {
	var h contention
	for i := range contentionKeys + 100 {
		h.conflicted(cacheKey{url: fmt.Sprint(i)}, 1, 0)
	}
	if n := len(h.levels); n > contentionKeys {
		t.Errorf("%d resources remembered, want at most %d", n, contentionKeys)
	}
}
