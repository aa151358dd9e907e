package ifmatch

import (
	"fmt"
	"strings"

	"github.com/ifmatch/ifmatch/internal/jsonpointer"
)

// Validate reports the mistakes in o that would otherwise surface late, as
// unrelated errors: a VersionField or VersionInAnswer that is not a JSON
// Pointer (RFC 6901) to a member, VersionParam or VersionInAnswer without
// VersionField, Resolve without ThreeWayPut, an unknown PatchStrategy,
// negative or inverted transport-retry waits, and an HTTPClient that
// sends through a Client (StandardClient), which would run one conflict
// loop inside another. The error matches ErrInvalidOptions and lists every
// mistake. A nil *Options is valid: it means all defaults. New applies
// Validate; call it yourself for Options built from input.
func (o *Options) Validate() error {
	if o == nil {
		return nil
	}
	var bad []string
	fail := func(format string, args ...any) { bad = append(bad, fmt.Sprintf(format, args...)) }
	pointer := func(field, ptr string) {
		if _, err := jsonpointer.Parse(ptr); err == nil {
			return
		}
		hint := ""
		if _, err := jsonpointer.Parse("/" + ptr); err == nil {
			hint = fmt.Sprintf(" (did you mean %q?)", "/"+ptr)
		}
		fail("%s %q is not a JSON Pointer (RFC 6901) to a member%s", field, ptr, hint)
	}
	if o.VersionField != "" {
		pointer("VersionField", o.VersionField)
	}
	if o.VersionInAnswer != "" {
		pointer("VersionInAnswer", o.VersionInAnswer)
	}
	if o.VersionField == "" {
		if o.VersionParam != "" {
			fail("VersionParam %q needs VersionField: it carries the version that field holds", o.VersionParam)
		}
		if o.VersionInAnswer != "" {
			fail("VersionInAnswer %q needs VersionField: it names the new version of that field", o.VersionInAnswer)
		}
	}
	if o.Resolve != nil && !o.ThreeWayPut {
		fail("Resolve is set without ThreeWayPut: it decides only three-way merges")
	}
	if o.PatchStrategy != ApplyLocally && o.PatchStrategy != SendPatch {
		fail("PatchStrategy %d is neither ApplyLocally nor SendPatch", o.PatchStrategy)
	}
	if o.RetryWaitMin < 0 || o.RetryWaitMax < 0 {
		fail("RetryWaitMin (%v) and RetryWaitMax (%v) must not be negative", o.RetryWaitMin, o.RetryWaitMax)
	} else if o.RetryWaitMin > 0 && o.RetryWaitMax > 0 && o.RetryWaitMin > o.RetryWaitMax {
		fail("RetryWaitMin (%v) is more than RetryWaitMax (%v)", o.RetryWaitMin, o.RetryWaitMax)
	}
	if h := o.IdempotencyHeader; h != "" && !isToken(h) {
		fail("IdempotencyHeader %q is not a header name", h)
	}
	if o.HTTPClient != nil {
		if _, loops := o.HTTPClient.Transport.(*transport); loops {
			fail("HTTPClient sends through a Client (StandardClient): give the Client a plain *http.Client")
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrInvalidOptions, strings.Join(bad, "; "))
}

// isToken reports whether s is an RFC 9110 token, as header names are.
func isToken(s string) bool {
	for _, r := range s {
		if r >= 0x7f || r <= ' ' || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r) {
			return false
		}
	}
	return s != ""
}
