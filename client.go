package ifmatch

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
)

// Client writes JSON resources with optimistic concurrency: it remembers
// the version (ETag) of every resource it sees, sends it as If-Match on
// every write, and on a conflict refetches the resource, reapplies the
// caller's change and retries with backoff.
//
// A Client is safe for concurrent use by multiple goroutines; share one
// per process (and per principal, if credentials live in the HTTP
// client's transport). Methods return *ConflictError for unresolved
// conflicts, *OutcomeUnknownError when a lost answer leaves a write's fate
// open, *ResponseError for other non-2xx answers, and the context's error
// when it ends.
type Client struct {
	cfg   config
	cache *etagCache
	lanes lanes
	heat  contention
	stats counters
	// retryLog is go-retryablehttp's view of cfg.Logger.
	retryLog slogLeveled
	// traceSeen records that the transport reports written requests
	// (httptrace), so that a failure without that report means the request
	// was not sent.
	traceSeen atomic.Bool
}

// New returns a Client. nil opts means all defaults.
func New(opts *Options) *Client {
	var o Options
	if opts != nil {
		o = *opts
	}
	cfg := o.resolve()
	c := &Client{cfg: cfg, cache: newETagCache(cfg.CacheEntries, cfg.CacheBytes), retryLog: slogLeveled{cfg.Logger}}
	switch cfg.httpClient.Transport.(type) {
	case nil, *http.Transport:
		c.traceSeen.Store(true) // net/http's transport reports every written request
	}
	return c
}

// Response is a successful call's answer.
type Response struct {
	StatusCode int
	Header     http.Header
	Body       []byte // the document: for writes, the committed one as far as the answer tells it
	ETag       string // the version now current; "" when the answer did not say
	Attempts   int    // write requests sent for this call, transport retries and the successful one included
}

// CallOption adjusts one call.
type CallOption func(*callConfig)

type callConfig struct {
	header http.Header
}

// WithHeader adds a request header to every request of one call, such as
// the caller's Authorization. Credential headers partition the cache.
func WithHeader(key, value string) CallOption {
	return func(c *callConfig) {
		if c.header == nil {
			c.header = http.Header{}
		}
		c.header.Add(key, value)
	}
}

// target is a resource as one call addresses it.
type target struct {
	url    string      // as the caller gave it
	key    cacheKey    // the cache's name for it
	lane   laneKey     // the group-commit queue it writes through
	header http.Header // the call's own headers
	all    http.Header // Options.Header and the call's own: what selects a Vary variant
}

func (c *Client) target(rawURL string, opts []CallOption) (*target, error) {
	canon, err := canonicalURL(rawURL)
	if err != nil {
		return nil, err
	}
	var cc callConfig
	for _, o := range opts {
		o(&cc)
	}
	all := cc.header
	if len(c.cfg.Header) > 0 {
		all = c.cfg.Header.Clone()
		for k, v := range cc.header {
			all[k] = v
		}
	}
	if all == nil {
		all = http.Header{}
	}
	t := &target{url: rawURL, header: cc.header, all: all, key: cacheKey{url: canon, principal: principalOf(all)}}
	if t.header == nil {
		t.header = http.Header{}
	}
	t.lane = laneKey{cacheKey: t.key, extra: headerFingerprint(cc.header)}
	return t, nil
}

// safeURL is the target's URL for errors and logs, computed only when
// one is needed.
func (t *target) safeURL() string { return redactURL(t.url) }

func headerFingerprint(h http.Header) string {
	if len(h) == 0 {
		return ""
	}
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s:%q\n", k, h[k])
	}
	return b.String()
}

