package ifmatch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
)

// Do sends a request built elsewhere (by a generated OpenAPI client, say:
// Do fits oapi-codegen's HttpRequestDoer) through the same write pipeline
// as the methods: a PUT, PATCH or DELETE without a precondition carries the
// version [The version a write carries] gives (or is refused with
// [ErrNoVersion] when it cannot be known), a JSON Patch or merge patch is
// rebased on conflict, with Options.ThreeWayPut a PUT is merged, a 428 is
// answered with the version, and versions are learned from every answer
// (see [Generated clients] for each case). A request with its own If-Match
// or If-None-Match, and any other method, is sent as it is.
//
// Like http.Client.Do, it returns non-2xx answers as responses, not errors,
// except a conflict on a write it versioned or rebased, which is a
// [*ConflictError], and a write whose answer was lost, an
// [*OutcomeUnknownError]. The answer's body is buffered (capped at
// MaxBodyBytes); the caller must still close it. The request's body is read
// and closed. To retry a read-modify-write after a conflict, wrap it in
// [RetryOnConflict].
//
// [The version a write carries]: https://pkg.go.dev/github.com/ifmatch/ifmatch#hdr-The_version_a_write_carries
// [Generated clients]: https://pkg.go.dev/github.com/ifmatch/ifmatch#hdr-Generated_clients
func (c *Client) Do(req *http.Request) (resp *http.Response, err error) {
	c.ready()
	if req == nil || req.URL == nil {
		if req != nil && req.Body != nil {
			req.Body.Close()
		}
		return nil, fmt.Errorf("ifmatch: Do: the request has no URL: %w", ErrInvalidChange)
	}
	ctx, end := c.startCall(req.Context(), "Do", req.Method, req.URL.String())
	defer func() { c.endDo(ctx, end, resp, err) }()
	var body []byte
	if req.Body != nil && req.Body != http.NoBody {
		b, err := readCapped(req.Body, c.cfg.MaxBodyBytes, req.ContentLength)
		req.Body.Close()
		if err != nil {
			return nil, opErr(req.Method, req.URL.String(), fmt.Errorf("request body: %w", err))
		}
		body = b
	}
	w, err := c.doWrite(ctx, req, body)
	if err != nil {
		return nil, err
	}
	if w.kind == kindRaw && isSafeMethod(w.req.method) {
		return c.doRead(ctx, req, w.t, w.req)
	}
	out, err := c.write(ctx, w)
	return doResult(req, out, err)
}

// doWrite describes the request req (body read) as a write for the
// pipeline: what ifmatch can version and rebase, and what it must send as
// it is.
func (c *Client) doWrite(ctx context.Context, req *http.Request, body []byte) (*write, error) {
	url := req.URL.String()
	opts := callOptionsOf(ctx)
	for k, vs := range req.Header {
		for _, v := range vs {
			opts = append(opts, WithHeader(k, v))
		}
	}
	t, err := c.target(url, opts)
	if err != nil {
		return nil, err
	}
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	own := req.Header.Get("If-None-Match") != "" || t.ifMatch != "" || c.cfg.VersionField != ""
	if method == http.MethodPatch && !own {
		if ch, kind := c.patchOf(req.Header, body); ch != nil {
			t.header.Del("Content-Type")
			return &write{kind: kindChange, t: t, change: ch, patch: body, media: kind, do: true}, nil
		}
	}
	r := &request{method: method, url: url, header: t.header.Clone(), body: body, raw: true}
	if v := req.Header.Get("If-Match"); v != "" {
		r.header.Set("If-Match", v) // the caller's own, never replaced
	} else if t.ifMatch != "" && (method == http.MethodPut || method == http.MethodPatch || method == http.MethodDelete) {
		r.header.Set("If-Match", t.ifMatch) // IfMatch, through WithCallOptions
	}
	r.conditional = r.header.Get("If-Match") != "" || req.Header.Get("If-None-Match") != ""
	if (method == http.MethodPut || method == http.MethodPatch || method == http.MethodDelete) && !own {
		return &write{kind: kindReplace, t: t, req: r, do: true}, nil
	}
	return &write{kind: kindRaw, t: t, req: r, do: true}, nil
}

// doRead sends a safe request and hands out the version a GET returns.
// Do returns any answer, JSON or not; only a JSON document is cached.
func (c *Client) doRead(ctx context.Context, req *http.Request, t *target, r *request) (*http.Response, error) {
	x, err := c.send(ctx, r)
	if err != nil {
		return nil, err
	}
	if x.status >= 200 && x.status < 300 && r.method == http.MethodGet {
		s := snapshot{etag: c.versionOf(x.header, x.body), body: x.body}
		if checkDocument(x.header, x.body) != nil {
			s.body = nil
		}
		c.handedOut(ctx, t, s, x.header)
	}
	c.gone(t, x.status)
	return httpResponse(req, x.status, x.header, x.body), nil
}

// doResult turns a call's result into Do's: answers as responses,
// unresolved conflicts, lost answers and transport failures as errors.
func doResult(req *http.Request, resp *Response, err error) (*http.Response, error) {
	var re *ResponseError
	if errors.As(err, &re) && !errors.Is(err, ErrOutcomeUnknown) {
		return httpResponse(req, re.StatusCode, re.Header, re.Body), nil
	}
	if err != nil {
		return nil, err
	}
	return httpResponse(req, resp.StatusCode, resp.Header, resp.Body), nil
}

// patchOf recognizes a JSON Patch or merge patch body by its Content-Type.
func (c *Client) patchOf(h http.Header, body []byte) (change, string) {
	mt, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	switch mt = c.patchKind(mt); mt {
	case contentJSONPatch:
		if p, err := newJSONPatch(body); err == nil {
			return p, mt
		}
	case contentMergePatch:
		if p, err := newMergePatch(body); err == nil {
			return p, mt
		}
	}
	return nil, ""
}

func httpResponse(req *http.Request, status int, h http.Header, body []byte) *http.Response {
	if h == nil {
		h = http.Header{}
	}
	h = h.Clone()
	h.Set("Content-Length", strconv.Itoa(len(body)))
	return &http.Response{
		Status:        strconv.Itoa(status) + " " + http.StatusText(status),
		StatusCode:    status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        h,
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       req,
	}
}
