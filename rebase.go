package ifmatch

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// The conflict loop. Every write is built on a known version and sent with
// that version as its precondition; the answer is classified:
//
//	2xx                      committed: remember the new version
//	412                      our version is stale: back off, refetch, rebase, retry
//	409                      back off, refetch: if the version moved, rebase and
//	                         retry; if not, the conflict is about content
//	428                      the server wants a precondition: fetch, retry
//	408, 429, 5xx, network   transient: retried below, in send
//	other 4xx                the caller's error: *ResponseError
//
// A conflict after a try whose answer was lost means our own write may have
// committed: that is ErrOutcomeUnknown, unless idempotency keys let the
// server answer the lost try for us.

// rejectLimit is how many times in a row the server may refuse the version
// it has just handed out before the loop concludes it never will (a weak
// ETag under strong comparison, a broken server). Lagging replicas can do it
// a few times; they cannot do it forever.
const rejectLimit = 4

// loop is one call's (or one group's) conflict-retry state.
type loop struct {
	c       *Client
	t       *target
	method  string
	start   time.Time
	bo      Backoff
	rounds  int           // writes attempted
	sent    int           // requests written, transport retries included
	ambig   bool          // a try's answer was lost
	rejects int           // consecutive refusals of the version just refetched
	rtt     time.Duration // the last write's round trip
	weak    weakState     // weak ETags refused (weak.go)
	// deadline, if set, replaces the context's deadline: a group's write
	// runs until its last caller's deadline.
	deadline func() (time.Time, bool)
}

func (c *Client) newLoop(t *target, method string) *loop {
	bo := c.cfg.Backoff()
	bo.Reset()
	return &loop{c: c, t: t, method: method, start: time.Now(), bo: bo}
}

// record notes what one send did.
func (l *loop) record(x *exchange) {
	if isConflict(x.status) || x.status == http.StatusLocked {
		l.c.stats.conflicts.Add(1)
	}
	l.rounds++
	l.rtt = x.took
	l.sent += x.sent
	l.ambig = l.ambig || x.ambiguous
}

// sendErr turns a send with no answer into the call's error.
func (l *loop) sendErr(x *exchange, err error) error {
	if x.sent > 0 && !isSafeMethod(l.method) {
		l.c.stats.outcomeUnknown.Add(1)
		return &OutcomeUnknownError{Method: l.method, URL: l.t.safeURL(), Attempts: l.sent, Err: err}
	}
	return err
}

// conflictErr is the error for a conflict that ends the call.
func (l *loop) conflictErr(x *exchange, etag string, cause error) error {
	ce := &ConflictError{Method: l.method, URL: l.t.safeURL(), Attempts: l.sent, ETag: etag, Err: cause}
	if x != nil {
		ce.StatusCode = x.status
		ce.Problem = parseProblem(x.header, x.body)
	}
	l.c.stats.conflictErrors.Add(1)
	return ce
}

// unknown reports whether a conflict may be the echo of our own lost write.
func (l *loop) unknown(x *exchange) error {
	if l.ambig && !l.c.cfg.IdempotencyKeys {
		l.c.stats.outcomeUnknown.Add(1)
		return &OutcomeUnknownError{Method: l.method, URL: l.t.safeURL(), Attempts: l.sent,
			Err: fmt.Errorf("a retry met a changed version (%d)", x.status)}
	}
	return nil
}

// isLocked reports whether a write was refused because the resource is
// locked (WebDAV's 423, or a 409 whose problem type or title says
// "locked"): the write is retried as it is after a backoff, not rebased.
func (l *loop) isLocked(x *exchange) bool {
	if x.status == http.StatusLocked {
		return true
	}
	if x.status != http.StatusConflict {
		return false
	}
	p := parseProblem(x.header, x.body)
	if p == nil {
		return false
	}
	typ := strings.ToLower(p.Type)
	return strings.HasSuffix(typ, "/locked") || strings.HasSuffix(typ, ":locked") ||
		strings.EqualFold(p.Title, "locked") || strings.HasSuffix(typ, "/resource-locked")
}

// isConflict reports whether a write's answer is a version conflict.
func isConflict(status int) bool {
	return status == http.StatusPreconditionFailed || status == http.StatusConflict ||
		status == http.StatusPreconditionRequired
}

