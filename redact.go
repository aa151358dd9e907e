package ifmatch

import (
	"errors"
	"net/url"
	"regexp"
	"strings"
)

// Redaction: what the SDK puts in errors and logs never carries
// credentials (see isCredential), userinfo or query values.

// redactURL keeps scheme, host, path and query keys; userinfo is dropped
// and every query value replaced, so the result is safe for errors and logs.
func redactURL(raw string) string {
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
)

// redactText replaces userinfo and query values anywhere in s.
func redactText(s string) string {
	if !strings.ContainsAny(s, "?@") {
		return s
	}
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

// redactedError is an error whose text had secrets removed; errors.Is and
// errors.As still see the original.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// redactErr returns err with secrets removed from its text.
func redactErr(err error) error {
	if err == nil {
		return nil
	}
	s := err.Error()
	if r := redactText(s); r != s {
		return &redactedError{msg: r, err: err}
	}
	return err
}

// scrubURLError drops the *url.Error wrapper, whose message holds the full
// URL with its query values and userinfo; callers add a redacted URL.
func scrubURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return redactErr(ue.Err)
	}
	return redactErr(err)
}
