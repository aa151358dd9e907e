package ifmatch

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// RetryOnConflict runs fn, a read-modify-write through c, and runs it
// again when it fails on a version conflict, the way client-go's
// retry.RetryOnConflict does, for code that ifmatch does not drive itself:
// a generated client over [Client.StandardClient] or [Client.Do], or a
// sequence of typed calls.
//
//	err := ifmatch.RetryOnConflict(ctx, c, func(ctx context.Context) error {
//		item, err := api.GetItem(ctx, sku)      // the version read is this attempt's
//		if err != nil {
//			return err
//		}
//		item.Stock--
//		return api.PutItem(ctx, sku, item)      // If-Match: the version read above
//	})
//
// Each attempt runs in a fresh [TrackVersions] scope, so its writes carry
// the versions it read. An attempt is retried when fn returns an error and
// a write through c in that attempt met a version conflict (a
// [*ConflictError], or a 409 or 412 answer that Do returned and fn turned
// into an error of its own, whatever its type), or when fn's error matches
// [ErrConflict]. Retries are paced per resource: the calls of one Client
// that lost a conflict on a resource run their next attempts there one at
// a time (first attempts run freely), so that they stop colliding with each
// other, and a custom Options.Backoff spaces them too; all within c's
// MaxAttempts and MaxElapsed and the context; when they run out the error is a *ConflictError
// (Attempts counts fn's runs) wrapping fn's last error, matching
// context.DeadlineExceeded too when the deadline cut it short.
//
// It never retries blindly a write whose outcome is unknown: when a write
// in the attempt ended with [ErrOutcomeUnknown], its error is returned at
// once, matching ErrOutcomeUnknown. Nor does it retry [ErrETagRejected]
// (the server refuses its own version) or any other error, which fn
// returns as it is. fn must be safe to run again: everything it writes must
// go through c.
func RetryOnConflict(ctx context.Context, c *Client, fn func(ctx context.Context) error) error {
	c.ready()
	// The waits between attempts are the conflict loop's own (loop.backOff):
	// one loop for the whole call, on the resource of the last conflict.
	l := c.newLoop(&target{policy: c.cfg.policy}, "")
	var turn *conflictSeen // the resource whose turn this call waits for
	for n := 1; ; n++ {
		sc := &versionScope{seen: map[cacheKey]snapshot{}}
		release := func() {}
		if turn != nil && ctx.Value(turnKey{}) == nil {
			var err error
			if release, err = c.turns.take(ctx, turn.t.key); err != nil {
				return fmt.Errorf("ifmatch: RetryOnConflict: %w", err)
			}
		}
		err := fn(context.WithValue(context.WithValue(ctx, turnKey{}, true), scopeKey{}, sc))
		release()
		switch {
		case err == nil:
			return nil
		case sc.unknown.Load() && !errors.Is(err, ErrOutcomeUnknown):
			return &attemptError{err: err, also: ErrOutcomeUnknown,
				msg: "not retried: a write in the attempt may or may not have committed (ErrOutcomeUnknown)"}
		case errors.Is(err, ErrOutcomeUnknown), errors.Is(err, ErrETagRejected):
			return err
		case !sc.conflicted.Load() && !errors.Is(err, ErrConflict):
			return err
		}
		x := &exchange{}
		if hot := sc.hot.Load(); hot != nil {
			turn = hot
			l.t, l.method, l.rtt, x.status = hot.t, hot.method, hot.rtt, hot.status
		}
		// Contention memory is per resource: without a conflict answer to
		// name one, the call's own backoff alone spaces its attempts.
		l.policy.adaptive = c.cfg.policy.adaptive && turn != nil
		l.rounds, l.sent = n, n
		if werr := l.backOff(ctx, x); werr != nil {
			return gaveUp(ctx, werr, err)
		}
	}
}

// gaveUp is RetryOnConflict's error when the wait before another attempt
// ends the call (werr): a *ConflictError holding fn's last error (and
// matching context.DeadlineExceeded too when the deadline ended it), or
// the context's error.
func gaveUp(ctx context.Context, werr, fnErr error) error {
	var ce *ConflictError
	if !errors.As(werr, &ce) {
		return fmt.Errorf("ifmatch: RetryOnConflict: %w", context.Cause(ctx))
	}
	switch {
	case ce.Err == nil:
		ce.Err = fnErr
	case errors.Is(ce.Err, context.DeadlineExceeded):
		ce.Err = &attemptError{err: fnErr, also: context.DeadlineExceeded, msg: "the context's deadline ends the retries"}
	}
	return ce
}

// turnKey marks a context inside a RetryOnConflict attempt: a nested
// RetryOnConflict never waits for a turn its caller may hold.
type turnKey struct{}

// turns serializes, per resource, the retries of RetryOnConflict calls of
// one Client: an attempt that lost a conflict on a resource runs again only
// in its turn, one at a time, so that calls of this Client stop colliding
// with each other there (each attempt costs a read and a write; colliding
// attempts would cost many). First attempts run freely.
type turns struct {
	mu sync.Mutex
	m  map[cacheKey]*turn
}

type turn struct {
	ch      chan struct{}
	waiters int
}

// take waits for k's turn; release gives it back.
func (ts *turns) take(ctx context.Context, k cacheKey) (release func(), err error) {
	ts.mu.Lock()
	if ts.m == nil {
		ts.m = map[cacheKey]*turn{}
	}
	t := ts.m[k]
	if t == nil {
		t = &turn{ch: make(chan struct{}, 1)}
		ts.m[k] = t
	}
	t.waiters++
	ts.mu.Unlock()
	done := func() {
		ts.mu.Lock()
		if t.waiters--; t.waiters == 0 {
			delete(ts.m, k)
		}
		ts.mu.Unlock()
	}
	select {
	case t.ch <- struct{}{}:
		return func() { <-t.ch; done() }, nil
	case <-ctx.Done():
		done()
		return nil, context.Cause(ctx)
	}
}

// attemptError is fn's error from RetryOnConflict's last attempt, with why
// it was not retried; it matches both fn's error and also.
type attemptError struct {
	err, also error
	msg       string
}

func (e *attemptError) Error() string   { return "ifmatch: " + e.msg + ": " + bare(e.err) }
func (e *attemptError) Unwrap() []error { return []error{e.err, e.also} }
