package ifmatch

import (
	"testing"
	"time"
)

// A group commit's write follows one policy, so calls share a lane only
// when their policies are the same; a call's own backoff (a function,
// never known to equal another) always writes alone.
func TestCallPolicySelectsLane(t *testing.T) {
	c := New(nil)
	const u = "http://h.test/doc"
	lane := func(opts ...CallOption) laneKey {
		t.Helper()
		tg, err := c.target(u, opts)
		if err != nil {
			t.Fatal(err)
		}
		return tg.lane
	}
	tests := []struct {
		name string
		a, b []CallOption
		same bool
	}{
		{"no options", nil, nil, true},
		{"same MaxAttempts", []CallOption{MaxAttempts(3)}, []CallOption{MaxAttempts(3)}, true},
		{"MaxAttempts and none", []CallOption{MaxAttempts(3)}, nil, false},
		{"the Client's own values and none", []CallOption{MaxAttempts(0), MaxElapsed(30 * time.Second)}, nil, true},
		{"different MaxAttempts", []CallOption{MaxAttempts(3)}, []CallOption{MaxAttempts(4)}, false},
		{"different MaxElapsed", []CallOption{MaxElapsed(time.Second)}, []CallOption{MaxElapsed(time.Minute)}, false},
		{"a backoff of its own", []CallOption{ConflictBackoff(DefaultBackoff)}, []CallOption{ConflictBackoff(DefaultBackoff)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := lane(tt.a...) == lane(tt.b...); got != tt.same {
				t.Errorf("same lane = %v, want %v", got, tt.same)
			}
		})
	}
}

// The call's policy is resolved once, in target, and newLoop hands it to
// the loop: what the loop reads is the call's, not the Client's.
func TestLoopReadsCallPolicy(t *testing.T) {
	c := New(&Options{MaxAttempts: 5, MaxElapsed: time.Minute})
	tg, err := c.target("http://h.test/doc", []CallOption{MaxAttempts(2)})
	if err != nil {
		t.Fatal(err)
	}
	l := c.newLoop(tg, "PUT")
	if l.policy.attempts != 2 || l.policy.elapsed != time.Minute || !l.policy.adaptive {
		t.Errorf("loop policy = %+v, want 2 attempts, 1m, the default backoff", l.policy)
	}
	if c.cfg.policy.attempts != 5 {
		t.Errorf("the Client's policy changed: %+v", c.cfg.policy)
	}
}
