package ifmatch

import (
	"context"
	"net/http"
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

// wait sleeps the conflict backoff before the next write. It ends the call
// with a *ConflictError when MaxAttempts or MaxElapsed is spent, or when
// the wait would end past the context's deadline (the error then also
// matches context.DeadlineExceeded), and with the context's error when the
// context is cancelled.
func (l *loop) wait(ctx context.Context, x *exchange) error {
	if l.policy.spent(l.rounds) {
		return l.conflictErr(x, nil)
	}
	d := l.bo.NextBackOff()
	if d < 0 {
		return l.conflictErr(x, nil)
	}
	if l.policy.adaptive {
		d = l.c.heat.conflicted(l.t.key, l.rounds, l.rtt, time.Since(l.start), d)
	}
	return l.pause(ctx, x, d, "ifmatch: conflict, backing off", nil)
}

// pause is every wait of the conflict loop (a backoff, a lock, a weak ETag
// turning strong). It ends the call with a *ConflictError when the wait
// would end past MaxElapsed, or past the context's (or group's) deadline,
// the error then also matching context.DeadlineExceeded; otherwise it
// reports the wait (a Debug record, OnConflict) and sleeps it, returning
// the context's error if the context is cancelled meanwhile. cause, if
// set, says why the call would end (a weak tag that stayed weak).
func (l *loop) pause(ctx context.Context, x *exchange, d time.Duration, msg string, cause func() error) error {
	ending := func(deadline bool) error {
		var err error
		if cause != nil {
			err = cause()
		}
		if deadline {
			err = pastDeadline(err)
		}
		return l.conflictErr(x, err)
	}
	now := time.Now()
	if l.policy.overBudget(l.start, now.Add(d)) {
		return ending(false)
	}
	deadline := ctx.Deadline
	if l.deadline != nil {
		deadline = l.deadline
	}
	if dl, ok := deadline(); ok && !now.Add(d).Before(dl) {
		return ending(true)
	}
	cfg := &l.c.cfg
	// Debug: with many writers conflicts are routine, and Info would drown
	// the log.
	if cfg.Logger.Enabled(ctx, slogDebug) {
		cfg.Logger.LogAttrs(ctx, slogDebug, msg, attrMethod(l.method),
			attrURL(l.t.url), attrReason(http.StatusText(x.status)), attrDelay(d))
	}
	if cfg.OnConflict != nil {
		cfg.OnConflict(ctx, ConflictInfo{Method: l.method, URL: l.t.safeURL(), StatusCode: x.status, Attempt: l.rounds, Delay: d})
	}
	if d == 0 {
		return nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		if ctx.Err() == context.DeadlineExceeded {
			return ending(true)
		}
		return ended(ctx, l.method, l.t.url)
	case <-timer.C:
		return nil
	}
}

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
