package ifmatch

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// canonicalURL is the cache's name for a resource: scheme and host
// lowercased, the default port dropped, userinfo and fragment removed, path
// and query kept as sent.
func canonicalURL(raw string) (string, error) {
	canon, _, err := parseURL(raw)
	return canon, err
}

// parseURL returns the canonical URL and the userinfo, which names a
// principal as credential headers do.
func parseURL(raw string) (string, *url.Userinfo, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", nil, fmt.Errorf("%w: %q is not a URL", errInvalidURL, redactURL(raw))
	}
	if u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "HTTP" && u.Scheme != "HTTPS" {
		return "", nil, fmt.Errorf("%w: %q: the scheme must be http or https", errInvalidURL, redactURL(raw))
	}
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Hostname())
	if host == "" {
		return "", nil, fmt.Errorf("%w: %q has no host", errInvalidURL, redactURL(raw))
	}
	if strings.Contains(host, ":") {
		if net.ParseIP(strings.Split(host, "%")[0]) == nil {
			return "", nil, fmt.Errorf("%w: %q: invalid host", errInvalidURL, redactURL(raw))
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
	return s, u.User, nil
}

// errInvalidURL is a URL the SDK cannot send to; it matches
// ErrInvalidChange, whichever call it was given to, a read included.
var errInvalidURL error = &saying{"ifmatch: invalid URL", ErrInvalidChange}

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
