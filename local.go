package ifmatch

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"time"
)

// Writes applied here (PatchStrategy ApplyLocally, Update, Modify,
// ThreeWayPut): each caller's change is applied to the current document
// and the result PUT with the version it was built on. Several callers'
// changes can share one PUT (group commit, see groupcommit.go); a single call is
// a group of one.

// writeLocal runs the conflict loop for a group of changes to one
// resource, answering each member. more, if not nil, returns members that
// arrived since the last write; they join the next one after a rebase.
func (c *Client) writeLocal(ctx context.Context, t *target, ms []*member, more func() []*member) {
	l := c.newLoop(t, http.MethodPut)
	l.deadline = func() (time.Time, bool) { return latestDeadline(ms) }
	b, err := c.current(ctx, t, true)
	if err != nil {
		deliverAll(ms, nil, err)
		return
	}
	l.version = b.etag
	// build applies the waiting changes to b and returns their PUT, or nil
	// when every change has been answered without one.
	build := func() (*request, error) {
		for {
			doc, live, recheck := c.applyAll(l, b, ms)
			if recheck {
				// A change failed on a cached document, which may be stale:
				// judge it again on a fresh one.
				var err error
				if b, err = c.fetch(ctx, t, true); err != nil {
					return nil, err
				}
				l.version = b.etag
				continue
			}
			ms, l.live = live, live
			if len(live) == 0 {
				return nil, nil
			}
			r := &request{method: http.MethodPut, url: t.url, header: t.header.Clone(), body: doc}
			r.header.Set("Content-Type", "application/json")
			return r, c.withVersion(r, b.etag, "application/json")
		}
	}
	r, err := build()
	if err != nil || r == nil {
		deliverAll(ms, nil, err)
		return
	}
	r, x, err := l.drive(ctx, r, func(x *exchange) (*request, error) {
		next, err := l.refreshGroup(ctx, x, ms)
		if err != nil {
			return nil, err
		}
		if err := l.moved(ctx, x, next); err != nil {
			return nil, err
		}
		b = next
		if more != nil {
			// Newcomers join only a write that will be sent: a caller never
			// hears about a write its change was not part of.
			ms = append(ms, more()...)
		}
		return build()
	})
	c.finishGroup(t, r, x, err, nil, ms)
}

// deliverAll gives every member the same answer.
func deliverAll(ms []*member, resp *Response, err error) {
	for _, m := range ms {
		m.deliver(resp, err)
	}
}

// applyAll applies each member's change in order to the base document.
// Members whose change fails or asks for no change are answered (when the
// base is fresh) and left out. recheck reports a failure on a cached base,
// which must be judged again on a fresh read before anyone is answered.
func (c *Client) applyAll(l *loop, b latest, ms []*member) (doc []byte, live []*member, recheck bool) {
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
	doc, errs := applyChanges(b.body, chs, c.cfg.MaxBodyBytes)
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
		f.m.deliver(nil, l.changeErr(nil, f.err))
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