// rebase handles a conflict answer x to a write built on version sent: it
// checks the budget, backs off, and returns the fresh version to rebuild
// the write on. It returns an error when the call must end: the budget is
// spent, the context ended, the conflict is about content (409 with an
// unchanged version), or the server keeps refusing its own version.
func (l *loop) rebase(ctx context.Context, x *exchange, sent string, needBody bool) (base, error) {
	c := l.c
	c.cache.forget(l.t.key)
	if err := l.unknown(x); err != nil {
		return base{}, err
	}
	if err := l.wait(ctx, x, sent); err != nil {
		return base{}, err
	}
	next, ok := c.conflictBody(l.t, x)
	if !ok || (needBody && next.body == nil) {
		var err error
		if next, err = c.fetch(ctx, l.t, needBody); err != nil {
			return base{}, err
		}
	}
	next, err := l.settleWeak(ctx, x, sent, next, needBody)
	if err != nil {
		return base{}, err
	}
	if next.etag == sent {
		switch x.status {
		case http.StatusConflict:
			return base{}, l.conflictErr(x, next.etag, nil)
		case http.StatusPreconditionFailed:
			if l.rejects++; l.rejects >= rejectLimit {
				return base{}, l.conflictErr(x, next.etag, rejectedCause(next.etag))
			}
		}
	} else {
		l.rejects = 0
	}
	c.stats.rebases.Add(1)
	if c.cfg.Logger.Enabled(ctx, slogDebug) {
		c.cfg.Logger.LogAttrs(ctx, slogDebug, "ifmatch: rebased", attrMethod(l.method), attrURL(l.t.url),
			attrReason(http.StatusText(x.status)))
	}
	return next, nil
}

// wait sleeps the conflict backoff, or ends the call with a *ConflictError
// when MaxAttempts or MaxElapsed is spent or the wait would end past the
// context's deadline, or with the context's error when it ends.
func (l *loop) wait(ctx context.Context, x *exchange, sent string) error {
	cfg := &l.c.cfg
	if cfg.attempts > 0 && l.rounds >= cfg.attempts {
		return l.conflictErr(x, sent, nil)
	}
	d := l.bo.NextBackOff()
	if d < 0 {
		return l.conflictErr(x, sent, nil)
	}
	if cfg.adaptive {
		d = l.c.heat.conflicted(l.t.key, l.rounds, l.rtt, d)
	}
	now := time.Now()
	if cfg.elapsed > 0 && now.Add(d).Sub(l.start) > cfg.elapsed {
		return l.conflictErr(x, sent, nil)
	}
	deadline := ctx.Deadline
	if l.deadline != nil {
		deadline = l.deadline
	}
	if dl, ok := deadline(); ok && !now.Add(d).Before(dl) {
		return l.conflictErr(x, sent, nil)
	}
	if cfg.Logger.Enabled(ctx, slogInfo) {
		cfg.Logger.LogAttrs(ctx, slogInfo, "ifmatch: conflict, backing off", attrMethod(l.method),
			attrURL(l.t.url), attrReason(http.StatusText(x.status)), attrDelay(d))
	}
	if cfg.OnConflict != nil {
		cfg.OnConflict(ConflictInfo{Method: l.method, URL: l.t.safeURL(), StatusCode: x.status, Attempt: l.rounds, Delay: d})
	}
	if d == 0 {
		return nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-timer.C:
		return nil
	}
}

// failed is the error for an answer that ends the call without a commit
// we know of: a *ResponseError, or, when an earlier try's answer was lost
// or may have hidden a commit (a 502, say), an *OutcomeUnknownError
// around it.
func (l *loop) failed(x *exchange) error {
	err := newResponseError(l.method, l.t.safeURL(), x)
	if l.ambig && !isSafeMethod(l.method) {
		l.c.stats.outcomeUnknown.Add(1)
		return &OutcomeUnknownError{Method: l.method, URL: l.t.safeURL(), Attempts: l.sent, Err: err}
	}
	return err
}

// committedBody is a successful write's document for its Response: what
// learnWrite took for the committed document, else what was sent (never a
// status body such as CouchDB's {"ok":true}). For a DELETE or a PATCH
// whose answer is not the document, it is the answer's body as it came.
func committedBody(s snapshot, r *request, x *exchange) []byte {
	switch {
	case s.body != nil:
		return cloneBytes(s.body)
	case r.method == http.MethodPut:
		return cloneBytes(r.body)
	}
	return x.body
}

