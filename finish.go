package ifmatch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
)

// Finish, the last stage of every write (see "The write pipeline" in the
// package documentation): once a write has committed, what its answer
// proves is decided here for every path (a PUT, a PATCH, a DELETE; a
// typed method's or Do's; one caller's or a group's), the cache and the
// callers' scopes learn it, and each caller gets its Response. Stats count
// what callers see, once, at the door (account).

// finish records the committed write r (answered x) and returns the version
// and document now current as far as the answer proves them. base is the
// document a PATCH was applied to, when known (nil otherwise). ctxs are the
// contexts of the callers whose changes the write carried: their
// TrackVersions scopes build on the new version from now on.
func (c *Client) finish(t *target, r *request, x *exchange, base []byte, ctxs ...context.Context) snapshot {
	s := c.proven(t, r, x, base)
	if r.method == http.MethodDelete || s.etag == "" {
		// Deleted, or a commit whose answer names no version: never
		// assume the new version.
		c.forget(t)
		return s
	}
	if r.create {
		// Nobody could have read a resource before its Create, and its
		// caller holds the document it wrote: its Put and Delete may
		// replace it without a read.
		c.cache.putRead(t.key, s, x.header.Values("Vary"), t.all)
	} else {
		c.cache.put(t.key, s, x.header.Values("Vary"), t.all)
	}
	for _, ctx := range ctxs {
		if sc := scopeOf(ctx); sc != nil {
			sc.put(t.key, s)
		} else if r.create {
			c.reads.created(t.key, s.etag)
		}
	}
	return s
}

// proven is what a committed write's answer proves, the one rule for every
// write's answer:
//
//   - the answer's body is the document only when it says so: its
//     Content-Location names the target (RFC 9110 section 8.7), or it is a
//     JSON object holding every member of the document expected (the one a
//     PUT sent, or the one a PATCH was applied to), annotations such as
//     "@odata.etag" aside. A status object ({"ok":true}) or a few fields
//     are not the document;
//   - a PUT's answer that is not the document, with an ETag, means the
//     document was stored as sent (RFC 9110 section 9.3.4), unless
//     Options.StoredMayDiffer says the server changes what it stores;
//   - otherwise only the version is known, and the next write that needs
//     the document reads it first.
//
// With Options.VersionField the version is the document's field, or the
// field Options.VersionInAnswer names in a status answer.
func (c *Client) proven(t *target, r *request, x *exchange, base []byte) snapshot {
	if r.method == http.MethodDelete {
		return snapshot{}
	}
	var sent []byte
	expected := base
	if r.method == http.MethodPut {
		sent, expected = r.body, r.body
	}
	trustSent := !c.cfg.StoredMayDiffer
	// An answer that repeats the PUT's body byte for byte is the stored
	// document: known without validating again what this call validated
	// before sending it.
	echoed := sent != nil && len(x.body) > 0 && bytes.Equal(bytes.TrimSpace(x.body), bytes.TrimSpace(sent))
	isDoc := echoed || len(bytes.TrimSpace(x.body)) > 0 && jsonMediaType(x.header) == nil && isDocument(t, expected, x)
	if c.cfg.VersionField != "" {
		// The answer names the new version only if it is the document,
		// version field included (CouchDB answers {"ok":true,...} instead).
		if isDoc {
			if v := c.versionOf(x.header, x.body); v != "" {
				return snapshot{etag: v, body: x.body}
			}
		}
		// Or it names the new version in a field of its own: the document
		// is then what was sent, with that version.
		if c.cfg.VersionInAnswer != "" && sent != nil {
			if v, ok := pointerString(x.body, c.cfg.VersionInAnswer); ok && v != "" {
				val, _ := json.Marshal(v)
				if doc, err := setPointer(sent, c.cfg.VersionField, val); err == nil {
					s := snapshot{etag: v, body: doc}
					if !trustSent {
						s.body = nil
					}
					return s
				}
			}
		}
		return snapshot{}
	}
	s := snapshot{etag: x.header.Get("ETag")}
	switch {
	case isDoc:
		s.body = x.body
	case sent != nil && trustSent:
		s.body = sent
	}
	return s
}

