package ifmatch

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// Create writes a new resource with PUT and If-None-Match: *. If the
// resource exists the answer is a [*ConflictError] ([ErrConflict]), never
// retried. Errors: [ErrInvalidChange] for a body that is not JSON (nothing
// sent), *ConflictError, [*OutcomeUnknownError], [*ResponseError], the
// context's error.
func (c *Client) Create(ctx context.Context, url string, body []byte, opts ...CallOption) (*Response, error) {
	return c.putDocument(ctx, "Create", kindCreate, url, body, opts)
}

// Put replaces the version of a resource its caller read, chosen by [The
// version a write carries]: a stale version is a [*ConflictError] and is
// never overwritten; with no version known, or none that can be known,
// Put returns [ErrNoVersion] and sends nothing. With [Options.ThreeWayPut],
// a stale Put is merged onto the fresh document instead when its edit and
// the concurrent one touch different fields (a field both changed, even to
// the same value, is a *ConflictError unless Resolve decides). Errors: as
// Create, plus ErrNoVersion.
//
// [The version a write carries]: https://pkg.go.dev/github.com/ifmatch/ifmatch#hdr-The_version_a_write_carries
func (c *Client) Put(ctx context.Context, url string, body []byte, opts ...CallOption) (*Response, error) {
	return c.putDocument(ctx, "Put", kindReplace, url, body, opts)
}

// putDocument is Create and Put: a whole document, checked before anything
// is sent, written with PUT.
func (c *Client) putDocument(ctx context.Context, name string, kind writeKind, url string, body []byte, opts []CallOption) (resp *Response, err error) {
	ctx, end := c.startCall(ctx, name, http.MethodPut, url)
	defer func() { c.endCall(ctx, end, resp, err) }()
	t, err := c.target(url, opts)
	if err != nil {
		return nil, err
	}
	r, err := c.documentRequest(t, body)
	if err != nil {
		return nil, err
	}
	if kind == kindCreate {
		if c.cfg.VersionField == "" {
			r.header.Set("If-None-Match", "*")
		}
		r.conditional, r.create = true, true
	}
	return c.write(ctx, &write{kind: kind, t: t, req: r})
}

// Delete deletes the version of a resource its caller read, chosen as for
// Put. A stale version is a [*ConflictError]; with no version known it
// returns [ErrNoVersion] and sends nothing.
func (c *Client) Delete(ctx context.Context, url string, opts ...CallOption) (resp *Response, err error) {
	ctx, end := c.startCall(ctx, "Delete", http.MethodDelete, url)
	defer func() { c.endCall(ctx, end, resp, err) }()
	t, err := c.target(url, opts)
	if err != nil {
		return nil, err
	}
	if c.cfg.VersionField != "" && c.cfg.VersionParam == "" {
		return nil, opErr(http.MethodDelete, t.url, &saying{"no version can be sent: with VersionField set, Delete needs Options.VersionParam to carry it", ErrUnversioned})
	}
	return c.write(ctx, &write{kind: kindReplace, t: t, req: &request{method: http.MethodDelete, url: url, header: t.header.Clone()}})
}

// Patch applies an RFC 6902 JSON Patch. On a conflict the same patch is
// applied to the fresh document and written again; a failing "test"
// operation is a [*ConflictError] matching [ErrTestFailed], returned at once.
// A patch based on a version its caller read ([IfMatch], [TrackVersions]) is
// reapplied only if the fields it writes did not change since (else a
// *ConflictError matching [ErrFieldsChanged]). An invalid patch is
// [ErrInvalidChange] before anything is sent. With [ApplyLocally] (the
// default) the patched document is PUT; with [SendPatch] the patch is sent
// with PATCH.
func (c *Client) Patch(ctx context.Context, url string, patch []byte, opts ...CallOption) (*Response, error) {
	return c.patchCall(ctx, "Patch", url, patch, opts, contentJSONPatch, func(raw []byte) (change, error) { return c.newJSONPatch(raw) })
}

