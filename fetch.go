package ifmatch

import (
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strings"
)

// Reading resources: the current version for the conflict loop, and
// learning versions from answers into the cache.

// latest is the newest version known of a resource, with its document
// when known: what a write is rebuilt on (not to be confused with basis,
// the version a caller's write is based on).
type latest struct {
	snapshot
	fresh bool // read from the server during this call, not from the cache
}

// current returns the version to build a write on: the cached one when it
// has what is needed (a document, for ApplyLocally), else a fresh read.
func (c *Client) current(ctx context.Context, t *target, needBody bool) (latest, error) {
	if s, ok := c.cache.get(t.key, t.all); ok && (s.body != nil || !needBody) {
		return latest{snapshot: s}, nil
	}
	return c.fetch(ctx, t, needBody)
}

// fetch reads the resource from the server, bypassing caches on the way
// (Cache-Control: no-cache), and remembers it.
func (c *Client) fetch(ctx context.Context, t *target, needBody bool) (latest, error) {
	r := &request{method: http.MethodGet, url: t.url, header: t.header.Clone()}
	r.header.Set("Cache-Control", "no-cache")
	c.stats.refetches.Add(1)
	x, err := c.send(ctx, r)
	if err != nil {
		return latest{}, err
	}
	if x.status != http.StatusOK {
		c.gone(t, x.status)
		return latest{}, newResponseError(http.MethodGet, t.safeURL(), x)
	}
	if needBody {
		if err := checkDocument(x.header, x.body); err != nil {
			return latest{}, opErr(http.MethodGet, t.url, err)
		}
	}
	v := c.versionOf(x.header, x.body)
	if v == "" {
		c.forget(t)
		return latest{}, c.unversioned(t)
	}
	s := snapshot{etag: v, body: x.body}
	c.cache.put(t.key, s, x.header.Values("Vary"), t.all)
	return latest{snapshot: s, fresh: true}, nil
}

// checkDocument accepts a JSON body whose Content-Type, if any, allows
// JSON.
func checkDocument(h http.Header, body []byte) error {
	if err := jsonMediaType(h); err != nil {
		return err
	}
	if !json.Valid(body) {
		return fmt.Errorf("%w: the document is not valid JSON", ErrInvalidResponse)
	}
	return nil
}

// jsonMediaType accepts a Content-Type, if any, that allows JSON.
func jsonMediaType(h http.Header) error {
	if ct := h.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		ok := err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json") ||
			mt == "application/octet-stream" || mt == "text/plain" || mt == "text/json")
		if !ok {
			return fmt.Errorf("%w: Content-Type %q is not JSON", ErrInvalidResponse, ct)
		}
	}
	return nil
}

// conflictBody returns the current version carried by a conflict answer
// that says it holds the resource's representation (Content-Location equal
// to the request's path, a version and a JSON document), so that no
// refetch is needed.
func (c *Client) conflictBody(t *target, x *exchange) (latest, bool) {
	loc := x.header.Get("Content-Location")
	if loc == "" || len(x.body) == 0 || checkDocument(x.header, x.body) != nil ||
		strings.HasPrefix(x.header.Get("Content-Type"), "application/problem+json") {
		return latest{}, false
	}
	if !sameResource(t.url, loc) {
		return latest{}, false
	}
	v := c.versionOf(x.header, x.body)
	if v == "" {
		return latest{}, false
	}
	s := snapshot{etag: v, body: x.body}
	c.cache.put(t.key, s, x.header.Values("Vary"), t.all)
	return latest{snapshot: s, fresh: true}, true
}