// isDocument reports whether the answer x is the stored document rather
// than a status body: its Content-Location names the target, or it is an
// object with every member of expected (nil: unknown, so not proven),
// annotations ("@odata.etag", "n@odata.type") aside, as an OData service's
// answer is.
func isDocument(t *target, expected []byte, x *exchange) bool {
	if loc := x.header.Get("Content-Location"); loc != "" && sameResource(t.url, loc) {
		return json.Valid(x.body)
	}
	if expected == nil {
		return false
	}
	if bytes.Equal(bytes.TrimSpace(x.body), bytes.TrimSpace(expected)) {
		return true // stored as sent (expected is valid): no decoding
	}
	// Decoding checks the answer is JSON, as it compares the members.
	var want, got map[string]skipped
	if json.Unmarshal(x.body, &got) != nil || got == nil || json.Unmarshal(expected, &want) != nil || want == nil {
		return false
	}
	for k := range want {
		if _, ok := got[k]; !ok && !strings.Contains(k, "@") {
			return false
		}
	}
	return true
}

// skipped is a JSON object member's value, not decoded: isDocument compares
// member names only, and copies no value.
type skipped struct{}

func (*skipped) UnmarshalJSON([]byte) error { return nil }

// committedBody is a successful write's document for its Response: what
// the answer proved (s), else what a PUT sent (never a status body such as
// CouchDB's {"ok":true}). For a DELETE or a PATCH whose answer is not the
// document, it is the answer's body as it came.
func committedBody(s snapshot, r *request, x *exchange) []byte {
	switch {
	case s.body != nil:
		return cloneBytes(s.body)
	case r.method == http.MethodPut:
		return cloneBytes(r.body)
	}
	return x.body
}

// finishGroup ends a group's write: each member gets err, or, when the
// write r committed (answered x), the finished version and document, with
// copies of its own it may modify. base is as for finish.
func (c *Client) finishGroup(t *target, r *request, x *exchange, err error, base []byte, ms []*member) {
	if err != nil {
		deliverAll(ms, nil, err)
		return
	}
	if x.status < 200 || x.status >= 300 {
		return // every member has been answered already
	}
	ctxs := make([]context.Context, len(ms))
	for i, m := range ms {
		ctxs[i] = m.ctx
	}
	s := c.finish(t, r, x, base, ctxs...)
	body := committedBody(s, r, x)
	for i, m := range ms {
		h, b := x.header, body
		if i < len(ms)-1 {
			h, b = h.Clone(), bytes.Clone(b)
		}
		m.deliver(&Response{StatusCode: x.status, Header: h, Body: b, ETag: s.etag}, nil)
	}
}

// forget drops what is known of t's current version: its cache entry, and
// the version last read. It is the one place that answers a version
// conflict, a 404 or 410, or a delete.
func (c *Client) forget(t *target) {
	c.cache.forget(t.key)
	c.reads.forgotten(t.key)
}

// gone forgets t when status says the resource does not exist.
func (c *Client) gone(t *target, status int) {
	if status == http.StatusNotFound || status == http.StatusGone {
		c.forget(t)
	}
}

// account counts the error a call returns to its caller, so that Stats
// counts what callers see: every door calls it once, as the call returns.
func (c *Client) account(ctx context.Context, err error) {
	switch {
	case err == nil:
	case errors.Is(err, ErrOutcomeUnknown):
		c.stats.outcomeUnknown.Add(1)
		if sc := scopeOf(ctx); sc != nil {
			sc.unknown.Store(true)
		}
	case errors.Is(err, ErrConflict):
		c.stats.conflictErrors.Add(1)
		if sc := scopeOf(ctx); sc != nil {
			sc.conflicted.Store(true)
		}
	}
}
