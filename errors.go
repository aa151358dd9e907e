package ifmatch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"
)

// Sentinel errors. Compare with errors.Is; every error this package returns
// starts with "ifmatch:" and never contains credentials.
var (
	// ErrConflict matches every conflict the Client could not resolve: a
	// stale version for Create, Put and Delete, a failed JSON Patch test,
	// a conflict about content (409 with an unchanged version), or conflict
	// retries that ran out of attempts or time. errors.As to *ConflictError
	// gives the details.
	ErrConflict = errors.New("ifmatch: conflict")

	// ErrTestFailed means a JSON Patch "test" operation failed on the
	// current document. It is a real conflict, reported at once and never
	// retried; it also matches ErrConflict.
	ErrTestFailed error = &conflictKind{"ifmatch: json patch test failed"}

	// ErrETagRejected means the server refused, several times in a row, the
	// version it had itself just handed out: a strong ETag (retrying cannot
	// help), or a weak ETag under strong comparison that stayed weak past
	// the call's budget (the call waits for it to turn strong first). The
	// error's text says what was seen and what to try; it also matches
	// ErrConflict.
	ErrETagRejected error = &conflictKind{"ifmatch: server rejects its own current version"}

	// ErrNoChange is returned by a mutate function to say there is nothing
	// to write: the call then succeeds without writing.
	ErrNoChange = errors.New("ifmatch: no change")

	// ErrNoVersion means a Put or Delete (or a PUT, PATCH or DELETE
	// through Do) whose caller's version is unknown: no IfMatch, no
	// TrackVersions read, and no read of this Client that says which
	// version the caller holds (never read, evicted, forgotten after a
	// conflict, the cache off, or reads that handed out different versions
	// no write has claimed: see "The version a write carries" in the
	// package documentation). Nothing was sent; the error names the fix.
	ErrNoVersion = errors.New("ifmatch: no known version of the resource")

	// ErrUnversioned means the server answered without a version (no ETag
	// header, or no version field), so no conditional write is possible.
	// Nothing was written. An API that keeps versions in the document
	// needs Options.VersionField.
	ErrUnversioned = errors.New("ifmatch: server sent no version for the resource")

	// ErrNotFound matches every *ResponseError for a 404 answer, so that
	// errors.Is(err, ErrNotFound) needs no status check.
	ErrNotFound = errors.New("ifmatch: not found")

	// ErrOutcomeUnknown means a write was sent and its answer lost, and
	// whether it committed cannot be known (a retry met a changed version).
	// It does not match ErrConflict: there is no conflict to resolve, only
	// an outcome to check. Idempotency keys (Options.IdempotencyKeys) settle
	// it with a server that honors them.
	ErrOutcomeUnknown = errors.New("ifmatch: outcome of the write is unknown")

	// ErrTooLarge means a request or response body exceeds
	// Options.MaxBodyBytes.
	ErrTooLarge = errors.New("ifmatch: body too large")

	// ErrInvalidResponse means a successful answer cannot be used: its body
	// is not valid JSON, or its Content-Type is not JSON. Nothing was
	// written on the strength of it.
	ErrInvalidResponse = errors.New("ifmatch: invalid response")

	// ErrInvalidChange means a patch, merge patch or document is not valid
	// JSON of the kind it claims to be, or the URL is not an absolute http
	// or https URL. Nothing was sent.
	ErrInvalidChange = errors.New("ifmatch: invalid change")

	// ErrFieldsChanged is the cause of a *ConflictError for a change
	// computed from a version the caller read (IfMatch, TrackVersions) when
	// a field it writes has changed since: reapplying it would overwrite
	// what the caller never saw. ConflictError.Pointers lists the fields.
	ErrFieldsChanged error = &conflictKind{"ifmatch: fields the change writes have changed since the caller's version"}

	// ErrMergeConflict is the cause of a *ConflictError from a three-way
	// rebase whose edits overlap: ConflictError.Pointers lists the fields.
	ErrMergeConflict error = &conflictKind{"ifmatch: concurrent edits of the same fields"}

	// ErrInvalidOptions matches the error Options.Validate returns, which
	// New panics with.
	ErrInvalidOptions = errors.New("ifmatch: invalid options")
)

