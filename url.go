package ifmatch

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// canonicalURL is the cache's name for a resource: scheme and host
// lowercased, the default port dropped, userinfo and fragment removed, path
// and query kept as sent.
func canonicalURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("ifmatch: invalid url %q: %w", redactURL(raw), errInvalidURL)
	}
	if u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "HTTP" && u.Scheme != "HTTPS" {
		return "", fmt.Errorf("ifmatch: url %q: scheme must be http or https: %w", redactURL(raw), errInvalidURL)
	}
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Hostname())
	if host == "" {
		return "", fmt.Errorf("ifmatch: url %q has no host: %w", redactURL(raw), errInvalidURL)
	}
	if strings.Contains(host, ":") {
		if net.ParseIP(strings.Split(host, "%")[0]) == nil {
			return "", fmt.Errorf("ifmatch: url %q: invalid host: %w", redactURL(raw), errInvalidURL)
		}
		host = "[" + host + "]"
	}
	if p := u.Port(); p != "" && !(scheme == "http" && p == "80") && !(scheme == "https" && p == "443") {
		host += ":" + p
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	s := scheme + "://" + host + path
	if u.RawQuery != "" {
		s += "?" + u.RawQuery
	}
	return s, nil
}

var errInvalidURL = fmt.Errorf("%w: bad url", ErrInvalidChange)

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

// credentialHeaders are request headers that carry a principal's
// credentials: the cache is partitioned by them and they never appear in
// errors or logs.
var credentialHeaders = []string{
	"Authorization", "Proxy-Authorization", "Cookie",
	"X-Api-Key", "Api-Key", "X-Auth-Token", "X-Amz-Security-Token",
}

func isCredentialHeader(name string) bool {
	name = http.CanonicalHeaderKey(name)
	for _, h := range credentialHeaders {
		if h == name {
			return true
		}
	}
	return name == "Set-Cookie" || strings.Contains(strings.ToLower(name), "token") ||
		strings.Contains(strings.ToLower(name), "secret")
}

// redactHeader copies h with credential values replaced.
func redactHeader(h http.Header) http.Header {
	if h == nil {
		return nil
	}
	out := h.Clone()
	for k := range out {
		if isCredentialHeader(k) {
			out[k] = []string{"REDACTED"}
		}
	}
	return out
}

// sameResource reports whether loc (absolute, or relative to target) names
// the same scheme, host and path as target.
func sameResource(target, loc string) bool {
	t, err := url.Parse(target)
	if err != nil {
		return false
	}
	l, err := t.Parse(loc)
	if err != nil {
		return false
	}
	l.RawQuery, t.RawQuery = "", ""
	a, err1 := canonicalURL(t.String())
	b, err2 := canonicalURL(l.String())
	return err1 == nil && err2 == nil && a == b
}
