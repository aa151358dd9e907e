package ifmatch

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
)

// Client writes JSON resources with optimistic concurrency: it remembers
// the version (ETag) of every resource it sees, sends it as If-Match on
// every write, and on a conflict refetches the resource, reapplies the
// caller's change and retries with backoff.
//
// The zero value is a Client with every default, as New(nil) returns; a
// Client must not be copied after first use. A Client is safe for
// concurrent use by multiple goroutines; share one per process (and per
// principal, if credentials live in the HTTP client's transport). Methods
// return *ConflictError for unresolved conflicts, *OutcomeUnknownError
// when a lost answer leaves a write's fate open, *ResponseError for other
// non-2xx answers (matching ErrNotFound for a 404), and, when the context
// ends, an error naming the call that matches the context's error.
type Client struct {
	// once resolves the configuration: in New, or at a zero-value
	// Client's first use (ready).
	once       sync.Once
	cfg        config
	cache      *etagCache
	reads      *readLedger // which versions reads handed out (reads.go)
	lanes      lanes
	turns      turns // RetryOnConflict's retries, one at a time per resource
	contention contention
	stats      counters
	// solo numbers the calls with a backoff of their own, which never
	// share a group's write.
	solo atomic.Uint64
	// retryLog is go-retryablehttp's view of cfg.Logger.
	retryLog slogLeveled
	// traceSeen records that the transport reports written requests
	// (httptrace), so that a failure without that report means the request
	// was not sent.
	traceSeen atomic.Bool
}

// New returns a Client configured by opts; nil opts means all defaults.
// New panics if opts.Validate reports a mistake, as regexp.MustCompile
// does for a bad pattern: Options are the program's own constants, and a
// mistake in them should stop it at once, not surface at the first call as
// an unrelated error. Options built from input (flags, a config file)
// should be checked with Validate first.
func New(opts *Options) *Client {
	var o Options
	if opts != nil {
		o = *opts
	}
	if err := o.Validate(); err != nil {
		panic(err)
	}
	c := &Client{}
	c.once.Do(func() { c.setup(o) })
	return c
}

// ready makes a zero-value Client usable, with every default, on its first
// use; every entry point calls it (target does, for the calls that take a
// URL). It is a no-op for a Client from New.
func (c *Client) ready() {
	c.once.Do(func() { c.setup(Options{}) })
}

// setup resolves o into the Client's configuration.
func (c *Client) setup(o Options) {
	c.cfg = o.resolve()
	c.cache = newETagCache(c.cfg.CacheEntries, c.cfg.CacheBytes)
	c.reads = newReadLedger(c.cfg.CacheEntries)
	c.retryLog = slogLeveled{c.cfg.Logger}
	switch c.cfg.httpClient.Transport.(type) {
	case nil, *http.Transport:
		c.traceSeen.Store(true) // net/http's transport reports every written request
	}
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
	defer func() { c.endCall(ctx, end, resp, err) }()
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
		c.handedOut(ctx, t, cached, x.header)
		return &Response{StatusCode: http.StatusOK, Header: x.header, Body: cloneBytes(cached.body), ETag: cached.etag}, nil
	case x.status >= 200 && x.status < 300:
		if err := checkDocument(x.header, x.body); err != nil {
			c.forget(t)
			return nil, opErr(http.MethodGet, t.url, err)
		}
		s := snapshot{etag: c.versionOf(x.header, x.body), body: x.body}
		c.handedOut(ctx, t, s, x.header)
		return &Response{StatusCode: x.status, Header: x.header, Body: cloneBytes(x.body), ETag: s.etag}, nil
	}
	c.gone(t, x.status)
	return nil, newResponseError(http.MethodGet, t.safeURL(), x)
}

// handedOut records what a read (Get, a GET through Do) gave its caller:
// the version a Put or Delete of the caller's may be based on, in the
// call's scope, or else in the cache and the read ledger (reads.go). An
// answer without a version forgets the resource: never assume one.
func (c *Client) handedOut(ctx context.Context, t *target, s snapshot, h http.Header) {
	if s.etag == "" {
		c.forget(t)
		return
	}
	c.cache.putRead(t.key, s, h.Values("Vary"), t.all)
	if sc := scopeOf(ctx); sc != nil {
		sc.put(t.key, s)
		return
	}
	c.reads.handedOut(t.key, s.etag)
}

// CloseIdleConnections closes the idle connections of the *http.Client the
// Client uses.
func (c *Client) CloseIdleConnections() {
	c.ready()
	c.cfg.httpClient.CloseIdleConnections()
}

func cloneBytes(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte(nil), b...)
}
