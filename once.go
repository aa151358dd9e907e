package ifmatch

import (
	"context"
	"net/http"
)

// Writes sent as they are (Create, Put, Delete, and requests sent through
// Do that are not patches to rebase): the caller meant the version the
// write carries, so a conflict ends the call instead of a rebase.

// sendOnce drives p's request through the conflict loop and finishes it.
// A typed method's stale write ends with a *ConflictError; through Do the
// stale answer is returned as the caller's Response, except a 428 to a
// request without precondition, which is sent again with the current
// version.
func (c *Client) sendOnce(ctx context.Context, p *plan) (*Response, error) {
	t, r := p.t, p.req
	l := c.newLoop(t, r.method)
	l.version = p.basis.etag
	if l.version == "" {
		l.version = r.header.Get("If-Match")
	}
	read := p.basis.body
	if read == nil && l.version != "" {
		read = c.documentAt(ctx, t, l.version)
	}
	r, x, err := l.drive(ctx, r, func(x *exchange) (*request, error) {
		if again, err := l.strongAgain(ctx, r, x, read); err != nil || again {
			// A weak version that turned strong on the same document:
			// sent again in its strong form (weak.go).
			return r, err
		}
		c.forget(t)
		if !p.do {
			return nil, l.conflictErr(x, nil)
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
		base = read
	}
	s := c.finish(t, r, x, base, ctx)
	if p.do {
		return l.response(x, s.etag, x.body), nil
	}
	return l.response(x, s.etag, committedBody(s, r, x)), nil
}
