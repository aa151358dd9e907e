package ifmatch

import "time"

// The conflict-retry policy of one call: the Client's (Options.MaxAttempts,
// MaxElapsed, Backoff), with the call's own options over it
// (MaxAttempts, MaxElapsed and ConflictBackoff as CallOptions). It is
// resolved once per call, in target, and the conflict loop reads only the
// result (loop.policy).

// policy is a resolved conflict-retry policy.
type policy struct {
	attempts int            // write attempts per call, the first included; 0: no cap
	elapsed  time.Duration  // time budget per call; negative: only the context bounds it
	backoff  func() Backoff // a fresh conflict backoff per call
	adaptive bool           // the default policy: a backoff level remembered per resource (contention.go)
}

// newPolicy resolves the three settings as the Options fields of the same
// names document them.
func newPolicy(maxAttempts int, maxElapsed time.Duration, bo func() Backoff) policy {
	p := policy{attempts: maxAttempts, elapsed: or(maxElapsed, 30*time.Second), backoff: bo}
	if maxAttempts < 0 {
		p.attempts = 1
	}
	if bo == nil {
		p.backoff, p.adaptive = DefaultBackoff, true
	}
	return p
}

// spent reports whether a call that has made rounds writes may not make
// another.
func (p *policy) spent(rounds int) bool { return p.attempts > 0 && rounds >= p.attempts }

// overBudget reports whether a wait that ends at end is past the budget of
// a call that started at start.
func (p *policy) overBudget(start, end time.Time) bool {
	return p.elapsed > 0 && end.Sub(start) > p.elapsed
}
