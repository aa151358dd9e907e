package ifmatch

import (
	"net/http"
	"strings"
)

// What a write's answer means, decided in one place for every write path:
//
//	2xx                        committed: remember the new version
//	412, 409, 428              stale: our version is stale, or one is required:
//	                           back off, refetch, rebuild the write (or end it)
//	422 to a PATCH             stale too: the server's refusal may be a failed
//	                           test on a newer version; the patch is checked here
//	423, 409 "locked"          locked: wait, send the same write again
//	409 to a resent key        pending: our own write is still being processed:
//	                           wait, send it again with the same key
//	no answer to a sent write  lost: the outcome is unknown
//	stale after a lost answer  lost too: the server did not replay our write,
//	                           so the change may be there already
//	no answer, nothing sent    unanswered: the transport's or context's error
//	other                      refused: the caller's error (*ResponseError)
//
// 408, 429 and 5xx are retried below, in send, when the write is safe to
// repeat; their last answer arrives here as refused, or as lost when a
// try's answer was lost or may have hidden a commit.

// meaning is what a write's answer means for the call.
type meaning int

const (
	committed meaning = iota
	stale
	locked
	pending
	lost
	unanswered
	refused
)

// judge classifies the answer x (or the failure err) to the write r.
// ambig says an earlier try's answer was lost, or may have hidden a
// commit.
func judge(r *request, x *exchange, err error, ambig bool) meaning {
	switch {
	case err != nil && ambig:
		return lost
	case err != nil:
		return unanswered
	case x.status >= 200 && x.status < 300:
		return committed
	case isLocked(x):
		return locked
	case x.status == http.StatusConflict && r.key != "" && r.writes > 1:
		// The draft Idempotency-Key standard answers 409 while a request
		// with the same key is being processed: ours, since this key was
		// sent before. Never rebase it (it may commit yet): wait and send
		// the same key again, which replays its outcome.
		return pending
	case refusedVersion(r, x):
		if ambig {
			return lost
		}
		return stale
	}
	return refused
}

// refusedVersion reports whether the answer x refuses the version the
// write r carries, or may: a version conflict, or a 422 to a patch (a
// failed test on a newer version, as Kubernetes answers).
func refusedVersion(r *request, x *exchange) bool {
	return isConflict(x.status) || (x.status == http.StatusUnprocessableEntity && r.patch)
}

// isConflict reports whether a write's answer is a version conflict.
func isConflict(status int) bool {
	return status == http.StatusPreconditionFailed || status == http.StatusConflict ||
		status == http.StatusPreconditionRequired
}

// isLocked reports whether a write was refused because the resource is
// locked (WebDAV's 423, or a 409 whose problem type or title says
// "locked"): the write is sent again as it is after a backoff, not rebased.
func isLocked(x *exchange) bool {
	if x.status == http.StatusLocked {
		return true
	}
	if x.status != http.StatusConflict {
		return false
	}
	p := parseProblem(x.header, x.body)
	if p == nil {
		return false
	}
	typ := strings.ToLower(p.Type)
	return strings.HasSuffix(typ, "/locked") || strings.HasSuffix(typ, ":locked") ||
		strings.EqualFold(p.Title, "locked") || strings.HasSuffix(typ, "/resource-locked")
}
