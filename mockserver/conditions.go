package mockserver

import (
	"net/http"
	"strings"
)

// etagList is a parsed If-Match or If-None-Match field value (RFC 9110
// section 13.1): either "*" or a list of entity tags, W/ kept.
type etagList struct {
	any  bool
	tags []string
}

// parseETagList parses the combined field lines of a list of entity tags.
// Malformed members are skipped, so they match nothing: a broken If-Match
// then fails, and a broken If-None-Match passes, as for a tag nobody has.
func parseETagList(values []string) etagList {
	var l etagList
	for _, v := range values {
		for s := v; ; {
			s = strings.TrimLeft(s, " \t,")
			if s == "" {
				break
			}
			if s[0] == '*' {
				l.any = true
				s = s[1:]
				continue
			}
			tag, rest, ok := cutETag(s)
			if ok {
				l.tags = append(l.tags, tag)
			}
			s = rest
		}
	}
	return l
}

// cutETag cuts one entity tag off the front of s. On a malformed member it
// skips to the next comma.
func cutETag(s string) (tag, rest string, ok bool) {
	start := 0
	if strings.HasPrefix(s, "W/") {
		start = 2
	}
	if len(s) > start && s[start] == '"' {
		if end := strings.IndexByte(s[start+1:], '"'); end >= 0 {
			n := start + 1 + end + 1
			if n == len(s) || strings.IndexByte(" \t,", s[n]) >= 0 {
				return s[:n], s[n:], true
			}
		}
	}
	if i := strings.IndexByte(s, ','); i >= 0 {
		return "", s[i:], false
	}
	return "", "", false
}

// has reports whether the list names the ETag by the given comparison.
func (l etagList) has(etag string, equal func(a, b string) bool) bool {
	if l.any {
		return true
	}
	for _, t := range l.tags {
		if equal(t, etag) {
			return true
		}
	}
	return false
}

// strongEqual is the strong comparison: both tags strong and identical.
func strongEqual(a, b string) bool {
	return a == b && !strings.HasPrefix(a, "W/")
}

// weakEqual is the weak comparison: identical once W/ is dropped.
func weakEqual(a, b string) bool {
	return strings.TrimPrefix(a, "W/") == strings.TrimPrefix(b, "W/")
}

// verbatimEqual is how a server handing out weak ETags compares If-Match:
// the tag it gave, as given, W/ included.
func verbatimEqual(a, b string) bool { return a == b }

// preconditions are a write request's conditional header fields.
type preconditions struct {
	ifMatch, ifNoneMatch       etagList
	hasIfMatch, hasIfNoneMatch bool
}

func readPreconditions(h http.Header) preconditions {
	var p preconditions
	if v := h.Values("If-Match"); len(v) > 0 {
		p.hasIfMatch, p.ifMatch = true, parseETagList(v)
	}
	if v := h.Values("If-None-Match"); len(v) > 0 {
		p.hasIfNoneMatch, p.ifNoneMatch = true, parseETagList(v)
	}
	return p
}

// checkETag evaluates the preconditions of a write in ETag mode against
// the current document (nil when missing). It returns the error answer, or
// nil when the write may go on. The caller holds the document's lock.
func (h *Handler) checkETag(p preconditions, cur *document, path string) *response {
	if p.hasIfMatch {
		equal := strongEqual
		if h.opts.WeakETags {
			equal = verbatimEqual
		}
		if cur == nil {
			return h.stale(h.opts.StaleStatus, nil, path, "If-Match was sent but the document does not exist")
		}
		if tag := h.servedETag(cur); !p.ifMatch.has(tag, equal) {
			return h.stale(h.opts.StaleStatus, cur, path, "If-Match does not match the current ETag "+tag)
		}
	} else if h.opts.RequireIfMatch && cur != nil && !(p.hasIfNoneMatch && p.ifNoneMatch.any) {
		return problem(http.StatusPreconditionRequired, ProblemPreconditionRequired, "Precondition Required",
			"a write to an existing document must carry If-Match", path)
	}
	if p.hasIfNoneMatch && cur != nil && p.ifNoneMatch.has(cur.etag, weakEqual) {
		return h.stale(h.opts.StaleStatus, cur, path, "If-None-Match matches the current ETag "+cur.etag)
	}
	return nil
}

// checkVersion evaluates a write's version in VersionField mode. The
// caller holds the document's lock.
func (h *Handler) checkVersion(version string, hasVersion bool, cur *document, path string) *response {
	switch {
	case cur == nil && hasVersion:
		return h.stale(http.StatusConflict, nil, path, "a version was sent but the document does not exist")
	case cur != nil && !hasVersion:
		return h.stale(http.StatusConflict, cur, path, "Document update conflict: the write carries no version")
	case cur != nil && version != cur.version:
		return h.stale(http.StatusConflict, cur, path, "Document update conflict: the current version is "+cur.version)
	}
	return nil
}

// stale builds a stale-version answer: the current document in
// ConflictBody mode, a problem body otherwise.
func (h *Handler) stale(status int, cur *document, path, detail string) *response {
	var r *response
	if h.opts.ConflictBody && cur != nil {
		tag := h.servedETag(cur)
		r = docResponse(status, h.present(cur.body, tag, path), tag)
		r.header.Set("Content-Location", escapePath(path))
	} else {
		title := "Precondition Failed"
		if status == http.StatusConflict {
			title = "Conflict"
		}
		r = problem(status, ProblemStaleVersion, title, detail, path)
	}
	r.conflict = true
	return r
}
