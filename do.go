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
// retries and ETag cache:
//
//   - a PUT or DELETE that carries no precondition gets If-Match: the
//     version its context read (see TrackVersions), else the version in the
//     Client's cache;
//   - with Options.ThreeWayPut, such a PUT that meets a conflict is rebased
//     by three-way merge onto the fresh document;
//   - a PATCH whose body is a JSON Patch or merge patch, sent without
//     If-Match, is applied to the current version and rebased on conflict
//     like Patch (same body, fresh version). A patch computed from what the
//     caller read ({"stock": n-1}) must carry its own If-Match instead: Do
//     leaves requests with a precondition alone;
//   - versions are learned from every answer.
//
// The cache's version is the newest this Client has seen, whichever
// goroutine saw it: when several goroutines read and write the same
// resources through one Client, give each operation its own
// TrackVersions context, or its write may be based on a version its caller
// never read.
//
// Like http.Client.Do, it returns non-2xx answers as responses, not errors,
// except that a conflict the rebase could not resolve is a *ConflictError.
// The answer's body is buffered (capped at MaxBodyBytes); the caller must
// still close it. The request's body is read and closed.
func (c *Client) Do(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil && req.Body != http.NoBody {
		b, err := readCapped(req.Body, c.cfg.MaxBodyBytes, req.ContentLength)
		req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("ifmatch: %s %s: request body: %w", req.Method, redactURL(req.URL.String()), err)
		}
		body = b
	}
	url := req.URL.String()
	var opts []CallOption
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
	scope := scopeOf(ctx)
	// based is the version this request's body was built on.
	based := func() (snapshot, bool) {
		if scope != nil {
			if s, ok := scope.get(t.key); ok {
				return s, true
			}
		}
		return c.cache.get(t.key, t.all)
	}

	unconditional := req.Header.Get("If-Match") == "" && req.Header.Get("If-None-Match") == ""
	if req.Method == http.MethodPatch && unconditional && c.cfg.VersionField == "" {
		if ch, ct := patchOf(req.Header, body); ch != nil {
			t.header.Del("Content-Type")
			resp, err := c.sendPatch(ctx, t, ch, body, ct)
			return doResult(req, scope, t, resp, err)
		}
	}

	if req.Method == http.MethodPut && unconditional && c.cfg.ThreeWayPut && c.cfg.VersionField == "" && json.Valid(body) {
		if s, ok := based(); ok && s.body != nil {
			t.header.Del("Content-Type")
			resp, err := c.submit(ctx, t, &threeWayChange{base: s.body, ours: body, resolve: c.cfg.Resolve})
			return doResult(req, scope, t, resp, err)
		}
	}

	r := &request{method: req.Method, url: url, header: t.header.Clone(), body: body, raw: true}
	if !isSafeMethod(req.Method) && unconditional && c.cfg.VersionField == "" {
		if s, ok := based(); ok {
			r.header.Set("If-Match", s.etag)
		}
	}
	r.conditional = r.header.Get("If-Match") != "" || r.header.Get("If-None-Match") != ""
	x, err := c.send(ctx, r)
	if err != nil {
		if x.sent > 0 && !isSafeMethod(req.Method) {
			return nil, &OutcomeUnknownError{Method: req.Method, URL: t.safeURL(), Attempts: x.sent, Err: err}
		}
		return nil, err
	}
	switch {
	case x.status >= 200 && x.status < 300 && isSafeMethod(req.Method):
		if v := c.versionOf(x.header, x.body); v != "" && req.Method == http.MethodGet {
			s := snapshot{etag: v, body: x.body}
			c.cache.put(t.key, s, x.header.Values("Vary"), t.all)
			if scope != nil {
				scope.put(t.key, s)
			}
		}
	case x.status >= 200 && x.status < 300:
		var sent []byte
		if req.Method == http.MethodPut {
			sent = body
		}
		s := c.learnWrite(t, req.Method, sent, x)
		if scope != nil {
			scope.put(t.key, s) // this operation's own write is what it now builds on
		}
	case isConflict(x.status), x.status == http.StatusNotFound, x.status == http.StatusGone:
		c.cache.forget(t.key)
	}
	return httpResponse(req, x.status, x.header, x.body), nil
}

// doResult turns a rebasing call's result into Do's: answers as
// responses, unresolved conflicts and transport failures as errors.
func doResult(req *http.Request, scope *versionScope, t *target, resp *Response, err error) (*http.Response, error) {
	var re *ResponseError
	if errors.As(err, &re) && !errors.Is(err, ErrOutcomeUnknown) {
		return httpResponse(req, re.StatusCode, re.Header, re.Body), nil
	}
	if err != nil {
		return nil, err
	}
	if scope != nil {
		scope.put(t.key, snapshot{etag: resp.ETag, body: resp.Body})
	}
	return httpResponse(req, resp.StatusCode, resp.Header, resp.Body), nil
}

// patchOf recognizes a JSON Patch or merge patch body by its Content-Type.
func patchOf(h http.Header, body []byte) (change, string) {
	mt, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	switch mt {
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
