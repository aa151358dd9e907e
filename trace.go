package ifmatch

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
)

// Tracer observes calls and the HTTP requests they send, for tracing: the
// module github.com/ifmatch/ifmatch/otelifmatch implements it with
// OpenTelemetry spans, so that this module does not depend on
// OpenTelemetry. Its methods must be fast and safe for concurrent use.
type Tracer interface {
	// StartCall is called as a call begins (Get, Create, Put, Delete,
	// Patch, MergePatch, Update, [Modify], Do). The context it returns is the
	// call's from then on: its requests, [Options.OnConflict],
	// [Options.OnRetry] and the Logger see it; it must be derived from ctx.
	// end is called once, as the call returns.
	StartCall(ctx context.Context, call CallInfo) (context.Context, func(CallEnd))

	// StartRequest is called before each HTTP request a call sends: writes,
	// reads, refetches, transport retries and redirects. The context it
	// returns is the request's, and must be derived from ctx (which
	// carries what the Client needs to know whether the request was sent). req.Header is the request's own copy: the
	// [Tracer] may add headers to it (trace propagation). end is called once,
	// with the answer's status code (0 if none) and the error, when the
	// answer's body has been read, or at once on an error.
	StartRequest(ctx context.Context, req *http.Request, info RequestInfo) (context.Context, func(status int, err error))
}

// CallInfo describes a call as it begins, for [Tracer.StartCall].
type CallInfo struct {
	Name   string // the method called: "Get", "Put", "Modify", "Do", ...
	Method string // the HTTP method of its write ("GET" for Get)
	URL    string // without userinfo or query values
}

// CallEnd describes how a call ended, for [Tracer.StartCall].
type CallEnd struct {
	StatusCode int   // the final answer's status; 0 when there was none
	Attempts   int   // write requests sent, as Response.Attempts and ConflictError.Attempts
	Err        error // nil when the call succeeded
}

// RequestInfo describes one HTTP request, for [Tracer.StartRequest].
type RequestInfo struct {
	Method string
	URL    string // without userinfo or query values
	Retry  int    // 0 for a request's first try, n for its n-th transport retry
}

// startCall begins a call with the Tracer, if any. end takes the call's
// outcome.
func (c *Client) startCall(ctx context.Context, name, method, url string) (context.Context, func(status, attempts int, err error)) {
	t := c.cfg.Tracer
	if t == nil {
		return ctx, noEnd
	}
	ctx, end := t.StartCall(ctx, CallInfo{Name: name, Method: method, URL: redactURL(url)})
	return ctx, func(status, attempts int, err error) {
		if err != nil {
			var ce *ConflictError
			var re *ResponseError
			switch {
			case errors.As(err, &ce):
				status, attempts = ce.StatusCode, ce.Attempts
			case errors.As(err, &re):
				status = re.StatusCode
			}
		}
		end(CallEnd{StatusCode: status, Attempts: attempts, Err: err})
	}
}

func noEnd(int, int, error) {}

// endCall ends a call from its Response: the one place a call's error is
// counted (account) and reported to the Tracer.
func (c *Client) endCall(ctx context.Context, end func(int, int, error), resp *Response, err error) {
	c.account(ctx, err)
	if resp != nil {
		end(resp.StatusCode, resp.Attempts, err)
		return
	}
	end(0, 0, err)
}

// endDo ends a Do call from its answer, as endCall does.
func (c *Client) endDo(ctx context.Context, end func(int, int, error), resp *http.Response, err error) {
	c.account(ctx, err)
	if resp != nil {
		end(resp.StatusCode, 0, err)
		return
	}
	end(0, 0, err)
}

// tracedClient returns the HTTP client for one request: hc itself without
// a Tracer, else a copy whose transport reports each try to the Tracer.
// retry says which try of the request is being sent.
func (c *Client) tracedClient(hc *http.Client, retry *int) *http.Client {
	if c.cfg.Tracer == nil {
		return hc
	}
	cp := *hc
	cp.Transport = &tracingTransport{base: hc.Transport, t: c.cfg.Tracer, retry: retry}
	return &cp
}

// tracingTransport reports each round trip to a Tracer.
type tracingTransport struct {
	base  http.RoundTripper // nil: http.DefaultTransport
	t     Tracer
	retry *int
}

func (tt *tracingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := tt.base
	if base == nil {
		base = http.DefaultTransport
	}
	// A RoundTripper must not change the caller's request: the Tracer gets
	// a copy with its own headers.
	r := req.Clone(req.Context())
	ctx, end := tt.t.StartRequest(req.Context(), r, RequestInfo{Method: req.Method, URL: redactURL(req.URL.String()), Retry: *tt.retry})
	resp, err := base.RoundTrip(r.WithContext(ctx))
	if err != nil {
		end(0, err)
		return resp, err
	}
	resp.Body = &endOnClose{ReadCloser: resp.Body, status: resp.StatusCode, end: end}
	return resp, nil
}

// CloseIdleConnections closes the base transport's idle connections, as
// http.Client.CloseIdleConnections would without the Tracer.
func (tt *tracingTransport) CloseIdleConnections() {
	base := tt.base
	if base == nil {
		base = http.DefaultTransport
	}
	if ci, ok := base.(interface{ CloseIdleConnections() }); ok {
		ci.CloseIdleConnections()
	}
}

// endOnClose ends a request's report when its body is read to the end or
// closed, whichever comes first.
type endOnClose struct {
	io.ReadCloser
	status int
	once   sync.Once
	end    func(int, error)
}

func (b *endOnClose) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.once.Do(func() { b.end(b.status, nil) })
	} else if err != nil {
		b.once.Do(func() { b.end(b.status, err) })
	}
	return n, err
}

func (b *endOnClose) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(func() { b.end(b.status, nil) })
	return err
}
