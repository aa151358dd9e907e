package ifmatch

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
)

// Do sends a request built elsewhere (by a generated OpenAPI client, say:
// Do fits oapi-codegen's HttpRequestDoer) through the Client's transport
// retries, ETag cache and answer classification:
//
//   - a PUT, PATCH or DELETE that carries no precondition gets If-Match:
//     the version chosen by the rule in the package docs ("The version a
//     write carries"): inside TrackVersions, the version its scope read,
//     else the version a GET through this Client last returned. Other
//     methods (POST) get none;
//   - with Options.ThreeWayPut, such a PUT that meets a conflict is rebased
//     by three-way merge onto the fresh document;
//   - a PATCH whose body is a JSON Patch or merge patch (by its
//     Content-Type: the RFC media types, or those Options names, such as
//     OData's application/json for a merge patch), sent without
//     If-Match, is rebased on conflict like Patch (same body, fresh
//     version); inside TrackVersions it is rebased only if the fields it
//     writes did not change since the scope read the resource (a patch
//     computed from what was read, {"stock": n-1}, is otherwise a
//     conflict);
//   - a request with its own If-Match or If-None-Match is sent as it is;
//   - a 428 to a request without precondition is answered by reading the
//     version and sending the request again with it;
//   - versions are learned from every answer.
//
// Like http.Client.Do, it returns non-2xx answers as responses, not errors,
// except that a conflict the rebase could not resolve is a *ConflictError
// and a write whose answer was lost is an *OutcomeUnknownError. The
// answer's body is buffered (capped at MaxBodyBytes); the caller must
// still close it. The request's body is read and closed.
func (c *Client) Do(req *http.Request) (resp *http.Response, err error) {
	c.ready()
	if req == nil || req.URL == nil {
		if req != nil && req.Body != nil {
			req.Body.Close()
		}
		return nil, fmt.Errorf("ifmatch: Do: the request has no URL: %w", ErrInvalidChange)
	}
	if c.cfg.Tracer != nil {
		ctx, end := c.startCall(req.Context(), "Do", req.Method, req.URL.String())
		req = req.WithContext(ctx)
		defer func() { endDo(end, resp, err) }()
	}
	var body []byte
	if req.Body != nil && req.Body != http.NoBody {
		b, err := readCapped(req.Body, c.cfg.MaxBodyBytes, req.ContentLength)
		req.Body.Close()
		if err != nil {
			return nil, opErr(req.Method, req.URL.String(), fmt.Errorf("request body: %w", err))
		}
		body = b
	}
	url := req.URL.String()
	opts := callOptionsOf(req.Context())
	for k, vs := range req.Header {
		for _, v := range vs {
			opts = append(opts, WithHeader(k, v))
		}
	}
	t, err := c.target(url, opts)
	if err != nil {
		return nil, err
	}
	ctx := req.Context()
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	ifNoneMatch := req.Header.Get("If-None-Match") != ""
	versioned := method == http.MethodPut || method == http.MethodPatch || method == http.MethodDelete
	headerMode := c.cfg.VersionField == ""

	if method == http.MethodPatch && !ifNoneMatch && t.ifMatch == "" && headerMode {
		if ch, ct := c.patchOf(req.Header, body); ch != nil {
			b, _ := c.basisFor(ctx, t, false, nil)
			ch, err := c.guard(ctx, t, b, ch, method)
			if err == nil {
				t.header.Del("Content-Type")
				if !b.pinned() {
					b = basis{}
				}
				var resp *Response
				resp, err = c.sendPatch(ctx, t, b, ch, body, ct)
				return doResult(req, resp, err)
			}
			c.account(err)
			return doResult(req, nil, err)
		}
	}

	if method == http.MethodPut && !ifNoneMatch && t.ifMatch == "" && c.cfg.ThreeWayPut && headerMode && json.Valid(body) {
		if b, ok := c.basisFor(ctx, t, true, body); ok && b.body != nil {
			t.header.Del("Content-Type")
			resp, err := c.submit(ctx, t, &threeWayChange{base: b.body, ours: body, resolve: c.cfg.Resolve})
			return doResult(req, resp, err)
		}
	}

	r := &request{method: method, url: url, header: t.header.Clone(), body: body, raw: true}
	if versioned && !ifNoneMatch && headerMode {
		if b, ok := c.basisFor(ctx, t, true, body); ok {
			r.header.Set("If-Match", b.etag) // the caller's own, if it gave one
		}
	}
	r.conditional = r.header.Get("If-Match") != "" || ifNoneMatch
	if isSafeMethod(method) {
		return c.doRead(req, t, r)
	}
	return c.doWrite(req, t, r)
}

// doRead sends a safe request and learns the version a GET returns.
func (c *Client) doRead(req *http.Request, t *target, r *request) (*http.Response, error) {
	ctx := req.Context()
	x, err := c.send(ctx, r)
	if err != nil {
		return nil, err
	}
	if x.status >= 200 && x.status < 300 && r.method == http.MethodGet {
		if v := c.versionOf(x.header, x.body); v != "" {
			s := snapshot{etag: v, body: x.body}
			c.cache.putRead(t.key, s, x.header.Values("Vary"), t.all)
			learned(ctx, t, s)
		}
	}
	if x.status == http.StatusNotFound || x.status == http.StatusGone {
		c.cache.forget(t.key)
	}
	return httpResponse(req, x.status, x.header, x.body), nil
}

// doWrite sends a write as it is, through the conflict loop's answer
// classification: a stale answer is the caller's to handle (returned as a
// response), except a 428 to a request without precondition, which is sent
// again with the current version.
func (c *Client) doWrite(req *http.Request, t *target, r *request) (*http.Response, error) {
	ctx := req.Context()
	l := c.newLoop(t, r.method)
	l.version = r.header.Get("If-Match")
	r, x, err := l.drive(ctx, r, func(x *exchange) (*request, error) {
		c.cache.forget(t.key)
		if x.status != http.StatusPreconditionRequired || r.conditional || c.cfg.VersionField != "" {
			return nil, nil
		}
		next, err := l.refresh(ctx, x, false)
		if err != nil {
			return nil, err
		}
		l.version = next.etag
		again := &request{method: r.method, url: r.url, header: r.header.Clone(), body: r.body, raw: true, conditional: true}
		again.header.Set("If-Match", next.etag)
		return again, nil
	})
	if err == nil && x.status >= 200 && x.status < 300 {
		var sent []byte
		if r.method == http.MethodPut {
			sent = r.body
		}
		learned(ctx, t, c.learnWrite(t, r.method, sent, x))
	}
	if err == nil {
		return httpResponse(req, x.status, x.header, x.body), nil
	}
	c.account(err)
	return doResult(req, nil, err)
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