// MergePatch applies an RFC 7396 merge patch, rebased on conflict like
// Patch. A patch that is not JSON is [ErrInvalidChange] before anything is
// sent.
func (c *Client) MergePatch(ctx context.Context, url string, patch []byte, opts ...CallOption) (*Response, error) {
	return c.patchCall(ctx, "MergePatch", url, patch, opts, contentMergePatch, func(raw []byte) (change, error) { return newMergePatch(raw) })
}

// patchCall is Patch and MergePatch: the patch is checked and decoded
// before anything is sent, then written as a change rebased on conflict.
func (c *Client) patchCall(ctx context.Context, name, url string, patch []byte, opts []CallOption, kind string,
	decode func([]byte) (change, error)) (resp *Response, err error) {
	ctx, end := c.startCall(ctx, name, c.patchMethod(), url)
	defer func() { c.endCall(ctx, end, resp, err) }()
	t, err := c.target(url, opts)
	if err != nil {
		return nil, err
	}
	if err := c.checkSize(patch); err != nil {
		return nil, err
	}
	p, err := decode(patch)
	if err != nil {
		return nil, err
	}
	return c.write(ctx, &write{kind: kindChange, t: t, change: p, patch: patch, media: kind})
}

// Update reads the current document, passes it to mutate and PUTs what
// mutate returns with If-Match. On a conflict mutate runs again on the
// fresh document, so it is called once per attempt and must be free of
// side effects; it gets a copy it may modify. With [IfMatch], mutate runs on
// the document at that version only, and a conflict is returned. If
// mutate returns [ErrNoChange], Update returns the current document
// (Attempts 0) and nil; any other error from mutate is returned as is,
// nothing written. A panic in mutate is raised again in the caller's
// goroutine, whichever goroutine ran it.
func (c *Client) Update(ctx context.Context, url string, mutate func(current []byte) ([]byte, error), opts ...CallOption) (resp *Response, err error) {
	ctx, end := c.startCall(ctx, "Update", http.MethodPut, url)
	defer func() { c.endCall(ctx, end, resp, err) }()
	t, err := c.target(url, opts)
	if err != nil {
		return nil, err
	}
	return c.write(ctx, &write{kind: kindChange, t: t, change: mutation(mutate)})
}

// write runs w through the pipeline: plan (plan.go), then the conflict
// loop of its strategy (drive, loop.go), whose commit finish (finish.go)
// records. Every write goes through here, whichever door it came in by.
func (c *Client) write(ctx context.Context, w *write) (*Response, error) {
	c.stats.writes.Add(1)
	p, err := c.plan(ctx, w)
	if err != nil {
		return nil, err
	}
	switch p.how {
	case applyHere:
		return c.submit(ctx, p.t, p.change)
	case sendAsPatch:
		return c.sendPatch(ctx, p.t, p.basis, p.change, p.patch, p.media)
	}
	return c.sendOnce(ctx, p)
}

// patchMethod is the method Patch and MergePatch write with.
func (c *Client) patchMethod() string {
	if c.cfg.PatchStrategy == SendPatch {
		return http.MethodPatch
	}
	return http.MethodPut
}

const (
	contentJSONPatch  = "application/json-patch+json"
	contentMergePatch = "application/merge-patch+json"
)

// documentRequest validates a whole document and prepares its PUT.
func (c *Client) documentRequest(t *target, body []byte) (*request, error) {
	if err := c.checkSize(body); err != nil {
		return nil, err
	}
	if !json.Valid(body) {
		return nil, opErr(http.MethodPut, t.url, fmt.Errorf("%w: the body is not valid JSON", ErrInvalidChange))
	}
	r := &request{method: http.MethodPut, url: t.url, header: t.header.Clone(), body: cloneBytes(body)}
	r.header.Set("Content-Type", "application/json")
	return r, nil
}

// checkSize refuses a body larger than MaxBodyBytes before anything is sent.
func (c *Client) checkSize(body []byte) error {
	if c.cfg.MaxBodyBytes >= 0 && int64(len(body)) > c.cfg.MaxBodyBytes {
		return fmt.Errorf("%w: %d bytes, more than MaxBodyBytes (%d)", ErrTooLarge, len(body), c.cfg.MaxBodyBytes)
	}
	return nil
}
