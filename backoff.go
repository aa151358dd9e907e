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
	cfg := &l.c.cfg
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
	now := time.Now()
	if l.policy.overBudget(l.start, now.Add(d)) {
		return l.conflictErr(x, nil)
	}
	deadline := ctx.Deadline
	if l.deadline != nil {
		deadline = l.deadline
	}
	if dl, ok := deadline(); ok && !now.Add(d).Before(dl) {
		return l.conflictErr(x, context.DeadlineExceeded)
	}
	if cfg.Logger.Enabled(ctx, slogDebug) {
		cfg.Logger.LogAttrs(ctx, slogDebug, "ifmatch: conflict, backing off", attrMethod(l.method),
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
		if cause := context.Cause(ctx); ctx.Err() == context.DeadlineExceeded {
			return l.conflictErr(x, cause)
		}
		return ended(ctx, l.method, l.t.url)
	case <-timer.C:
		return nil
	}
}
