package mockserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"

	jsonpatch "github.com/evanphx/json-patch/v5"
)

// read answers GET and HEAD, possibly from an older version.
func (h *Handler) read(r *http.Request, d *decision) *response {
	path := r.URL.Path
	h.mu.Lock() // history is guarded by mu
	cur := h.docs[path]
	if cur == nil {
		h.mu.Unlock()
		return notFound(path)
	}
	body, etag := cur.body, h.servedETag(cur)
	stale := d.staleRead && len(cur.history) > 0
	if stale {
		// a lagging replica: any older version, as replicas lag unevenly
		old := cur.history[d.pick%uint64(len(cur.history))]
		body, etag = old.body, old.etag
	}
	h.mu.Unlock()
	if stale {
		d.note("stale-read")
		h.count(func(s *Stats) { s.Faults.StaleReads++ })
	}
	if inm := r.Header.Values("If-None-Match"); len(inm) > 0 && parseETagList(inm).has(etag, weakEqual) {
		return &response{status: http.StatusNotModified, header: http.Header{"Etag": {etag}}}
	}
	return docResponse(http.StatusOK, h.present(body, etag, path), etag)
}

func notFound(path string) *response {
	return problem(http.StatusNotFound, ProblemNotFound, "Not Found", "no document at "+path, path)
}

// writeRequest is a validated PUT, PATCH or DELETE.
type writeRequest struct {
	method string
	path   string
	doc    []byte          // PUT: the compacted document
	patch  jsonpatch.Patch // PATCH with a JSON Patch
	merge  []byte          // PATCH with a JSON Merge Patch
	pre    preconditions

	version    string // VersionField mode: the version the client saw
	hasVersion bool
}

// conditional reports whether the write names the version it expects, which
// is when a concurrent writer can make it stale.
func (h *Handler) conditional(wr *writeRequest) bool {
	if h.versionPtr != nil {
		return wr.hasVersion
	}
	return wr.pre.hasIfMatch
}

// write answers PUT, PATCH and DELETE: validation first, then the check,
// the work and the commit under one hold of the document's lock, which
// other documents never wait for.
func (h *Handler) write(r *http.Request, body []byte, d *decision) *response {
	wr, resp := h.parseWrite(r, body)
	if resp != nil {
		return resp
	}
	if d.interfere && h.conditional(wr) && h.bump(wr.path) {
		d.note("interference")
		h.count(func(s *Stats) { s.Faults.Interferences++; s.ExternalWrites++ })
	}

	unlock := h.locks.lock(wr.path)
	defer func() { unlock() }() // checkGap takes the lock anew
	cur := h.current(wr.path)
	if cur == nil && wr.method != http.MethodPut {
		return notFound(wr.path)
	}
	if !h.opts.IgnorePreconditions {
		var resp *response
		if h.versionPtr != nil {
			resp = h.checkWriteVersion(wr, cur)
		} else {
			resp = h.checkETag(wr.pre, cur, wr.path)
		}
		if resp != nil {
			return resp
		}
		if h.opts.NonAtomicCheck > 0 {
			if !h.checkGap(r.Context(), wr.path, &unlock) {
				return problem(http.StatusServiceUnavailable, ProblemBadRequest, "Service Unavailable", "the request ended", wr.path)
			}
			if cur = h.current(wr.path); cur == nil && wr.method != http.MethodPut {
				return notFound(wr.path)
			}
		}
	}

	next := wr.doc
	switch wr.method {
	case http.MethodDelete:
		h.remove(wr.path)
		return &response{status: http.StatusNoContent, header: http.Header{}, committed: true}
	case http.MethodPatch:
		if h.patchHook != nil {
			h.patchHook(wr.path)
		}
		if next, resp = applyPatch(cur.body, wr); resp != nil {
			return resp
		}
	case http.MethodPut:
		if cur != nil && h.opts.PutKeepsOmitted {
			next = keepOmitted(cur.body, next)
		}
	}
	stored, err := h.commit(wr.path, next)
	if err != nil {
		// only VersionField mode can fail here: the body has no room for it
		status := http.StatusBadRequest
		if wr.method == http.MethodPatch {
			status = http.StatusUnprocessableEntity
		}
		return problem(status, ProblemPatchFailed, http.StatusText(status), err.Error(), wr.path)
	}
	status := http.StatusOK
	if cur == nil {
		status = http.StatusCreated
	}
	resp = docResponse(status, h.present(stored.body, stored.etag, wr.path), stored.etag)
	if status == http.StatusCreated {
		resp.header.Set("Location", escapePath(wr.path))
	}
	resp.committed = true
	h.bareWriteAnswer(resp)
	minimalAnswer(r, resp)
	return resp
}

