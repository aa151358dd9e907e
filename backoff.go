package ifmatch

import (
	"context"
	"time"

	"github.com/cenkalti/backoff/v4"
)

// Conflict backoff: separate from transport retries, it starts small (a
// conflict means somebody else just made progress), uses jitter, and never
// sleeps past the budget or the context's deadline.

// DefaultBackoff is the per-call part of the default conflict policy (the
// one used when [Options.Backoff] is nil, which adds a backoff level
// remembered per resource): exponential from 1 ms, doubling to at most
// 100 ms, with ±50% jitter, and no time limit of its own (MaxElapsed and
// the context bound a call). A conflict means another writer just
// committed, so the first retry comes almost at once; the jitter spreads
// writers that collided. Returned from Options.Backoff, it is used alone.
func DefaultBackoff() Backoff {
	b := &backoff.ExponentialBackOff{
		InitialInterval:     time.Millisecond,
		RandomizationFactor: 0.5,
		Multiplier:          2,
		MaxInterval:         100 * time.Millisecond,
		MaxElapsedTime:      0,
		Stop:                backoff.Stop,
		Clock:               backoff.SystemClock,
	}
	b.Reset()
	return b
}

var _ Backoff = (*backoff.ExponentialBackOff)(nil)

// pastDeadline makes cause (nil: none) match context.DeadlineExceeded too.
func pastDeadline(cause error) error {
	if cause == nil {
		return context.DeadlineExceeded
	}
	return &deadlineError{cause}
}

// deadlineError is a cause that the context's deadline cut short.
type deadlineError struct{ cause error }

func (e *deadlineError) Error() string {
	return e.cause.Error() + ": " + context.DeadlineExceeded.Error()
}
func (e *deadlineError) Unwrap() []error { return []error{e.cause, context.DeadlineExceeded} }
