package mockserver

import (
	"net/http"
	"net/url"
	"strings"
)

// A document's key is its request path, percent-decoded, as is: "/a",
// "/a/" and "//a" are three documents, and the query is not part of the
// key. Dot segments are refused rather than resolved, so that no two
// request paths name one document (a client caching by URL would hold two
// versions of it).

// hasDotSegment reports whether a path has a "." or ".." segment, percent-
// encoded ones included once decoded.
func hasDotSegment(path string) bool {
	for seg := range strings.SplitSeq(path, "/") {
		if seg == "." || seg == ".." {
			return true
		}
	}
	return false
}

// checkPath refuses a document path with dot segments.
func checkPath(path string) *response {
	if hasDotSegment(path) {
		return problem(http.StatusBadRequest, ProblemBadRequest, "Bad Request",
			`the path has a "." or ".." segment; the mock server does not resolve them`, path)
	}
	return nil
}

// escapePath makes a document path fit for a header such as Location:
// percent-encoded, so that a NUL, a space or a line break in a path cannot
// break the answer.
func escapePath(path string) string {
	return (&url.URL{Path: path}).EscapedPath()
}