// parseWrite validates a write's media type and body and finds the version
// it expects. It returns the error answer when the request is malformed.
func (h *Handler) parseWrite(r *http.Request, body []byte) (*writeRequest, *response) {
	wr := &writeRequest{method: r.Method, path: r.URL.Path, pre: readPreconditions(r.Header)}
	ct := r.Header.Get("Content-Type")
	mt := ""
	if ct != "" {
		var err error
		if mt, _, err = mime.ParseMediaType(ct); err != nil {
			return nil, h.unsupported(wr, ct)
		}
	}
	var versionSource []byte // the JSON that may carry the version field
	switch r.Method {
	case http.MethodPut:
		if mt != "application/json" && !strings.HasSuffix(mt, "+json") {
			return nil, h.unsupported(wr, ct)
		}
		if resp := checkBody(body, wr.path); resp != nil {
			return nil, resp
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, body); err != nil {
			return nil, problem(http.StatusBadRequest, ProblemInvalidJSON, "Bad Request",
				"the body is not valid JSON: "+jsonError(err, body), wr.path)
		}
		wr.doc, versionSource = buf.Bytes(), buf.Bytes()
	case http.MethodPatch:
		if mt = h.patchKind(mt); mt == "" {
			return nil, h.unsupported(wr, ct)
		}
		if resp := checkBody(body, wr.path); resp != nil {
			return nil, resp
		}
		switch mt {
		case jsonPatchType:
			p, err := jsonpatch.DecodePatch(body)
			if err != nil {
				return nil, problem(http.StatusBadRequest, ProblemInvalidPatch, "Bad Request",
					"the body is not a JSON Patch: "+err.Error(), wr.path)
			}
			if len(p) > maxPatchOps {
				return nil, problem(http.StatusBadRequest, ProblemBadRequest, "Bad Request",
					fmt.Sprintf("the patch has %d operations; the limit is %d", len(p), maxPatchOps), wr.path)
			}
			if err := checkRootOps(p); err != nil {
				return nil, problem(http.StatusUnprocessableEntity, ProblemPatchFailed, "Unprocessable Content",
					"the patch does not apply: "+err.Error(), wr.path)
			}
			wr.patch = p
		case mergePatchType:
			if !json.Valid(body) {
				return nil, problem(http.StatusBadRequest, ProblemInvalidPatch, "Bad Request",
					"the body is not a JSON Merge Patch: invalid JSON", wr.path)
			}
			wr.merge, versionSource = body, body
		}
	}
	if h.versionPtr != nil {
		if resp := h.findVersion(r, wr, versionSource); resp != nil {
			return nil, resp
		}
	}
	return wr, nil
}

// findVersion reads the version a write expects from the VersionParam query
// parameter or the version field of the body; when both are sent they must
// agree, as in CouchDB.
func (h *Handler) findVersion(r *http.Request, wr *writeRequest, src []byte) *response {
	q := r.URL.Query().Get(h.opts.VersionParam)
	var b string
	var inBody bool
	if src != nil {
		var err error
		if b, inBody, err = getPointer(src, h.versionPtr); err != nil {
			return problem(http.StatusBadRequest, ProblemBadRequest, "Bad Request", err.Error(), wr.path)
		}
	}
	switch {
	case q != "" && inBody && q != b:
		return problem(http.StatusBadRequest, ProblemBadRequest, "Bad Request",
			"the version in the query ("+q+") and in the body ("+b+") differ", wr.path)
	case q != "":
		wr.version, wr.hasVersion = q, true
	case inBody:
		wr.version, wr.hasVersion = b, true
	}
	return nil
}

// patchKind is the patch a PATCH's media type mt names (jsonPatchType or
// mergePatchType), "" if the server takes no patch under mt: with
// ODataPatch, only application/json, a merge patch.
func (h *Handler) patchKind(mt string) string {
	switch {
	case h.opts.ODataPatch && mt == "application/json":
		return mergePatchType
	case h.opts.ODataPatch:
		return ""
	case mt == jsonPatchType || mt == mergePatchType:
		return mt
	}
	return ""
}

// unsupported answers a write with a media type the server cannot handle.
func (h *Handler) unsupported(wr *writeRequest, ct string) *response {
	got := ct
	if got == "" {
		got = "no Content-Type"
	}
	accept := jsonPatchType + ", " + mergePatchType
	if h.opts.ODataPatch {
		accept = "application/json"
	}
	detail := "PUT takes application/json or a */*+json type, not " + got
	if wr.method == http.MethodPatch {
		detail = "PATCH takes " + strings.ReplaceAll(accept, ", ", " or ") + ", not " + got
	}
	resp := problem(http.StatusUnsupportedMediaType, ProblemUnsupportedMediaType, "Unsupported Media Type", detail, wr.path)
	if wr.method == http.MethodPatch {
		resp.header.Set("Accept-Patch", accept)
	}
	return resp
}

// jsonError describes a JSON syntax error with its offset.
func jsonError(err error, body []byte) string {
	var se *json.SyntaxError
	if len(body) == 0 {
		return "the body is empty"
	}
	if errors.As(err, &se) {
		return err.Error() + " at offset " + strconv.FormatInt(se.Offset, 10)
	}
	return err.Error()
}