// ConflictError describes a conflict that the Client could not resolve. It
// matches ErrConflict, and its Err (ErrTestFailed, for example) through
// errors.Is.
type ConflictError struct {
	Method     string   // the write's method
	URL        string   // without userinfo or query values
	StatusCode int      // the last conflict status (409 or 412); 0 when nothing was sent
	Attempts   int      // write requests sent for the call
	ETag       string   // the last version seen (the refetched one when there was one)
	Problem    *Problem // RFC 9457 details, if the server sent them
	// Pointers lists the fields (JSON Pointers) that both this call and a
	// concurrent writer changed, for a three-way rebase that could not
	// merge (Err is then ErrMergeConflict, or the Resolver's error).
	Pointers []string
	Err      error // the cause, e.g. ErrTestFailed; may be nil
}

func (e *ConflictError) Error() string {
	var b strings.Builder
	b.WriteString("ifmatch: conflict")
	if e.Method != "" {
		fmt.Fprintf(&b, " on %s %s", e.Method, e.URL)
	}
	if e.StatusCode != 0 {
		fmt.Fprintf(&b, " (%d)", e.StatusCode)
	}
	b.WriteString(afterAttempts(e.Attempts))
	if e.Problem != nil && e.Problem.summary() != "" {
		b.WriteString(": " + e.Problem.summary())
	}
	if len(e.Pointers) > 0 {
		b.WriteString(": both changed " + strings.Join(e.Pointers, ", "))
	}
	if e.Err != nil {
		b.WriteString(": " + bare(e.Err))
	}
	return b.String()
}

// Is reports whether target is ErrConflict.
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }

// Unwrap returns the cause.
func (e *ConflictError) Unwrap() error { return e.Err }

// ResponseError is any non-2xx answer that is not a conflict: the caller's
// error (4xx) or a server failure that transport retries did not cure.
type ResponseError struct {
	Method     string
	URL        string // without userinfo or query values
	StatusCode int
	Header     http.Header
	Body       []byte   // capped at 64 KiB
	Problem    *Problem // RFC 9457 details, if the server sent them
}

// Is reports whether target is ErrNotFound and the answer was a 404.
func (e *ResponseError) Is(target error) bool {
	return target == ErrNotFound && e.StatusCode == http.StatusNotFound
}

