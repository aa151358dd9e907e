package ifmatch

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
)

// Plan, the first stage of every write (see "The write pipeline" in the
// package documentation). Whichever door a write comes in by (a typed
// method, Do and StandardClient, the CLI), it is described as a write and
// planned here, once: the version it carries, the guard on a change built
// from what its caller read, and how it is sent. drive (loop.go) then runs
// the conflict loop, and finish (finish.go) decides what the answer proves.

// writeKind is what a write asks for.
type writeKind int

const (
	kindCreate  writeKind = iota // PUT with If-None-Match: *
	kindReplace                  // PUT or DELETE of the version its caller read
	kindChange                   // a patch or a function, recomputed on each fresh version
	kindRaw                      // a request of the caller's (Do) that ifmatch cannot version: sent as it is
)

// write is one write as its caller asked for it.
type write struct {
	kind   writeKind
	t      *target
	req    *request // create, replace and raw: the request to send (replace: without its version yet)
	change change   // kindChange: the change
	patch  []byte   // kindChange: the patch as its caller wrote it (nil for a function)
	media  string   // kindChange: contentJSONPatch or contentMergePatch for a patch
	do     bool     // it came through Do: answers are the caller's to read, patches are sent as PATCH
}

// strategy is how a planned write is sent.
type strategy int

const (
	sendAsIs    strategy = iota // one request; a conflict ends the call
	applyHere                   // applied to the current document here and PUT; rebased on conflict
	sendAsPatch                 // sent as a PATCH the server applies; rebased on conflict
)

// plan is a write with its version and strategy decided.
type plan struct {
	*write
	how   strategy
	basis basis
}

// plan decides the version w carries, guards a change built from what its
// caller read, and picks how w is sent. Nothing has been sent when it
// returns an error.
func (c *Client) plan(ctx context.Context, w *write) (*plan, error) {
	p := &plan{write: w}
	t := w.t
	switch w.kind {
	case kindCreate, kindRaw:
		return p, nil
	case kindReplace:
		b, err := c.basisFor(ctx, t, true, w.req)
		if err != nil {
			return nil, err
		}
		p.basis = b
		// A typed Put's document was checked already (documentRequest);
		// Do's body may be anything.
		if c.cfg.ThreeWayPut && w.req.method == http.MethodPut && b.body != nil && (!w.do || json.Valid(w.req.body)) {
			p.how, p.change = applyHere, &threeWayChange{base: b.body, ours: w.req.body, resolve: c.cfg.Resolve}
			return p, nil
		}
		if b.etag == "" {
			return p, nil // Do's write of a resource never read: the caller's own, sent as it is
		}
		return p, c.withVersion(w.req, b.etag, "application/json")
	}
	b, _ := c.basisFor(ctx, t, false, nil)
	if b.origin == fromScope && w.patch == nil {
		// A function reads the fresh document itself: a scope need not fix
		// its version. A version the caller gave does.
		b.origin = fromLatest
	}
	method := http.MethodPut
	if w.patch != nil && (w.do || c.patchMethod() == http.MethodPatch) {
		p.how, method = sendAsPatch, http.MethodPatch
	} else {
		p.how = applyHere
	}
	ch, err := c.guard(ctx, t, b, w.change, method)
	if err != nil {
		return nil, err
	}
	p.change = ch
	if p.how == sendAsPatch && b.pinned() {
		p.basis = b // such a patch is written alone, from that version
	}
	return p, nil
}

// The version a write carries is decided by basisFor for every write, in
// the order the package documentation states ("The version a write
// carries"): the caller's (callerVersion), the scope's, then, for a
// replace, what reads handed out (claimRead, reads.go). A change built on
// the caller's or the scope's version is guarded (guard.go).

// origin says where a write's version came from.
type origin int

const (
	fromLatest origin = iota // the newest version this Client knows
	fromRead                 // the version reads handed out (Put and Delete)
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

// pinnedByCaller reports whether the caller gave the version itself.
func (b basis) pinnedByCaller() bool { return b.origin == fromCaller }

// basisFor returns the version a write to t carries. replace is true for
// Put and Delete, whose request r it reads the caller's version from. For
// a replace the error says why no version can be had (ErrNoVersion);
// through Do a resource never read is no error, and the basis is empty. A
// rebased change (replace false) without a caller's or scope's version
// takes the newest version where it builds its write.
func (c *Client) basisFor(ctx context.Context, t *target, replace bool, r *request) (basis, error) {
	var doc []byte
	if r != nil && r.method == http.MethodPut {
		doc = r.body
	}
	if v := c.callerVersion(t, doc); v != "" {
		return basis{snapshot: snapshot{etag: v, body: c.documentAt(ctx, t, v)}, origin: fromCaller}, nil
	}
	if sc := scopeOf(ctx); sc != nil {
		if s, ok := sc.get(t.key); ok {
			return basis{snapshot: s, origin: fromScope}, nil
		}
	}
	if !replace {
		// A rebased change reads the newest version where it builds its
		// write (current, in the loop): reading it here too would cost a
		// cache look-up on every write and count it twice in Stats.
		return basis{origin: fromLatest}, nil
	}
	s, err := c.claimRead(t, r.method, r.raw)
	return basis{snapshot: s, origin: fromRead}, err
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
