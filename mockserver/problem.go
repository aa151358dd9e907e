package mockserver

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// Problem type URIs, one per kind of error answer, so that tests can tell
// answers with the same status apart (RFC 9457 "type").
const (
	ProblemStaleVersion         = "https://ifmatch.dev/problems/stale-version"
	ProblemPreconditionRequired = "https://ifmatch.dev/problems/precondition-required"
	ProblemIdempotencyKeyReused = "https://ifmatch.dev/problems/idempotency-key-reused"
	ProblemIdempotencyInFlight  = "https://ifmatch.dev/problems/idempotency-in-flight"
	ProblemNotFound             = "https://ifmatch.dev/problems/not-found"
	ProblemInvalidJSON          = "https://ifmatch.dev/problems/invalid-json"
	ProblemInvalidPatch         = "https://ifmatch.dev/problems/invalid-patch"
	ProblemPatchFailed          = "https://ifmatch.dev/problems/patch-failed"
	ProblemUnsupportedMediaType = "https://ifmatch.dev/problems/unsupported-media-type"
	ProblemMethodNotAllowed     = "https://ifmatch.dev/problems/method-not-allowed"
	ProblemTooLarge             = "https://ifmatch.dev/problems/too-large"
	ProblemBadRequest           = "https://ifmatch.dev/problems/bad-request"
	ProblemInjectedFault        = "https://ifmatch.dev/problems/injected-fault"
)

// Problem is the RFC 9457 problem details body of every error answer
// (Content-Type application/problem+json), except a stale-version answer
// in ConflictBody mode.
type Problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
}

// response is an answer built before anything is written, so that it can be
// stored for idempotent replays or thrown away when the connection is dropped.
type response struct {
	status int
	header http.Header
	body   []byte

	committed bool // the request changed state (a candidate for a drop)
	conflict  bool // a stale-version answer, counted in Stats.Conflicts
	replayed  bool // an idempotent replay of a stored answer
}

// problem builds an error answer with a problem details body.
func problem(status int, typ, title, detail, instance string) *response {
	body, _ := json.Marshal(Problem{Type: typ, Title: title, Status: status, Detail: detail, Instance: instance})
	h := http.Header{}
	h.Set("Content-Type", "application/problem+json")
	return &response{status: status, header: h, body: body}
}

// docResponse builds an answer carrying a document and its ETag.
func docResponse(status int, body []byte, etag string) *response {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("ETag", etag)
	return &response{status: status, header: h, body: body}
}

// clone copies the answer so a stored one is never shared with a writer
// that adds headers.
func (r *response) clone() *response {
	c := *r
	c.header = r.header.Clone()
	return &c
}

// write sends the answer. A HEAD answer keeps the GET Content-Length but
// has no body.
func (r *response) write(w http.ResponseWriter, head bool) {
	h := w.Header()
	for k, v := range r.header {
		h[k] = v
	}
	if r.status != http.StatusNoContent && r.status != http.StatusNotModified {
		h.Set("Content-Length", strconv.Itoa(len(r.body)))
	}
	w.WriteHeader(r.status)
	if !head && len(r.body) > 0 {
		_, _ = w.Write(r.body) // the client may be gone; nothing to do about it
	}
}

// writeJSON sends an admin answer.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		problem(http.StatusInternalServerError, ProblemBadRequest, "Cannot encode answer", err.Error(), "").write(w, false)
		return
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	(&response{status: status, header: h, body: append(body, '\n')}).write(w, false)
}
