package ifmatch

import (
	"context"
	"net/http"
)

// Writes that replace one version (Create, Put, Delete, and requests sent
// through Do as they are): the caller meant that version, so a conflict
// ends the call instead of a rebase.

// writeOnce sends r, based on version (its precondition, "" for Create).
func (c *Client) writeOnce(ctx context.Context, t *target, r *request, version string) (*Response, error) {
	l := c.newLoop(t, r.method)
	l.version = version
	c.stats.writes.Add(1)
	r, x, err := l.drive(ctx, r, func(x *exchange) (*request, error) {
		if l.strongAgain(ctx, r, x, &l.version) {
			// A weak version that turned strong: the same version, sent
			// again in its strong form (weak.go).
			return r, nil
		}
		c.cache.forget(t.key)
		return nil, l.conflictErr(x, nil)
	})
	if err != nil {
		c.account(err)
		return nil, err
	}
	s := c.learnWrite(t, r.method, r.body, x)
	if version == "" && r.method == http.MethodPut && s.etag != "" {
		// Create: nobody could have read the resource before, and its
		// caller holds the document it wrote: Put and Delete may replace
		// it without a read.
		c.cache.putRead(t.key, s, x.header.Values("Vary"), t.all)
	}
	learned(ctx, t, s)
	return l.response(x, s.etag, committedBody(s, r, x)), nil
}

// replace writes a whole document or deletes a resource, based on the
// version the rule in basis.go gives (ErrNoVersion when there is none).
func (c *Client) replace(ctx context.Context, t *target, r *request) (*Response, error) {
	b, ok := c.basisFor(ctx, t, true, r.body)
	if !ok {
		return nil, c.noVersion(r.method, t)
	}
	if err := c.withVersion(r, b.etag, "application/json"); err != nil {
		return nil, err
	}
	return c.writeOnce(ctx, t, r, b.etag)
}

// noVersion is ErrNoVersion for a write to t.
func (c *Client) noVersion(method string, t *target) error {
	return &noVersionError{method: method, url: t.safeURL()}
}

// noVersionError says which write had no version, and what to do.
type noVersionError struct{ method, url string }

func (e *noVersionError) Error() string {
	return "ifmatch: " + e.method + " " + e.url + ": no known version of the resource: read it first (Get), or pass the version you hold (IfMatch)"
}
func (e *noVersionError) Unwrap() error { return ErrNoVersion }