// Get reads a resource and remembers its version. A resource already in
// the cache is revalidated with If-None-Match, and a 304 is answered from
// the cache as 200. Errors: *ResponseError for non-2xx answers (404
// included), ErrTooLarge, the context's error.
func (c *Client) Get(ctx context.Context, url string, opts ...CallOption) (*Response, error) {
	t, err := c.target(url, opts)
	if err != nil {
		return nil, err
	}
	r := &request{method: http.MethodGet, url: url, header: t.header.Clone()}
	cached, ok := c.cache.get(t.key, t.all)
	if ok && cached.body != nil && c.cfg.VersionField == "" {
		r.header.Set("If-None-Match", cached.etag)
	}
	x, err := c.send(ctx, r)
	if err != nil {
		return nil, err
	}
	switch {
	case x.status == http.StatusNotModified && ok:
		return &Response{StatusCode: http.StatusOK, Header: x.header, Body: cloneBytes(cached.body), ETag: cached.etag}, nil
	case x.status >= 200 && x.status < 300:
		v := c.versionOf(x.header, x.body)
		if v == "" {
			c.cache.forget(t.key)
		} else {
			c.cache.put(t.key, snapshot{etag: v, body: x.body}, x.header.Values("Vary"), t.all)
		}
		return &Response{StatusCode: x.status, Header: x.header, Body: cloneBytes(x.body), ETag: v}, nil
	}
	if x.status == http.StatusNotFound || x.status == http.StatusGone {
		c.cache.forget(t.key)
	}
	return nil, newResponseError(http.MethodGet, t.safeURL(), x)
}

// Create writes a new resource with PUT and If-None-Match: *. If the
// resource exists the answer is a *ConflictError (ErrConflict), never
// retried. Errors: ErrInvalidChange for a body that is not JSON (nothing
// sent), *ConflictError, *OutcomeUnknownError, *ResponseError, the
// context's error.
func (c *Client) Create(ctx context.Context, url string, body []byte, opts ...CallOption) (*Response, error) {
	t, r, err := c.documentWrite(url, body, opts)
	if err != nil {
		return nil, err
	}
	if c.cfg.VersionField == "" {
		r.header.Set("If-None-Match", "*")
	}
	r.conditional = true
	return c.writeOnce(ctx, t, r, "")
}

// Put replaces the version of a resource this Client last saw. A stale
// version is a *ConflictError and is never overwritten; with no version
// known, Put returns ErrNoVersion and sends nothing. With
// Options.ThreeWayPut, a stale Put is rebased instead when its edit and the
// concurrent one touch different fields. Errors: as Create, plus
// ErrNoVersion.
func (c *Client) Put(ctx context.Context, url string, body []byte, opts ...CallOption) (*Response, error) {
	t, r, err := c.documentWrite(url, body, opts)
	if err != nil {
		return nil, err
	}
	s, ok := c.cache.get(t.key, t.all)
	if !ok {
		return nil, fmt.Errorf("ifmatch: PUT %s: %w", t.safeURL(), ErrNoVersion)
	}
	if c.cfg.ThreeWayPut && s.body != nil {
		return c.submit(ctx, t, &threeWayChange{base: s.body, ours: r.body, resolve: c.cfg.Resolve})
	}
	if err := c.withVersion(r, s.etag, "application/json"); err != nil {
		return nil, err
	}
	return c.writeOnce(ctx, t, r, s.etag)
}

// Delete deletes the version of a resource this Client last saw. A stale
// version is a *ConflictError; with no version known it returns
// ErrNoVersion and sends nothing.
func (c *Client) Delete(ctx context.Context, url string, opts ...CallOption) (*Response, error) {
	t, err := c.target(url, opts)
	if err != nil {
		return nil, err
	}
	s, ok := c.cache.get(t.key, t.all)
	if !ok {
		return nil, fmt.Errorf("ifmatch: DELETE %s: %w", t.safeURL(), ErrNoVersion)
	}
	if c.cfg.VersionField != "" && c.cfg.VersionParam == "" {
		return nil, fmt.Errorf("ifmatch: DELETE %s: with VersionField set, Delete needs VersionParam to carry the version: %w", t.safeURL(), ErrUnversioned)
	}
	r := &request{method: http.MethodDelete, url: url, header: t.header.Clone()}
	if err := c.withVersion(r, s.etag, ""); err != nil {
		return nil, err
	}
	return c.writeOnce(ctx, t, r, s.etag)
}

