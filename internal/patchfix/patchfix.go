// Package patchfix applies RFC 6902 JSON Patches with
// github.com/evanphx/json-patch/v5, except the patches whose pointers that
// library reads wrongly, which it applies itself, strictly by RFC 6902 and
// RFC 6901. The SDK's local apply and the mockserver both call Apply, so
// that a patch means the same on either side of the wire.
//
// # The library's bugs (v5.9.11), as reported upstream
//
// This is the issue to file at https://github.com/evanphx/json-patch/issues
// (written here, not filed from this repository's sessions, which have no
// access to GitHub; whoever reads this may file it):
//
//	Title: v5: JSON Pointer "/" (the empty-string key) resolves to the
//	parent, and array indices with leading zeros or a sign are accepted
//
//	Version: github.com/evanphx/json-patch/v5 v5.9.11, with
//	ApplyOptions{SupportNegativeIndices: false}. Both cases are in the
//	json-patch-tests suite (tests.json, "Empty-string element" and "test
//	with bad array number that has leading zeros").
//
//	1. A reference token that is the empty string names the member ""
//	   (RFC 6901 section 5: "/" is the value of the key ""), but
//	   partialDoc.get and partialArray.get return the container itself for
//	   key "". So:
//	     doc   {"": 1}
//	     patch [{"op":"test","path":"/","value":1}]
//	   fails with "testing value / failed: test failed" (it should pass),
//	   and [{"op":"test","path":"/","value":{"":1}}] passes (it should
//	   fail). The same happens for an empty token anywhere in a path
//	   ("/a//b" is read as "/a/b") and in "from" ({"":1} with
//	   [{"op":"copy","from":"/","path":"/x"}] copies the whole document).
//
//	2. RFC 6901 section 4 allows an array index only as "0" or a digit
//	   string without leading zeros, but the library reads indices with
//	   strconv.Atoi, which also takes "00", "01", "+1" and "-0". So:
//	     doc   ["foo", "bar"]
//	     patch [{"op":"test","path":"/00","value":"foo"}]
//	   and [{"op":"test","path":"/01","value":"bar"}] pass (both must be
//	   errors), [{"op":"remove","path":"/+1"}] removes "bar", and
//	   [{"op":"remove","path":"/-0"}] removes "foo" although negative
//	   indices are off.
//
//	3. (Minor, same suite: "missing 'value' parameter to test".) A "test"
//	   without "value" is read as a test for null, and passes:
//	     doc   [null]
//	     patch [{"op":"test","path":"/0"}]
//	   RFC 6902 section 4.6 requires the member; it must be an error.
//
//	4. (Found by fuzzing against a strict implementation.) The whole
//	   document, path "", is special-cased in add, replace and test only;
//	   remove, move and copy read it as the member "":
//	     doc   {"a":1}
//	     patch [{"op":"copy","from":"","path":""}]
//	   gives {"a":1,"":{"a":1}} where RFC 6902 gives {"a":1}, and
//	   [{"op":"remove","path":""}] on {"":1} gives {}. As a "from", ""
//	   yields the document as it was before the patch, not as the earlier
//	   operations left it:
//	     doc   {"a":1}
//	     patch [{"op":"add","path":"/b","value":2},
//	            {"op":"copy","from":"","path":"/c"}]
//	   gives {"a":1,"b":2,"c":{"a":1}}, not {"a":1,"b":2,"c":{"a":1,"b":2}}.
//
//	A fix: in get, treat "" as an ordinary key for objects and as an
//	invalid index for arrays; parse indices with a strict check
//	(token == "0" || token[0] != '0' and all digits) before strconv.Atoi;
//	check that "value" is present in validateOperation for "test" as for
//	"add" and "replace".
//
// Until a release fixes them, Apply routes the patches that may meet
// either bug (a pointer with an empty token, or a token strconv.Atoi
// accepts that is not a canonical index, or a pointer that is not RFC 6901
// at all, or an operation without its value) to its own strict implementation, and every other patch to the
// library as before. The conformance tests (conformance_test.go at the
// module root) run the whole suite through both sides.
package patchfix

import (
	jsonpatch "github.com/evanphx/json-patch/v5"
)

// Apply applies p to doc with opts: with json-patch/v5 when its pointers
// are ones the library reads as RFC 6901 does, strictly here otherwise.
// Errors wrap the library's sentinels (jsonpatch.ErrTestFailed for a
// failed test) either way.
func Apply(p jsonpatch.Patch, doc []byte, opts *jsonpatch.ApplyOptions) ([]byte, error) {
	if needsStrict(p) {
		return applyStrict(p, doc, opts)
	}
	return p.ApplyWithOptions(doc, opts)
}

// needsStrict reports whether a pointer of the patch may be misread by
// json-patch/v5, or an operation lacks its value. It allocates nothing: it
// runs on every apply.
func needsStrict(p jsonpatch.Patch) bool {
	for _, op := range p {
		if _, ok := op["value"]; !ok && (op.Kind() == "add" || op.Kind() == "replace" || op.Kind() == "test") {
			return true
		}
		for _, member := range [...]string{"path", "from"} {
			raw, ok := op[member]
			if !ok || raw == nil {
				continue
			}
			s, ok := rawString(*raw)
			if !ok || misread(s) {
				return true
			}
			if s == "" && (member == "from" || op.Kind() != "add" && op.Kind() != "replace" && op.Kind() != "test") {
				return true // the whole document as the source of move or copy, or the target of remove, move or copy
			}
		}
	}
	return false
}

// rawString returns a JSON string literal's content when it has no
// backslash escapes; with escapes (or not a string) it reports false, and
// the strict path decodes it properly.
func rawString(raw []byte) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return "", false
	}
	s := raw[1 : len(raw)-1]
	for _, c := range s {
		if c == '\\' || c == '"' {
			return "", false
		}
	}
	return string(s), true
}

// misread reports whether json-patch/v5 may read the pointer otherwise
// than RFC 6901: it is not a pointer, or a token is empty or looks like an
// index to strconv.Atoi without being a canonical one. "~0" and "~1" do
// not change whether a token is digits, so the escaped form is checked.
func misread(ptr string) bool {
	if ptr == "" {
		return false
	}
	if ptr[0] != '/' {
		return true
	}
	start := 1
	for i := 1; i <= len(ptr); i++ {
		if i < len(ptr) && ptr[i] != '/' {
			if ptr[i] == '~' && (i+1 == len(ptr) || ptr[i+1] != '0' && ptr[i+1] != '1') {
				return true
			}
			continue
		}
		if tok := ptr[start:i]; tok == "" || signedOrPadded(tok) {
			return true
		}
		start = i + 1
	}
	return false
}

// signedOrPadded reports whether strconv.Atoi would take a token that is
// not a canonical array index: digits with a sign or a leading zero.
func signedOrPadded(tok string) bool {
	digits := tok
	if digits[0] == '+' || digits[0] == '-' {
		digits = digits[1:]
	}
	if digits == "" {
		return false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return false
		}
	}
	return len(digits) != len(tok) || len(digits) > 1 && digits[0] == '0'
}
