package ifmatch

import (
	"context"
	"errors"
	"net/http"
	"time"
)

// Patches sent as they are (PatchStrategy SendPatch, and patches sent
// through Do): the server applies them. Concurrent patches of one media
// type to one resource through one Client, under the same headers, share
// a PATCH (group commit, see groupcommit.go and combine.go); a single call
// is a group of one. Before each resend the patches are tried here on the
// fresh document: the server's 409 or 422 does not say whether a test
// failed, nor whose, and a patch built from what its caller read (guarded)
// must not be sent where the fields it writes have moved.

// sentPatch is a member's change under SendPatch: the patch as its caller
// wrote it, and the version its caller's reading fixed ("" for the newest).
type sentPatch struct {
	change
	raw         []byte
	contentType string
	version     string
}

// sendPatch writes the patch p (raw as the caller gave it), starting from
// version b when the caller's reading fixed it (such a patch is written
// alone: its fields are checked against that version), else from the
// newest version, shared with concurrent patches.
func (c *Client) sendPatch(ctx context.Context, t *target, b basis, p change, raw []byte, contentType string) (*Response, error) {
	sp := &sentPatch{change: p, raw: raw, contentType: contentType, version: b.etag}
	m := newMember(ctx, sp, http.MethodPatch)
	if b.pinned() {
		return c.alone(ctx, t, m, c.writePatches)
	}
	lane := t.lane
	lane.extra += "\x00PATCH " + contentType
	return c.commit(ctx, t, lane, m, c.writePatches)
}

// writePatches writes the members' patches (one media type), as few
// PATCHes as their meaning allows, answering each member. Members the
// server refused together are written again one by one, so that one
// caller's failure never fails another's.
func (c *Client) writePatches(ctx context.Context, t *target, ms []*member, more func() []*member) {
	for len(ms) > 0 {
		rest, alone := c.patchGroup(ctx, t, ms, more)
		for _, m := range alone {
			c.patchGroup(ctx, t, []*member{m}, nil)
		}
		ms = rest
	}
}

// patchGroup runs the conflict loop for one PATCH carrying the patches of
// a prefix of ms, as many as combine. It returns the members it left for
// a later write (rest) and those to be written alone (alone); every other
// member is answered.
func (c *Client) patchGroup(ctx context.Context, t *target, ms []*member, more func() []*member) (rest, alone []*member) {
	first := ms[0].change.(*sentPatch)
	l := c.newLoop(t, http.MethodPatch)
	l.deadline = func() (time.Time, bool) { return latestDeadline(ms) }
	// take keeps the members whose patches combine, in order, and leaves
	// the others (and everyone after them) to a later write.
	take := func(cands []*member) {
		b := newPatchBatch(first.contentType, c.cfg.MaxBodyBytes)
		for _, m := range ms {
			b.add(m.change.(*sentPatch).raw)
		}
		for i, m := range cands {
			if !b.add(m.change.(*sentPatch).raw) {
				rest = append(rest, cands[i:]...)
				return
			}
			ms = append(ms, m)
		}
	}
	all := ms
	ms = nil
	take(all)
	// base is the document at l.version, when known: what proves that the
	// answer is the patched document (finish.go).
	l.version = first.version
	var base []byte
	if l.version == "" {
		cur, err := c.current(ctx, t, false)
		if err != nil {
			deliverAll(ms, nil, err)
			return rest, nil
		}
		l.version, base = cur.etag, cur.body
	} else {
		base = c.documentAt(ctx, t, l.version)
	}
	// build claims the members still waiting and returns their PATCH, or
	// nil when none is left.
	build := func() (*request, error) {
		live := ms[:0:0]
		b := newPatchBatch(first.contentType, -1)
		for _, m := range ms {
			// Claimed before it is sent: from here on, a caller that leaves
			// is told its change may have been written.
			if m.state.CompareAndSwap(stWaiting, stInFlight) {
				live = append(live, m)
				b.add(m.change.(*sentPatch).raw)
			}
		}
		ms, l.live = live, live
		if len(live) == 0 {
			return nil, nil
		}
		r := &request{method: http.MethodPatch, url: t.url, header: t.header.Clone(), body: b.body(), patch: true}
		r.header.Set("Content-Type", c.patchMediaType(first.contentType))
		return r, c.withVersion(r, l.version, first.contentType)
	}
	r, err := build()
	if err != nil || r == nil {
		deliverAll(ms, nil, err)
		return rest, nil
	}
	r, x, err := l.drive(ctx, r, func(x *exchange) (*request, error) {
		next, err := l.refreshGroup(ctx, x, ms)
		if err != nil {
			return nil, err
		}
		kept, out, err := c.recheck(l, x, next, ms)
		if err != nil {
			return nil, err
		}
		alone = append(alone, out...)
		base = next.body
		if len(kept) < len(ms) {
			// Someone's patch explains the refusal: the others go on.
			ms = kept
			l.rebased(ctx, x, next)
		} else if err := l.moved(ctx, x, next); err != nil {
			if len(ms) > 1 {
				// Refused together, for a reason not seen here: each is
				// written alone, to get its own answer.
				alone = append(alone, ms...)
				ms = nil
				return nil, nil
			}
			return nil, err
		}
		if more != nil {
			// Newcomers join only a write that will be sent: a caller never
			// hears about a write its change was not part of.
			take(more())
		}
		return build()
	})
	c.finishGroup(t, r, x, err, base, ms)
	return rest, alone
}

// recheck applies the group's patches in order to the fresh document next,
// after the stale or refused answer x. A patch whose test fails there, or
// whose fields moved under its caller's reading, is answered with that
// conflict; one that does not apply after the server refused the group is
// left to be written alone (the server's answer to the group says nothing
// about it), and alone in its group, the server's refusal is its answer.
// kept are the members to write again.
func (c *Client) recheck(l *loop, x *exchange, next latest, ms []*member) (kept, alone []*member, err error) {
	chs := make([]change, len(ms))
	for i, m := range ms {
		chs[i] = m.change.(*sentPatch).change
	}
	_, errs := applyChanges(next.body, chs, -1) // one pass for a run of JSON Patches
	for i, m := range ms {
		aerr := errs[i]
		if aerr == nil {
			kept = append(kept, m)
			continue
		}
		var pe *patchError
		if errors.As(aerr, &pe) && x.status != http.StatusPreconditionFailed {
			if len(ms) == 1 {
				return nil, nil, l.failed(x) // the server's refusal says more than ours
			}
			alone = append(alone, m)
			continue
		}
		l.version = next.etag
		if len(ms) == 1 {
			return nil, nil, l.changeErr(x, aerr)
		}
		m.deliver(nil, l.end(x, l.changeErr(x, aerr)))
	}
	return kept, alone, nil
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
