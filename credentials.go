package ifmatch

import (
	"crypto/sha256"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// What counts as a credential: one rule, used to partition the cache by
// principal, to strip headers on a redirect that leaves the original
// origin, and to redact errors and logs.

// isCredential reports whether a request header carries a principal's
// credentials: Authorization, Cookie, and any header whose name says it
// holds a token, secret, password, session or API key (X-Api-Key,
// Private-Token, X-Vault-Token, X-Goog-Api-Key, ...). Idempotency keys are
// request identifiers, not credentials.
func isCredential(name string) bool {
	n := strings.ToLower(name)
	switch n {
	case "authorization", "proxy-authorization", "cookie", "set-cookie":
		return true
	}
	if strings.Contains(n, "idempotency") {
		return false
	}
	for _, w := range credentialWords {
		if strings.Contains(n, w) {
			return true
		}
	}
	return strings.HasSuffix(n, "-key") || strings.HasSuffix(n, "apikey")
}

var credentialWords = []string{"auth", "token", "secret", "passw", "session", "api-key", "apikey", "credential", "signature"}

// principalOf names the principal a request speaks for: a hash of its
// credential headers and of the URL's userinfo; zero when it has none.
func principalOf(h http.Header, user *url.Userinfo) [16]byte {
	var p [16]byte
	var names []string
	for k := range h {
		if isCredential(k) {
			names = append(names, k)
		}
	}
	if len(names) == 0 && user == nil {
		return p
	}
	slices.Sort(names)
	sum := sha256.New()
	if user != nil {
		sum.Write([]byte("userinfo\x00" + user.String() + "\x00"))
	}
	for _, name := range names {
		for _, v := range h[name] {
			sum.Write([]byte(http.CanonicalHeaderKey(name)))
			sum.Write([]byte{0})
			sum.Write([]byte(v))
			sum.Write([]byte{0})
		}
	}
	copy(p[:], sum.Sum(nil))
	return p
}

// redactHeader copies h with credential values replaced.
func redactHeader(h http.Header) http.Header {
	if h == nil {
		return nil
	}
	out := h.Clone()
	for k := range out {
		if isCredential(k) {
			out[k] = []string{"REDACTED"}
		}
	}
	return out
}

// stripCredentialsOnRedirect wraps a redirect policy so that credentials
// never follow a redirect to another host, nor from https to http (where
// they would travel in clear). net/http itself forwards API-key headers
// everywhere and every header on a scheme downgrade.
func stripCredentialsOnRedirect(next func(*http.Request, []*http.Request) error) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if next != nil {
			if err := next(req, via); err != nil {
				return err
			}
		} else if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		if len(via) == 0 {
			return nil
		}
		first := via[0].URL
		downgrade := slices.ContainsFunc(via, func(r *http.Request) bool { return strings.EqualFold(r.URL.Scheme, "https") }) &&
			!strings.EqualFold(req.URL.Scheme, "https")
		if downgrade || !strings.EqualFold(req.URL.Host, first.Host) {
			for k := range req.Header {
				if isCredential(k) {
					req.Header.Del(k)
				}
			}
		}
		return nil
	}
}