// response builds a successful call's Response.
func (l *loop) response(x *exchange, etag string, body []byte) *Response {
	return &Response{StatusCode: x.status, Header: x.header, Body: body, ETag: etag, Attempts: l.sent}
}

// writeOnce sends a write that must not be rebased (Create, Put, Delete):
// the caller meant one version, so a conflict ends the call.
func (c *Client) writeOnce(ctx context.Context, t *target, r *request, sentVersion string) (*Response, error) {
	l := c.newLoop(t, r.method)
	c.stats.writes.Add(1)
	x, err := c.send(ctx, r)
	l.record(x)
	for err == nil && (l.isLocked(x) || l.strongAgain(ctx, r, x, &sentVersion)) {
		// Locked, or a weak version that turned strong (weak.go): wait
		// and send the request again.
		if err := l.wait(ctx, x, sentVersion); err != nil {
			return nil, err
		}
		x, err = c.send(ctx, r)
		l.record(x)
	}
	if err != nil {
		return nil, l.sendErr(x, err)
	}
	switch {
	case x.status >= 200 && x.status < 300:
		c.heat.committed(t.key)
		s := c.learnWrite(t, r.method, r.body, x)
		return l.response(x, s.etag, committedBody(s, r, x)), nil
	case isConflict(x.status):
		c.cache.forget(t.key)
		if err := l.unknown(x); err != nil {
			return nil, err
		}
		return nil, l.conflictErr(x, sentVersion, nil)
	}
	if x.status == http.StatusNotFound || x.status == http.StatusGone {
		// For a DELETE whose earlier answer was lost, the 404 may be our own
		// doing: failed reports it as unknown.
		c.cache.forget(t.key)
	}
	return nil, l.failed(x)
}

// sendPatch writes a patch with PATCH (PatchStrategy SendPatch), rebasing
// the same patch on each fresh version. The server's 409 or 422 does not
// say whether a test failed, so the patch is then tried here on the fresh
// document: a failing test is ErrTestFailed, a moved version is rebased.
func (c *Client) sendPatch(ctx context.Context, t *target, p change, raw []byte, contentType string) (*Response, error) {
	l := c.newLoop(t, http.MethodPatch)
	c.stats.writes.Add(1)
	b, err := c.current(ctx, t, false)
	if err != nil {
		return nil, err
	}
	for {
		r := &request{method: http.MethodPatch, url: t.url, header: t.header.Clone(), body: raw}
		r.header.Set("Content-Type", contentType)
		if err := c.withVersion(r, b.etag, contentType); err != nil {
			return nil, err
		}
		x, err := c.send(ctx, r)
		l.record(x)
		if err != nil {
			return nil, l.sendErr(x, err)
		}
		switch {
		case x.status >= 200 && x.status < 300:
			c.heat.committed(t.key)
			s := c.learnWrite(t, r.method, nil, x)
			return l.response(x, s.etag, x.body), nil
		case l.isLocked(x):
			if err := l.wait(ctx, x, b.etag); err != nil {
				return nil, err
			}
		case x.status == http.StatusConflict || x.status == http.StatusUnprocessableEntity:
			if err := l.unknown(x); err != nil {
				return nil, err
			}
			fresh, err := c.fetch(ctx, t, true)
			if err != nil {
				return nil, err
			}
			if _, aerr := p.apply(fresh.body); aerr != nil {
				if errors.Is(aerr, ErrTestFailed) {
					return nil, l.conflictErr(x, fresh.etag, ErrTestFailed)
				}
				return nil, l.failed(x)
			}
			if fresh.etag == b.etag {
				if x.status == http.StatusConflict {
					return nil, l.conflictErr(x, fresh.etag, nil)
				}
				return nil, l.failed(x)
			}
			if err := l.wait(ctx, x, b.etag); err != nil {
				return nil, err
			}
			c.stats.rebases.Add(1)
			b = fresh
		case isConflict(x.status):
			if b, err = l.rebase(ctx, x, b.etag, false); err != nil {
				return nil, err
			}
		default:
			return nil, l.failed(x)
		}
	}
}
