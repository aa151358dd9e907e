package ifmatch

import (
	"context"
	"net/http"
)

// Writes sent as they are (Create, Put, Delete, and requests sent through
// Do that are not patches to rebase): the caller meant the version the
// write carries, so a conflict ends the call instead of a rebase.

// sendOnce drives p's request through the conflict loop and finishes it.
// A stale write ends with a *ConflictError, except through Do a write that
// carried the caller's own precondition (or none): its stale answer is
// returned as the caller's Response, and a 428 to a request without
// precondition is sent again with the current version.
func (c *Client) sendOnce(ctx context.Context, p *plan) (*Response, error) {
	t, r := p.t, p.req
	l := c.newLoop(t, r.method)
	l.version = p.basis.etag
	if l.version == "" {
		l.version = r.header.Get("If-Match")
	}
	// read is the document at the version the write carries, looked up
	// only when needed (a weak tag to check, a PATCH's answer to prove):
	// not on every write.
	readAt := l.version
	read := func() []byte {
		if p.basis.body != nil || readAt == "" {
			return p.basis.body
		}
		return c.documentAt(ctx, t, readAt)
	}
	r, x, err := l.drive(ctx, r, func(x *exchange) (*request, error) {
		if again, err := l.strongAgain(ctx, r, x, read); err != nil || again {
			// A weak version that turned strong on the same document:
			// sent again in its strong form (weak.go).
			return r, err
		}
		c.forget(t)
		switch {
		case !p.do:
			return nil, l.conflictErr(x, nil)
		case p.basis.etag != "" && !p.basis.pinnedByCaller():
			// Through Do, a write ifmatch versioned (from a scope's read
			// or the reads it handed out) that met a newer version: a
			// conflict, named as one, with the fix.
			return nil, l.conflictErr(x, errReadStale)
		}
		if x.status != http.StatusPreconditionRequired || r.conditional || c.cfg.VersionField != "" {
			return nil, nil
		}
		next, err := l.refresh(ctx, x, false)
		if err != nil {
			return nil, err
		}
		l.version = next.etag
		again := &request{method: r.method, url: r.url, header: r.header.Clone(), body: r.body, raw: true, conditional: true}
		again.header.Set("If-Match", next.etag)
		return again, nil
	})
	if err != nil {
		return nil, err
	}
	if x.status < 200 || x.status >= 300 {
		// Through Do: the stale answer is the caller's to read.
		if sc := scopeOf(ctx); sc != nil {
			sc.conflicted.Store(true)
		}
		return l.response(x, x.header.Get("ETag"), x.body), nil
	}
	var base []byte
	if r.method == http.MethodPatch {
		base = read()
	}
	s := c.finish(t, r, x, base, ctx)
	if p.do {
		return l.response(x, s.etag, x.body), nil
	}
	return l.response(x, s.etag, committedBody(s, r, x)), nil
}
