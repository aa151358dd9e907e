package ifmatch

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strings"
)

// Reading resources: the current version for the conflict loop, and
// learning versions from answers into the cache.

// base is the version a write is built on.
type base struct {
	snapshot
	fresh bool // read from the server during this call, not from the cache
}

// current returns the version to build a write on: the cached one when it
// has what is needed (a document, for ApplyLocally), else a fresh read.
func (c *Client) current(ctx context.Context, t *target, needBody bool) (base, error) {
	if s, ok := c.cache.get(t.key, t.all); ok && (s.body != nil || !needBody) {
		return base{snapshot: s}, nil
	}
	return c.fetch(ctx, t, needBody)
}

// fetch reads the resource from the server, bypassing caches on the way
// (Cache-Control: no-cache), and remembers it.
func (c *Client) fetch(ctx context.Context, t *target, needBody bool) (base, error) {
	r := &request{method: http.MethodGet, url: t.url, header: t.header.Clone()}
	r.header.Set("Cache-Control", "no-cache")
	c.stats.refetches.Add(1)
	x, err := c.send(ctx, r)
	if err != nil {
		return base{}, err
	}
	if x.status != http.StatusOK {
		if x.status == http.StatusNotFound || x.status == http.StatusGone {
			c.cache.forget(t.key)
		}
		return base{}, newResponseError(http.MethodGet, t.safeURL(), x)
	}
	if needBody {
		if err := checkDocument(x.header, x.body); err != nil {
			return base{}, opErr(http.MethodGet, t.url, err)
		}
	}
	v := c.versionOf(x.header, x.body)
	if v == "" {
		c.cache.forget(t.key)
		return base{}, c.unversioned(t)
	}
	s := snapshot{etag: v, body: x.body}
	c.cache.put(t.key, s, x.header.Values("Vary"), t.all)
	return base{snapshot: s, fresh: true}, nil
}

// learnWrite updates the cache from a successful write's answer. sent is
// the document written (nil for PATCH and DELETE). It returns the version
// and the document now current, as far as the answer tells them: the
// answer's document when it carries one (see storedIn: the server may
// store something other than what was sent, with fields it manages,
// annotations dropped, properties a PUT omitted kept), the sent document
// only when a PUT's answer does not and the server is trusted to store
// what it is sent (Options.StoredMayDiffer), else the version alone, so
// that the next local apply reads the document first.
func (c *Client) learnWrite(t *target, method string, sent []byte, x *exchange) snapshot {
	if method == http.MethodDelete {
		c.cache.forget(t.key)
		return snapshot{}
	}
	trustSent := !c.cfg.StoredMayDiffer
	var s snapshot
	// An answer that repeats the PUT's body byte for byte is the stored
	// document (storedIn): what the cases below would conclude, without
	// validating a document this call has already validated or sent.
	echoed := trustSent && method == http.MethodPut && c.cfg.VersionField == "" && sent != nil &&
		len(x.body) > 0 && bytes.Equal(bytes.TrimSpace(x.body), bytes.TrimSpace(sent))
	answerIsDoc := echoed || len(bytes.TrimSpace(x.body)) > 0 && checkDocument(x.header, x.body) == nil
	switch {
	case c.cfg.VersionField != "":
		// The answer names the new version only if it is the document,
		// version field included (CouchDB answers {"ok":true,...} instead).
		if answerIsDoc {
			if v := c.versionOf(x.header, x.body); v != "" {
				s = snapshot{etag: v, body: x.body}
				break
			}
		}
		// Or it names the new version in a field of its own: the document
		// is then what was sent, with that version.
		if c.cfg.VersionInAnswer != "" && sent != nil {
			if v, ok := pointerString(x.body, c.cfg.VersionInAnswer); ok && v != "" {
				val, _ := json.Marshal(v)
				if doc, err := setPointer(sent, c.cfg.VersionField, val); err == nil {
					s = snapshot{etag: v, body: doc}
					if !trustSent {
						s.body = nil
					}
				}
			}
		}
	case answerIsDoc && (sent == nil || storedIn(t, sent, x)):
		s = snapshot{etag: x.header.Get("ETag"), body: x.body}
	case method == http.MethodPut:
		// RFC 9110 section 9.3.4: an ETag in the answer to PUT means the
		// document was stored as sent.
		s = snapshot{etag: x.header.Get("ETag")}
		if trustSent {
			s.body = sent
		}
	default:
		s = snapshot{etag: x.header.Get("ETag")}
	}
	if s.etag == "" {
		// Never assume the new version.
		c.cache.forget(t.key)
		return snapshot{body: s.body}
	}
	// The cache keeps its own copy: the caller's Response gets another.
	c.cache.put(t.key, s, x.header.Values("Vary"), t.all)
	return s
}

// storedIn reports whether the answer x to a PUT of sent is the stored
// document rather than a status body such as CouchDB's {"ok":true,...}:
// its Content-Location names the target (RFC 9110 section 8.7), or it is
// an object with every member the PUT sent, annotations ("@odata.etag",
// "n@odata.type") aside, as an OData service's answer is.
func storedIn(t *target, sent []byte, x *exchange) bool {
	if bytes.Equal(bytes.TrimSpace(x.body), bytes.TrimSpace(sent)) {
		return true // stored as sent: the common case, no decoding
	}
	if loc := x.header.Get("Content-Location"); loc != "" && sameResource(t.url, loc) {
		return true
	}
	var out, in map[string]json.RawMessage
	if json.Unmarshal(x.body, &in) != nil || in == nil || json.Unmarshal(sent, &out) != nil || out == nil {
		return false
	}
	for k := range out {
		if _, ok := in[k]; !ok && !strings.Contains(k, "@") {
			return false
		}
	}
	return true
}

// checkDocument accepts a JSON body whose Content-Type, if any, allows
// JSON.
func checkDocument(h http.Header, body []byte) error {
	if ct := h.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		ok := err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json") ||
			mt == "application/octet-stream" || mt == "text/plain" || mt == "text/json")
		if !ok {
			return fmt.Errorf("%w: Content-Type %q is not JSON", ErrInvalidResponse, ct)
		}
	}
	if !json.Valid(body) {
		return fmt.Errorf("%w: the document is not valid JSON", ErrInvalidResponse)
	}
	return nil
}

// conflictBody returns the current version carried by a conflict answer
// that says it holds the resource's representation (Content-Location equal
// to the request's path, a version and a JSON document), so that no
// refetch is needed.
func (c *Client) conflictBody(t *target, x *exchange) (base, bool) {
	loc := x.header.Get("Content-Location")
	if loc == "" || len(x.body) == 0 || checkDocument(x.header, x.body) != nil ||
		strings.HasPrefix(x.header.Get("Content-Type"), "application/problem+json") {
		return base{}, false
	}
	if !sameResource(t.url, loc) {
		return base{}, false
	}
	v := c.versionOf(x.header, x.body)
	if v == "" {
		return base{}, false
	}
	s := snapshot{etag: v, body: x.body}
	c.cache.put(t.key, s, x.header.Values("Vary"), t.all)
	return base{snapshot: s, fresh: true}, true
}
