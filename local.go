package ifmatch

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"time"
)

// Writes applied here (PatchStrategy ApplyLocally, Update, Modify): each
// caller's change is applied to the current document and the result PUT
// with the version it was built on. Several callers' changes can share one
// PUT (group commit); a single call is a group of one.

// member states.
const (
	stWaiting   int32 = iota // queued, or between two writes
	stInFlight               // part of a write whose answer is awaited
	stDone                   // answered
	stAbandoned              // its caller left (context ended)
)

// member is one caller's change on its way through the conflict loop.
type member struct {
	ctx      context.Context
	change   change
	state    atomic.Int32
	attempts atomic.Int64 // requests written while this change was part of the write
	done     chan result
}

type result struct {
	resp *Response
	err  error
}

func newMember(ctx context.Context, ch change) *member {
	return &member{ctx: ctx, change: ch, done: make(chan result, 1)}
}

// deliver answers the member's caller, unless it has left.
func (m *member) deliver(resp *Response, err error) {
	for {
		s := m.state.Load()
		if s == stDone || s == stAbandoned {
			return
		}
		if m.state.CompareAndSwap(s, stDone) {
			if resp != nil {
				resp.Attempts = int(m.attempts.Load())
			}
			m.done <- result{resp, err}
			return
		}
	}
}

// abandon marks a member whose caller's context ended. It reports whether
// the member's change may have been written (inFlight), and false for ok
// when the answer has already been delivered.
func (m *member) abandon() (inFlight, ok bool) {
	for {
		s := m.state.Load()
		switch s {
		case stDone:
			return false, false
		case stAbandoned:
			return false, true
		}
		if m.state.CompareAndSwap(s, stAbandoned) {
			return s == stInFlight, true
		}
	}
}

// wait returns the member's answer, or the context's error if its caller
// leaves first: wrapped in ErrOutcomeUnknown when its change was in a write
// whose answer had not come.
func (m *member) wait(c *Client, t *target) (*Response, error) {
	select {
	case r := <-m.done:
		return r.resp, r.err
	case <-m.ctx.Done():
		inFlight, ok := m.abandon()
		if !ok {
			r := <-m.done
			return r.resp, r.err
		}
		if inFlight {
			c.stats.outcomeUnknown.Add(1)
			return nil, &OutcomeUnknownError{Method: http.MethodPut, URL: t.safeURL(), Attempts: int(m.attempts.Load()),
				Err: context.Cause(m.ctx)}
		}
		return nil, context.Cause(m.ctx)
	}
}

// writeLocal runs the conflict loop for a group of changes to one
// resource, answering each member. more, if not nil, returns members that
// arrived since the last round; they join the next write.
func (c *Client) writeLocal(ctx context.Context, t *target, ms []*member, more func() []*member) {
	l := c.newLoop(t, http.MethodPut)
	l.deadline = func() (time.Time, bool) { return latestDeadline(ms) }
	c.stats.writes.Add(int64(len(ms)))
	b, err := c.current(ctx, t, true)
	for {
		if more != nil {
			joined := more()
			c.stats.writes.Add(int64(len(joined)))
			ms = append(ms, joined...)
		}
		if err != nil {
			for _, m := range ms {
				m.deliver(nil, err)
			}
			return
		}
		doc, live, recheck := c.applyAll(t, b, ms)
		if recheck {
			// A change failed on a cached document, which may be stale:
			// judge it again on a fresh one.
			b, err = c.fetch(ctx, t, true)
			continue
		}
		if len(live) == 0 {
			return
		}
		r := &request{method: http.MethodPut, url: t.url, header: t.header.Clone(), body: doc}
		r.header.Set("Content-Type", "application/json")
		if err := c.withVersion(r, b.etag, "application/json"); err != nil {
			for _, m := range live {
				m.deliver(nil, err)
			}
			return
		}
		x, serr := c.send(ctx, r)
		l.record(x)
		for _, m := range live {
			m.attempts.Add(int64(x.sent))
		}
		switch {
		case serr != nil:
			err = l.sendErr(x, serr)
			for _, m := range live {
				m.deliver(nil, err)
			}
			return
		case x.status >= 200 && x.status < 300:
			c.heat.committed(t.key)
			s := c.learnWrite(t, r.method, r.body, x)
			body := committedBody(s, r, x) // a copy of its own
			for i, m := range live {
				h, b := x.header, body
				if i < len(live)-1 { // every caller gets copies it may modify
					h, b = h.Clone(), bytes.Clone(b)
				}
				m.deliver(&Response{StatusCode: x.status, Header: h, Body: b, ETag: s.etag}, nil)
			}
			return
		case l.isLocked(x):
			for _, m := range live {
				m.state.CompareAndSwap(stInFlight, stWaiting)
			}
			ms = live
			err = l.wait(ctx, x, b.etag) // then the same changes on the same version
		case isConflict(x.status):
			for _, m := range live {
				m.state.CompareAndSwap(stInFlight, stWaiting)
			}
			ms = live
			b, err = l.rebase(ctx, x, b.etag, true)
		default:
			err = l.failed(x)
			for _, m := range live {
				m.deliver(nil, err)
			}
			return
		}
	}
}

