package ifmatch

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// CallOption adjusts one call.
type CallOption func(*callConfig)

type callConfig struct {
	header  http.Header
	ifMatch string
}

// IfMatch bases one write on the version the caller holds (an ETag, or the
// version field's value), instead of the version the Client would choose
// (see "The version a write carries" in the package docs). Put and Delete
// then replace exactly that version; Update and Modify run their function
// on the document at that version and do not retry on a conflict; Patch
// and MergePatch are reapplied after a conflict only if the fields they
// write did not change since that version.
func IfMatch(version string) CallOption {
	return func(c *callConfig) { c.ifMatch = version }
}

// WithHeader adds a request header to every request of one call, such as
// the caller's Authorization. Credential headers partition the cache.
func WithHeader(key, value string) CallOption {
	return func(c *callConfig) {
		if c.header == nil {
			c.header = http.Header{}
		}
		c.header.Add(key, value)
	}
}

// target is a resource as one call addresses it.
type target struct {
	url     string      // as the caller gave it
	key     cacheKey    // the cache's name for it
	ifMatch string      // the version the caller gave for this call, if any
	lane    laneKey     // the group-commit queue it writes through
	header  http.Header // the call's own headers
	all     http.Header // Options.Header and the call's own: what selects a Vary variant
}

func (c *Client) target(rawURL string, opts []CallOption) (*target, error) {
	canon, user, err := parseURL(rawURL)
	if err != nil {
		return nil, err
	}
	var cc callConfig
	for _, o := range opts {
		o(&cc)
	}
	all := cc.header
	if len(c.cfg.Header) > 0 {
		all = c.cfg.Header.Clone()
		for k, v := range cc.header {
			all[k] = v
		}
	}
	if all == nil {
		all = http.Header{}
	}
	t := &target{url: rawURL, header: cc.header, all: all, ifMatch: cc.ifMatch,
		key: cacheKey{url: canon, principal: principalOf(all, user)}}
	if t.header == nil {
		t.header = http.Header{}
	}
	if t.ifMatch == "" {
		// The caller's own If-Match header is the caller's version too: it
		// is never replaced.
		t.ifMatch = t.header.Get("If-Match")
	}
	t.header.Del("If-Match")
	t.lane = laneKey{cacheKey: t.key, extra: headerFingerprint(cc.header)}
	return t, nil
}

// safeURL is the target's URL for errors and logs, computed only when
// one is needed.
func (t *target) safeURL() string { return redactURL(t.url) }

func headerFingerprint(h http.Header) string {
	if len(h) == 0 {
		return ""
	}
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s:%q\n", k, h[k])
	}
	return b.String()
}