func (e *ResponseError) Error() string {
	s := fmt.Sprintf("ifmatch: %s %s: %d %s", e.Method, e.URL, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Problem != nil {
		// A title that only repeats the status ("404 Not Found: Not
		// Found") says nothing more.
		p := *e.Problem
		if strings.EqualFold(p.Title, http.StatusText(e.StatusCode)) {
			p.Title = ""
		}
		if sum := p.summary(); sum != "" {
			s += ": " + sum
		}
	}
	return s
}

// Problem is an RFC 9457 problem-details object.
type Problem struct {
	Type, Title, Detail, Instance string
	Status                        int
	// Extensions holds the members other than the standard five; nil when
	// there are none. Numbers decode as float64.
	Extensions map[string]any
}

func (p *Problem) summary() string {
	switch {
	case p.Title != "" && p.Detail != "":
		return p.Title + ": " + p.Detail
	case p.Title != "":
		return p.Title
	}
	return p.Detail
}

// errorBodyCap bounds the body kept in a ResponseError.
const errorBodyCap = 64 << 10

// parseProblem decodes an RFC 9457 body; it returns nil unless the content
// type is application/problem+json and the body is a JSON object.
func parseProblem(h http.Header, body []byte) *Problem {
	mt, _, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || mt != "application/problem+json" {
		return nil
	}
	var m map[string]any
	if json.Unmarshal(body, &m) != nil || m == nil {
		return nil
	}
	p := &Problem{}
	take := func(k string) string {
		v, _ := m[k].(string)
		delete(m, k)
		return v
	}
	p.Type, p.Title, p.Detail, p.Instance = take("type"), take("title"), take("detail"), take("instance")
	if f, ok := m["status"].(float64); ok && f >= 100 && f <= 999 && f == float64(int(f)) {
		p.Status = int(f)
	}
	delete(m, "status")
	if len(m) > 0 {
		p.Extensions = m
	}
	return p
}

// newResponseError builds the error for an unexpected answer.
func newResponseError(method, safeURL string, x *exchange) *ResponseError {
	body := x.body
	if len(body) > errorBodyCap {
		body = body[:errorBodyCap]
	}
	return &ResponseError{
		Method:     method,
		URL:        safeURL,
		StatusCode: x.status,
		Header:     redactHeader(x.header),
		Body:       body,
		Problem:    parseProblem(x.header, x.body),
	}
}

// OutcomeUnknownError reports a write that was sent and whose answer was
// lost, when what followed cannot tell whether it committed: a retry met a
// changed version, or every retry failed. It matches ErrOutcomeUnknown, and
// its Err (a context error, say) through errors.Is. Read the resource to
// learn its state; do not assume either outcome.
type OutcomeUnknownError struct {
	Method   string
	URL      string // without userinfo or query values
	Attempts int    // write requests sent for the call
	Err      error  // what ended the call: a conflict answer, a network or context error
}

func (e *OutcomeUnknownError) Error() string {
	s := fmt.Sprintf("ifmatch: outcome of %s %s is unknown%s: an answer was lost", e.Method, e.URL, afterAttempts(e.Attempts))
	if e.Err != nil {
		s += ": " + bare(e.Err)
	}
	return s
}

// Is reports whether target is ErrOutcomeUnknown.
func (e *OutcomeUnknownError) Is(target error) bool { return target == ErrOutcomeUnknown }

// Unwrap returns what ended the call.
func (e *OutcomeUnknownError) Unwrap() error { return e.Err }

// conflictKind is a sentinel for one kind of conflict (ErrTestFailed, say):
// it matches ErrConflict without repeating its text, so that a message
// reads "json patch test failed", not "json patch test failed: ifmatch:
// conflict".
type conflictKind struct{ msg string }

func (e *conflictKind) Error() string { return e.msg }

// Is reports whether target is ErrConflict.
func (e *conflictKind) Is(target error) bool { return target == ErrConflict }

// opError is an error of one call or request, named by its method and URL
// (without userinfo or query values): "ifmatch: PUT https://host/x: body
// too large". It wraps its cause for errors.Is and errors.As.
type opError struct {
	method, url string
	err         error
}

func (e *opError) Error() string { return "ifmatch: " + e.method + " " + e.url + ": " + bare(e.err) }
func (e *opError) Unwrap() error { return e.err }

// opErr names err by the method and URL it happened to; rawURL is redacted.
func opErr(method, rawURL string, err error) error {
	return &opError{method: method, url: redactURL(rawURL), err: err}
}

// ended is the error for a call whose context ended: the context's cause,
// named by the call's method and URL, so that errors.Is(err,
// context.Canceled) and errors.Is(err, context.DeadlineExceeded) hold.
func ended(ctx context.Context, method, rawURL string) error {
	return opErr(method, rawURL, context.Cause(ctx))
}

// saying is err under words that fit the case better than its own.
type saying struct {
	msg string
	err error
}

func (e *saying) Error() string { return e.msg }
func (e *saying) Unwrap() error { return e.err }

// bare is err's text without the package prefix, for an error that wraps
// it behind a prefix of its own and names the call itself: an *opError's
// method and URL are left out too.
func bare(err error) string {
	if oe, ok := err.(*opError); ok {
		return bare(oe.err)
	}
	return strings.TrimPrefix(err.Error(), "ifmatch: ")
}

// afterAttempts says how many requests a call sent, "" for none.
func afterAttempts(n int) string {
	switch {
	case n == 1:
		return " after 1 attempt"
	case n > 1:
		return fmt.Sprintf(" after %d attempts", n)
	}
	return ""
}

// unversioned is ErrUnversioned for a read of t that carried no version,
// saying where the version was looked for and what to set.
func (c *Client) unversioned(t *target) error {
	if c.cfg.VersionField != "" {
		return opErr(http.MethodGet, t.url, fmt.Errorf("%w: the answer has no version field %s", ErrUnversioned, c.cfg.VersionField))
	}
	return opErr(http.MethodGet, t.url, fmt.Errorf("%w: the answer has no ETag; if the API keeps versions in the document, set Options.VersionField", ErrUnversioned))
}

// errReadStale is the cause of a conflict met through Do by a write based
// on a version ifmatch chose: what its caller read is no longer current.
var errReadStale = errors.New("ifmatch: the version read is no longer current: read again and recompute the write; " +
	"ifmatch.RetryOnConflict does both for any code, a generated client's included")
