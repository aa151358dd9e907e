package ifmatch

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// CallOption adjusts one call. Options give a Client's defaults; call
// options override them for one call.
type CallOption func(*callConfig)

type callConfig struct {
	header  http.Header
	ifMatch string
	// The call's own conflict-retry settings, each with whether it was
	// given: what is not given is the Client's.
	maxAttempts                         int
	maxElapsed                          time.Duration
	backoff                             func() Backoff
	setAttempts, setElapsed, setBackoff bool
}

// IfMatch bases one write on the version the caller holds (an ETag, or the
// version field's value): rule 1 of [The version a write carries], which
// says what each method then does.
//
// [The version a write carries]: https://pkg.go.dev/github.com/ifmatch/ifmatch#hdr-The_version_a_write_carries
func IfMatch(version string) CallOption {
	return func(c *callConfig) { c.ifMatch = version }
}

// MaxAttempts caps the write attempts of one call, the first included, as
// Options.MaxAttempts does for every call: 0 means no cap (MaxElapsed and
// the context bound the call), a negative n one attempt.
func MaxAttempts(n int) CallOption {
	return func(c *callConfig) { c.maxAttempts, c.setAttempts = n, true }
}

// MaxElapsed is the time budget of one call for conflict retries, as
// Options.MaxElapsed is for every call: 0 means 30 s, a negative d that
// only the context bounds the call.
func MaxElapsed(d time.Duration) CallOption {
	return func(c *callConfig) { c.maxElapsed, c.setElapsed = d, true }
}

// ConflictBackoff sets the conflict backoff of one call, as Options.Backoff
// does for every call: newBackoff is called once, at the call's start; nil
// means the default policy. A call with its own backoff writes alone: group
// commit shares a write only between calls with the same policy.
func ConflictBackoff(newBackoff func() Backoff) CallOption {
	return func(c *callConfig) { c.backoff, c.setBackoff = newBackoff, true }
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

// WithCallOptions returns a copy of ctx that carries call options for the
// requests sent through Do with it, and so through StandardClient, whose
// callers (generated clients) pass a context but no CallOption:
//
//	ctx = ifmatch.WithCallOptions(ctx, ifmatch.MaxAttempts(3))
//	items.PatchItem(ctx, patch, params) // a generated client over c.StandardClient()
//
// Options already in ctx come first, the new ones after; where two set the
// same thing the last wins. The methods that take call options as
// arguments (Get, Put, Patch, ...) ignore these.
func WithCallOptions(ctx context.Context, opts ...CallOption) context.Context {
	all := append(callOptionsOf(ctx), opts...)
	return context.WithValue(ctx, callOptionsKey{}, all)
}

type callOptionsKey struct{}

// callOptionsOf returns the call options ctx carries, in a slice the
// caller may append to.
func callOptionsOf(ctx context.Context) []CallOption {
	opts, _ := ctx.Value(callOptionsKey{}).([]CallOption)
	return slices.Clip(opts)
}

// target is a resource as one call addresses it.
type target struct {
	url     string      // as the caller gave it
	key     cacheKey    // the cache's name for it
	ifMatch string      // the version the caller gave for this call, if any
	lane    laneKey     // the group-commit queue it writes through
	policy  policy      // the call's conflict-retry policy (policy.go)
	header  http.Header // the call's own headers
	all     http.Header // Options.Header and the call's own: what selects a Vary variant
}

func (c *Client) target(rawURL string, opts []CallOption) (*target, error) {
	c.ready()
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
	t.policy = c.cfg.policy
	if cc.setAttempts || cc.setElapsed || cc.setBackoff {
		t.policy = c.callPolicy(&cc)
		// A group's write follows one policy: only calls with the same
		// share it, and a backoff (a function) is never known to be the
		// same.
		switch def := &c.cfg.policy; {
		case cc.setBackoff:
			t.lane.extra += fmt.Sprintf("\nsolo:%d", c.solo.Add(1))
		case t.policy.attempts != def.attempts || t.policy.elapsed != def.elapsed:
			t.lane.extra += fmt.Sprintf("\npolicy:%d,%d", t.policy.attempts, t.policy.elapsed)
		}
	}
	return t, nil
}

// callPolicy is the Client's conflict-retry policy with the call's own
// settings over it.
func (c *Client) callPolicy(cc *callConfig) policy {
	o := &c.cfg.Options
	attempts, elapsed, bo := o.MaxAttempts, o.MaxElapsed, o.Backoff
	if cc.setAttempts {
		attempts = cc.maxAttempts
	}
	if cc.setElapsed {
		elapsed = cc.maxElapsed
	}
	if cc.setBackoff {
		bo = cc.backoff
	}
	return newPolicy(attempts, elapsed, bo)
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
