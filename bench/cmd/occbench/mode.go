package main

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/ifmatch/ifmatch"
)

// serverMode is where the server keeps a document's version: in the ETag
// header (the default: 412 for a stale If-Match), or in a field of the
// document, as CouchDB and Kubernetes do (-version-field: 409 for a stale
// version; with -patch-tests-version a JSON Patch carries its version as a
// test operation, and a stale test gets 422).
type serverMode struct {
	versionField string // a JSON Pointer, "" for ETags
	patchTests   bool
}

// mode is the run's server mode, set once from the flags before any cell.
var mode serverMode

// serverArgs are the mockserver flags of the mode.
func (m serverMode) serverArgs() []string {
	if m.versionField == "" {
		return nil
	}
	args := []string{"-version-field", m.versionField}
	if m.patchTests {
		args = append(args, "-patch-tests-version")
	}
	return args
}

// options completes an ifmatch client's options for the mode: the version
// field, and the query parameter that carries the version unless the
// server takes it as a JSON Patch test.
func (m serverMode) options(o ifmatch.Options) *ifmatch.Options {
	o.VersionField = m.versionField
	if m.versionField != "" && !m.patchTests {
		o.VersionParam = "rev"
	}
	return &o
}

// limitPatch is the limit loop's request in the mode: its URL and its JSON
// Patch setting n, conditional on etag (the version, quoted, in the field
// modes as in the ETag mode).
func (m serverMode) limitPatch(u, etag string, n int64) (string, []byte, bool) {
	replace := fmt.Sprintf(`{"op":"replace","path":"/n","value":%d}`, n)
	switch {
	case m.versionField == "":
		return u, []byte("[" + replace + "]"), true
	case m.patchTests:
		test := fmt.Sprintf(`{"op":"test","path":%q,"value":%q}`, m.versionField, strings.Trim(etag, `"`))
		return u, []byte("[" + test + "," + replace + "]"), false
	default:
		return u + "?rev=" + url.QueryEscape(strings.Trim(etag, `"`)), []byte("[" + replace + "]"), false
	}
}

// supports reports whether an approach runs in the mode: the others send
// If-Match, which a version-field server ignores.
func (m serverMode) supports(a approach) bool {
	return m.versionField == "" || a.name == "limit" || strings.HasPrefix(a.name, "ifmatch")
}

func (m serverMode) String() string {
	switch {
	case m.versionField == "":
		return "strong ETags, 412 for a stale If-Match"
	case m.patchTests:
		return fmt.Sprintf("the version in the document at %s, 409 for a stale one; a JSON Patch carries it as a test, 422 when stale", m.versionField)
	default:
		return fmt.Sprintf("the version in the document at %s (and the rev query parameter), 409 for a stale one", m.versionField)
	}
}