// applyAll applies each member's change in order to the base document.
// Members whose change fails or asks for no change are answered (when the
// base is fresh) and left out. recheck reports a failure on a cached base,
// which must be judged again on a fresh read before anyone is answered.
func (c *Client) applyAll(t *target, b base, ms []*member) (doc []byte, live []*member, recheck bool) {
	doc = b.body
	live = make([]*member, 0, len(ms))
	type failure struct {
		m   *member
		err error
	}
	var failed []failure
	active := make([]*member, 0, len(ms))
	chs := make([]change, 0, len(ms))
	for _, m := range ms {
		// Claimed before its change is applied: from here on, a caller
		// that leaves is told its change may have been written.
		if m.state.CompareAndSwap(stWaiting, stInFlight) {
			active = append(active, m)
			chs = append(chs, m.change)
		}
	}
	doc, errs := applyChanges(doc, chs)
	for i, m := range active {
		err := errs[i]
		if err == nil {
			live = append(live, m)
			continue
		}
		if !b.fresh && !isFinal(err) {
			for _, m := range active {
				m.state.CompareAndSwap(stInFlight, stWaiting) // nothing was sent
			}
			return nil, nil, true
		}
		failed = append(failed, failure{m, err})
	}
	for _, f := range failed {
		if errors.Is(f.err, ErrNoChange) {
			f.m.deliver(&Response{StatusCode: http.StatusOK, Header: http.Header{}, Body: bytes.Clone(b.body), ETag: b.etag}, nil)
			continue
		}
		var mc *mergeConflict
		switch {
		case errors.Is(f.err, ErrTestFailed):
			c.stats.conflictErrors.Add(1)
			f.err = &ConflictError{Method: http.MethodPut, URL: t.safeURL(), Attempts: int(f.m.attempts.Load()), ETag: b.etag, Err: ErrTestFailed}
		case errors.As(f.err, &mc):
			c.stats.conflictErrors.Add(1)
			cause := mc.err
			if cause == nil {
				cause = ErrMergeConflict
			}
			f.err = &ConflictError{Method: http.MethodPut, URL: t.safeURL(), Attempts: int(f.m.attempts.Load()), ETag: b.etag,
				Pointers: mc.pointers, Err: cause}
		}
		f.m.deliver(nil, f.err)
	}
	return doc, live, false
}

// latestDeadline is the deadline by which every waiting member's caller
// has left: the latest of their deadlines, or none if one has none.
func latestDeadline(ms []*member) (time.Time, bool) {
	var latest time.Time
	for _, m := range ms {
		if m.state.Load() == stAbandoned {
			continue
		}
		d, ok := m.ctx.Deadline()
		if !ok {
			return time.Time{}, false
		}
		if d.After(latest) {
			latest = d
		}
	}
	return latest, !latest.IsZero()
}
