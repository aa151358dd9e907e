package ifmatch

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Drive, the second stage of every write (see "The write pipeline" in the
// package documentation): the conflict loop. Every strategy (sendOnce,
// writeLocal, patchGroup) sends its write through loop.drive, which
// classifies each answer with judge (answer.go) and does what the answer
// means: waits out locks, hands a stale answer to the strategy's onStale to
// rebuild the write on a fresh version (refresh), reports a lost answer as
// unknown. What differs between strategies is only how a write is rebuilt.

// loop is one call's (or one group's) conflict-retry state.
type loop struct {
	c       *Client
	t       *target
	method  string
	start   time.Time
	policy  policy // MaxAttempts, MaxElapsed and the backoff for this call (policy.go)
	bo      Backoff
	version string        // the version the current write is based on, or the last one seen
	rounds  int           // writes attempted
	sent    int           // requests written, transport retries included
	ambig   bool          // a write's answer was lost, or may have hidden a commit
	rejects int           // consecutive refusals of the version just refetched
	rtt     time.Duration // the last write's round trip
	weak    weakState     // weak ETags refused (weak.go)
	live    []*member     // the group members whose changes the current write carries
	// deadline, if set, replaces the context's deadline: a group's write
	// runs until its last caller's deadline.
	deadline func() (time.Time, bool)
}

func (c *Client) newLoop(t *target, method string) *loop {
	bo := t.policy.backoff()
	bo.Reset()
	return &loop{c: c, t: t, method: method, start: time.Now(), policy: t.policy, bo: bo}
}

// drive sends r until its answer settles the call. Locks and our own write
// still in flight are waited out and the same request sent again; a stale
// version is handed to onStale, which returns the write rebuilt on a fresh
// version, or nil to end the call with that answer. drive returns the
// request last sent and its answer: committed (2xx) or the stale answer
// onStale stopped at, or the error that ends the call.
func (l *loop) drive(ctx context.Context, r *request, onStale func(x *exchange) (*request, error)) (*request, *exchange, error) {
	for {
		x, err := l.c.send(ctx, r)
		l.record(r, x)
		switch judge(r, x, err, l.ambig) {
		case committed:
			l.c.contention.committed(l.t.key)
			return r, x, nil
		case locked, pending:
			if err := l.backOff(ctx, x); err != nil {
				return r, x, l.end(x, err)
			}
		case stale:
			l.sawConflict(ctx, x)
			next, err := onStale(x)
			if err != nil {
				return r, x, l.end(x, err)
			}
			if next == nil {
				return r, x, nil
			}
			r = next
		case lost:
			return r, x, l.unknown(x, err)
		case unanswered:
			return r, x, err
		default: // refused
			l.c.gone(l.t, x.status)
			return r, x, l.failed(x)
		}
	}
}

// sawConflict records, in ctx's scope if any, the conflict answer x to a
// write of l's.
func (l *loop) sawConflict(ctx context.Context, x *exchange) {
	if sc := scopeOf(ctx); sc != nil {
		sc.hot.Store(&conflictSeen{t: l.t, method: l.method, status: x.status, rtt: l.rtt})
	}
}

// record notes what one send did. Every answer that refused the
// write's version (refusedVersion) or a lock counts as a conflict in
// Stats, whatever the loop then makes of it.
func (l *loop) record(r *request, x *exchange) {
	if refusedVersion(r, x) || x.status == http.StatusLocked {
		l.c.stats.conflicts.Add(1)
	}
	l.rounds++
	l.rtt = x.took
	l.sent += x.sent
	r.writes += x.sent
	l.ambig = l.ambig || x.ambiguous
	for _, m := range l.live {
		m.attempts.Add(int64(x.sent))
	}
}

// end is the error that ends the call: after a lost answer, whatever ends
// the call leaves its outcome unknown.
func (l *loop) end(x *exchange, err error) error {
	if l.ambig && !errors.Is(err, ErrOutcomeUnknown) {
		return l.unknown(x, err)
	}
	return err
}

// unknown is the error for a call whose write may or may not have
// committed.
func (l *loop) unknown(x *exchange, cause error) error {
	if cause == nil && x != nil {
		cause = fmt.Errorf("a retry met a changed version (%d): the server did not replay the lost answer", x.status)
	}
	return &OutcomeUnknownError{Method: l.method, URL: l.t.safeURL(), Attempts: l.sent, Err: cause}
}

// conflictErr is the error for a conflict that ends the call.
func (l *loop) conflictErr(x *exchange, cause error) error {
	ce := &ConflictError{Method: l.method, URL: l.t.safeURL(), Attempts: l.sent, ETag: l.version, Err: cause}
	if x != nil {
		ce.StatusCode = x.status
		ce.Problem = parseProblem(x.header, x.body)
	}
	return ce
}

// changeErr turns a change's failure on the document at the current
// version into the caller's error: a failed test or fields changed under a
// change built from what its caller read are conflicts; anything else (the
// caller's own error, an invalid patch) is returned as it is.
func (l *loop) changeErr(x *exchange, err error) error {
	var mc *mergeConflict
	switch {
	case errors.Is(err, ErrTestFailed):
		return l.conflictErr(x, err) // names the failed operation
	case errors.As(err, &mc):
		cause := mc.err
		if cause == nil {
			cause = ErrMergeConflict
		}
		ce := l.conflictErr(x, cause).(*ConflictError)
		ce.Pointers = mc.pointers
		return ce
	}
	return err
}

// failed is the error for an answer that ends the call without a commit
// we know of: a *ResponseError, or, when an earlier try's answer was lost
// or may have hidden a commit (a 502, say), an *OutcomeUnknownError
// around it.
func (l *loop) failed(x *exchange) error {
	return l.end(x, newResponseError(l.method, l.t.safeURL(), x))
}

// response builds a successful call's Response.
func (l *loop) response(x *exchange, etag string, body []byte) *Response {
	return &Response{StatusCode: x.status, Header: x.header, Body: body, ETag: etag, Attempts: l.sent}
}

// Waiting: every wait of the conflict loop (a backoff, a lock, a weak
// ETag turning strong) goes through pause.

// backOff sleeps the conflict backoff before the next write. It ends the call
// with a *ConflictError when MaxAttempts or MaxElapsed is spent, or when
// the wait would end past the context's deadline (the error then also
// matches context.DeadlineExceeded), and with the context's error when the
// context is cancelled.
func (l *loop) backOff(ctx context.Context, x *exchange) error {
	if l.policy.spent(l.rounds) {
		return l.conflictErr(x, nil)
	}
	d := l.bo.NextBackOff()
	if d < 0 {
		return l.conflictErr(x, nil)
	}
	if l.policy.adaptive {
		d = l.c.contention.conflicted(l.t.key, l.rounds, l.rtt, time.Since(l.start), d)
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

// Rebasing: after a stale answer, learn the current version (from the
// conflict answer when it carries the document, else by a read that
// bypasses caches) so that the write can be rebuilt on it.

// rejectLimit is how many times in a row the server may refuse the version
// it has just handed out before the loop concludes it never will (a weak
// ETag under strong comparison, a broken server). Lagging replicas can do it
// a few times; they cannot do it forever.
const rejectLimit = 4

// refresh handles a stale answer x: it forgets the cached version, backs
// off, and returns the current version (with its document when needBody)
// to rebuild the write on. It ends the call when the budget is spent or the
// context ends.
func (l *loop) refresh(ctx context.Context, x *exchange, needBody bool) (latest, error) {
	c := l.c
	c.forget(l.t)
	if err := l.backOff(ctx, x); err != nil {
		return latest{}, err
	}
	next, ok := c.conflictBody(l.t, x)
	if !ok || (needBody && next.body == nil) {
		var err error
		if next, err = c.fetch(ctx, l.t, needBody); err != nil {
			return latest{}, err
		}
	}
	// A weak tag refused by a server that compares strongly: wait for it
	// to turn strong (weak.go).
	return l.settleWeak(ctx, x, l.version, next, needBody)
}

// refreshGroup is refresh for a group's write: its members' changes were
// refused, so they are waiting again (a caller that leaves now is told its
// change was not applied) until the write is rebuilt.
func (l *loop) refreshGroup(ctx context.Context, x *exchange, ms []*member) (latest, error) {
	for _, m := range ms {
		m.state.CompareAndSwap(stInFlight, stWaiting)
	}
	return l.refresh(ctx, x, true)
}

// moved checks that the version did move since the write that met x, and
// ends the call when it did not: a 409 with an unchanged version is a
// conflict about content, a 422 a refusal of the change itself, and a 412
// repeated rejectLimit times a server refusing its own version.
func (l *loop) moved(ctx context.Context, x *exchange, next latest) error {
	if next.etag == l.version {
		switch x.status {
		case http.StatusConflict:
			return l.conflictErr(x, nil)
		case http.StatusUnprocessableEntity:
			return l.failed(x)
		case http.StatusPreconditionFailed:
			if l.rejects++; l.rejects >= rejectLimit {
				return l.conflictErr(x, rejectedCause(next.etag))
			}
		}
	} else {
		l.rejects = 0
	}
	l.rebased(ctx, x, next)
	return nil
}

// rebased records that the write is rebuilt on next after the stale answer
// x: the one place a rebase is counted and logged.
func (l *loop) rebased(ctx context.Context, x *exchange, next latest) {
	l.version = next.etag
	l.c.stats.rebases.Add(1)
	if cfg := &l.c.cfg; cfg.Logger.Enabled(ctx, slogDebug) {
		cfg.Logger.LogAttrs(ctx, slogDebug, "ifmatch: rebased", attrMethod(l.method), attrURL(l.t.url),
			attrReason(http.StatusText(x.status)))
	}
}
