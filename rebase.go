package ifmatch

import (
	"context"
	"net/http"
)

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
func (l *loop) refresh(ctx context.Context, x *exchange, needBody bool) (base, error) {
	c := l.c
	c.forget(l.t)
	if err := l.wait(ctx, x); err != nil {
		return base{}, err
	}
	next, ok := c.conflictBody(l.t, x)
	if !ok || (needBody && next.body == nil) {
		var err error
		if next, err = c.fetch(ctx, l.t, needBody); err != nil {
			return base{}, err
		}
	}
	// A weak tag refused by a server that compares strongly: wait for it
	// to turn strong (weak.go).
	return l.settleWeak(ctx, x, l.version, next, needBody)
}

// refreshGroup is refresh for a group's write: its members' changes were
// refused, so they are waiting again (a caller that leaves now is told its
// change was not applied) until the write is rebuilt.
func (l *loop) refreshGroup(ctx context.Context, x *exchange, ms []*member) (base, error) {
	for _, m := range ms {
		m.state.CompareAndSwap(stInFlight, stWaiting)
	}
	return l.refresh(ctx, x, true)
}

// moved checks that the version did move since the write that met x, and
// ends the call when it did not: a 409 with an unchanged version is a
// conflict about content, a 422 a refusal of the change itself, and a 412
// repeated rejectLimit times a server refusing its own version.
func (l *loop) moved(ctx context.Context, x *exchange, next base) error {
	c := l.c
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
	l.version = next.etag
	c.stats.rebases.Add(1)
	if c.cfg.Logger.Enabled(ctx, slogDebug) {
		c.cfg.Logger.LogAttrs(ctx, slogDebug, "ifmatch: rebased", attrMethod(l.method), attrURL(l.t.url),
			attrReason(http.StatusText(x.status)))
	}
	return nil
}
