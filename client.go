package ifmatch

import (
	"context"
	"net/http"
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

// Get reads a resource and remembers its version. A resource already in
// the cache is revalidated with If-None-Match, and a 304 is answered from
// the cache as 200. Errors: *ResponseError for non-2xx answers (404
// included), ErrTooLarge, the context's error.
func (c *Client) Get(ctx context.Context, url string, opts ...CallOption) (resp *Response, err error) {
	ctx, end := c.startCall(ctx, "Get", http.MethodGet, url)
	defer func() { endCall(end, resp, err) }()
	t, err := c.target(url, opts)
	if err != nil {
		return nil, err
	}
	r := &request{method: http.MethodGet, url: url, header: t.header.Clone()}
	cached, ok := c.cache.get(t.key, t.all)
	if sc := scopeOf(ctx); sc != nil {
		// Revalidate what this operation read, so that a 304 returns it.
		if s, in := sc.get(t.key); in {
			cached, ok = s, true
		}
	}
	if ok && cached.body != nil && c.cfg.VersionField == "" {
		r.header.Set("If-None-Match", cached.etag)
	}
	x, err := c.send(ctx, r)
	if err != nil {
		return nil, err
	}
	switch {
	case x.status == http.StatusNotModified && ok && cached.body != nil:
		c.cache.putRead(t.key, cached, x.header.Values("Vary"), t.all)
		learned(ctx, t, cached)
		return &Response{StatusCode: http.StatusOK, Header: x.header, Body: cloneBytes(cached.body), ETag: cached.etag}, nil
	case x.status >= 200 && x.status < 300:
		v := c.versionOf(x.header, x.body)
		if v == "" {
			c.cache.forget(t.key)
		} else {
			s := snapshot{etag: v, body: x.body}
			c.cache.putRead(t.key, s, x.header.Values("Vary"), t.all)
			learned(ctx, t, s)
		}
		return &Response{StatusCode: x.status, Header: x.header, Body: cloneBytes(x.body), ETag: v}, nil
	}
	if x.status == http.StatusNotFound || x.status == http.StatusGone {
		c.cache.forget(t.key)
	}
	return nil, newResponseError(http.MethodGet, t.safeURL(), x)
}

// CloseIdleConnections closes the idle connections of the *http.Client the
// Client uses.
func (c *Client) CloseIdleConnections() { c.cfg.httpClient.CloseIdleConnections() }

func cloneBytes(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte(nil), b...)
}
