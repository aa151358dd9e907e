// Package redact removes secrets from text bound for errors and logs:
// userinfo and query values of URLs, wherever they appear. The SDK and the
// command line tool share it, so that both hide the same things.
package redact

import (
	"net/url"
	"regexp"
	"strings"
)

// URL keeps scheme, host, path and query keys; userinfo is dropped
// and every query value replaced, so the result is safe for errors and logs.
func URL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		// Cut everything that could hold a secret.
		if i := strings.IndexAny(raw, "?#"); i >= 0 {
			raw = raw[:i]
		}
		if i := strings.Index(raw, "@"); i >= 0 {
			if j := strings.Index(raw, "://"); j >= 0 && j < i {
				raw = raw[:j+3] + raw[i+1:]
			}
		}
		return raw
	}
	u.User = nil
	u.Fragment, u.RawFragment = "", ""
	if u.RawQuery != "" {
		q := u.Query()
		for k := range q {
			q[k] = []string{"REDACTED"}
		}
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// Patterns of secrets inside free text (an error from net/http that
// quotes a request line, a problem detail that echoes the URL).
var (
	userinfoInText = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://)[^/\s"'<>]*@`)
	queryInText    = regexp.MustCompile(`\?[^\s"'<>#]+`)
	// A fragment never reaches the server, so a URL's fragment is the
	// caller's private text: dropped with the '#'.
	fragmentInText = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://[^\s"'<>#]*)#[^\s"'<>]*`)
)

// Text replaces userinfo and query values, and drops fragments, of URLs
// anywhere in s.
func Text(s string) string {
	if !strings.ContainsAny(s, "?@#") {
		return s
	}
	s = fragmentInText.ReplaceAllString(s, "$1")
	s = userinfoInText.ReplaceAllString(s, "$1")
	return queryInText.ReplaceAllStringFunc(s, func(q string) string {
		pairs := strings.Split(q[1:], "&")
		for i, p := range pairs {
			if k, _, ok := strings.Cut(p, "="); ok {
				pairs[i] = k + "=REDACTED"
			}
		}
		return "?" + strings.Join(pairs, "&")
	})
}
