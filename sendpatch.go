package ifmatch

import (
	"context"
	"errors"
	"net/http"
)

// sendPatch writes a patch with PATCH (PatchStrategy SendPatch, and patches
// sent through Do), starting from version b and rebasing the same patch on
// each fresh version. Before each resend the patch is tried here on the
// fresh document: the server's 409 or 422 does not say whether a test
// failed, and a patch built from what its caller read (guarded) must not be
// sent where the fields it writes have moved.
func (c *Client) sendPatch(ctx context.Context, t *target, b basis, p change, raw []byte, contentType string) (*Response, error) {
	l := c.newLoop(t, http.MethodPatch)
	c.stats.writes.Add(1)
	resp, err := c.patchLoop(ctx, l, b, p, raw, contentType)
	c.account(err)
	return resp, err
}

func (c *Client) patchLoop(ctx context.Context, l *loop, b basis, p change, raw []byte, contentType string) (*Response, error) {
	t := l.t
	if b.etag == "" {
		cur, err := c.current(ctx, t, false)
		if err != nil {
			return nil, err
		}
		b.snapshot = cur.snapshot
	}
	build := func(version string) (*request, error) {
		l.version = version
		r := &request{method: http.MethodPatch, url: t.url, header: t.header.Clone(), body: raw, patch: true}
		r.header.Set("Content-Type", c.patchMediaType(contentType))
		return r, c.withVersion(r, version, contentType)
	}
	r, err := build(b.etag)
	if err != nil {
		return nil, err
	}
	r, x, err := l.drive(ctx, r, func(x *exchange) (*request, error) {
		next, err := l.refresh(ctx, x, true)
		if err != nil {
			return nil, err
		}
		if _, aerr := p.apply(next.body); aerr != nil {
			var pe *patchError
			if errors.As(aerr, &pe) && x.status != http.StatusPreconditionFailed {
				return nil, l.failed(x) // the server's refusal says more than ours
			}
			l.version = next.etag
			return nil, l.changeErr(x, aerr)
		}
		if err := l.moved(ctx, x, next); err != nil {
			return nil, err
		}
		return build(next.etag)
	})
	if err != nil {
		return nil, err
	}
	s := c.learnWrite(t, r.method, nil, x)
	learned(ctx, t, s)
	return l.response(x, s.etag, x.body), nil
}

// patchMediaType is the Content-Type a patch of the given kind
// (contentJSONPatch or contentMergePatch) is sent under: the one Options
// names for it, else its RFC media type.
func (c *Client) patchMediaType(kind string) string {
	switch {
	case kind == contentMergePatch && c.cfg.MergePatchContentType != "":
		return c.cfg.MergePatchContentType
	case kind == contentJSONPatch && c.cfg.JSONPatchContentType != "":
		return c.cfg.JSONPatchContentType
	}
	return kind
}

// patchKind is the kind of patch (contentJSONPatch or contentMergePatch) a
// PATCH's media type mt names, "" if none: its RFC media type, or the one
// Options names for it (a merge patch first, when both name the same).
func (c *Client) patchKind(mt string) string {
	switch {
	case mt == "":
		return ""
	case mt == contentMergePatch || mt == c.cfg.MergePatchContentType:
		return contentMergePatch
	case mt == contentJSONPatch || mt == c.cfg.JSONPatchContentType:
		return contentJSONPatch
	}
	return ""
}
