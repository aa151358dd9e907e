package ifmatch

import (
	"context"
	"net/url"
)

// The version a write carries, decided here for every write path (Put,
// Delete, Patch, MergePatch, Update, Modify, Do), in this order:
//
//  1. the version the caller gave for this call: IfMatch, its own If-Match
//     header, or, with Options.VersionField, the version field of the
//     document it puts (or VersionParam in the URL it deletes); never
//     replaced;
//  2. inside TrackVersions(ctx), the version that scope read;
//  3. otherwise, for Put and Delete, which replace what their caller read:
//     the version a Get of this Client last returned for the resource.
//     Writes, this Client's own included, never move it, so Get → another
//     write → Put of the Get's edited body is refused (ErrConflict), never
//     an overwrite. Patch, MergePatch, Update and Modify, which are
//     recomputed on whatever version is current, start from the newest
//     version the Client knows.
//
// A change built from what its caller read (1 and 2) is reapplied after a
// conflict only where that reading still holds (see guarded).

// origin says where a write's version came from.
type origin int

const (
	fromLatest origin = iota // the newest version this Client knows
	fromRead                 // the version a caller last read (Put and Delete)
	fromScope                // the version a TrackVersions scope read
	fromCaller               // the version the caller gave for the call
)

// basis is the version a write is based on, and the document at that
// version when it is known.
type basis struct {
	snapshot
	origin origin
}

// pinned reports whether the caller's own reading fixed the version.
func (b basis) pinned() bool { return b.origin == fromScope || b.origin == fromCaller }

// basisFor returns the version a write to t carries. replace is true for
// Put and Delete; doc is the document a Put sends (nil otherwise). ok is
// false when no version is known; for a rebased change (replace false)
// without a caller's or scope's version it is false too, and the loop takes
// the newest version when it builds the write.
func (c *Client) basisFor(ctx context.Context, t *target, replace bool, doc []byte) (basis, bool) {
	if v := c.callerVersion(t, doc); v != "" {
		return basis{snapshot: snapshot{etag: v, body: c.documentAt(ctx, t, v)}, origin: fromCaller}, true
	}
	if sc := scopeOf(ctx); sc != nil {
		if s, ok := sc.get(t.key); ok {
			return basis{snapshot: s, origin: fromScope}, true
		}
	}
	if replace {
		s, ok := c.cache.getRead(t.key, t.all)
		return basis{snapshot: s, origin: fromRead}, ok
	}
	// A rebased change reads the newest version where it builds its write
	// (current, in the loop): reading it here too would cost a cache look-up
	// on every write and count it twice in Stats.
	return basis{origin: fromLatest}, false
}

// callerVersion is the version the caller gave for this call, "" if none.
func (c *Client) callerVersion(t *target, doc []byte) string {
	if t.ifMatch != "" {
		return t.ifMatch
	}
	if c.cfg.VersionField == "" {
		return ""
	}
	if doc != nil {
		if v, ok := pointerString(doc, c.cfg.VersionField); ok {
			return v
		}
	}
	if c.cfg.VersionParam != "" {
		if u, err := url.Parse(t.url); err == nil {
			return u.Query().Get(c.cfg.VersionParam)
		}
	}
	return ""
}

// documentAt returns the document at version v if this Client (or the
// call's scope) holds it, else nil.
func (c *Client) documentAt(ctx context.Context, t *target, v string) []byte {
	if sc := scopeOf(ctx); sc != nil {
		if s, ok := sc.get(t.key); ok && s.etag == v {
			return s.body
		}
	}
	if s, ok := c.cache.get(t.key, t.all); ok && s.etag == v {
		return s.body
	}
	if s, ok := c.cache.getRead(t.key, t.all); ok && s.etag == v {
		return s.body
	}
	return nil
}

// learned records, in the call's scope, the version and document a call
// read or committed: what the operation builds on from now on.
func learned(ctx context.Context, t *target, s snapshot) {
	if sc := scopeOf(ctx); sc != nil && s.etag != "" {
		sc.put(t.key, s)
	}
}