// Patch applies an RFC 6902 JSON Patch. On a conflict the same patch is
// applied to the fresh document and written again; a failing "test"
// operation is a *ConflictError matching ErrTestFailed, returned at once.
// An invalid patch is ErrInvalidChange before anything is sent. With
// ApplyLocally (the default) the patched document is PUT; with SendPatch
// the patch is sent with PATCH.
func (c *Client) Patch(ctx context.Context, url string, patch []byte, opts ...CallOption) (*Response, error) {
	t, err := c.target(url, opts)
	if err != nil {
		return nil, err
	}
	if err := c.checkSize(patch); err != nil {
		return nil, err
	}
	p, err := newJSONPatch(patch)
	if err != nil {
		return nil, err
	}
	if c.cfg.PatchStrategy == SendPatch {
		return c.sendPatch(ctx, t, p, patch, contentJSONPatch)
	}
	return c.submit(ctx, t, p)
}

// MergePatch applies an RFC 7396 merge patch, rebased on conflict like
// Patch. A patch that is not JSON is ErrInvalidChange before anything is
// sent.
func (c *Client) MergePatch(ctx context.Context, url string, patch []byte, opts ...CallOption) (*Response, error) {
	t, err := c.target(url, opts)
	if err != nil {
		return nil, err
	}
	if err := c.checkSize(patch); err != nil {
		return nil, err
	}
	p, err := newMergePatch(patch)
	if err != nil {
		return nil, err
	}
	if c.cfg.PatchStrategy == SendPatch {
		return c.sendPatch(ctx, t, p, patch, contentMergePatch)
	}
	return c.submit(ctx, t, p)
}

// Update reads the current document, passes it to mutate and PUTs what
// mutate returns with If-Match. On a conflict mutate runs again on the
// fresh document, so it is called once per attempt and must be free of
// side effects; it gets a copy it may modify. If mutate returns
// ErrNoChange, Update returns the current document (Attempts 0) and nil;
// any other error from mutate is returned as is, nothing written.
func (c *Client) Update(ctx context.Context, url string, mutate func(current []byte) ([]byte, error), opts ...CallOption) (*Response, error) {
	t, err := c.target(url, opts)
	if err != nil {
		return nil, err
	}
	return c.submit(ctx, t, mutation(mutate))
}

// CloseIdleConnections closes the idle connections of the *http.Client the
// Client uses.
func (c *Client) CloseIdleConnections() { c.cfg.httpClient.CloseIdleConnections() }

const (
	contentJSONPatch  = "application/json-patch+json"
	contentMergePatch = "application/merge-patch+json"
)

// documentWrite validates a whole-document body and prepares its PUT.
func (c *Client) documentWrite(url string, body []byte, opts []CallOption) (*target, *request, error) {
	t, err := c.target(url, opts)
	if err != nil {
		return nil, nil, err
	}
	if err := c.checkSize(body); err != nil {
		return nil, nil, err
	}
	if !json.Valid(body) {
		return nil, nil, fmt.Errorf("%w: PUT %s: the body is not valid JSON", ErrInvalidChange, t.safeURL())
	}
	r := &request{method: http.MethodPut, url: url, header: t.header.Clone(), body: cloneBytes(body)}
	r.header.Set("Content-Type", "application/json")
	return t, r, nil
}

func (c *Client) checkSize(body []byte) error {
	if c.cfg.MaxBodyBytes >= 0 && int64(len(body)) > c.cfg.MaxBodyBytes {
		return fmt.Errorf("%w: %d bytes, more than MaxBodyBytes (%d)", ErrTooLarge, len(body), c.cfg.MaxBodyBytes)
	}
	return nil
}

func cloneBytes(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte(nil), b...)
}
