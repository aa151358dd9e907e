package mockserver

import (
	"fmt"
	"net/http"
)

// The limits on what a request can make the server hold or do. A user's
// test suite shares its process with the server, so a hostile or broken
// client must not be able to exhaust its memory.
const (
	// maxBody bounds request bodies and the documents a write may store,
	// patch results included.
	maxBody = 8 << 20

	// maxDepth bounds how deeply arrays and objects nest in a body or a
	// stored document.
	maxDepth = 64

	// maxNestingWork bounds a body's bytes weighted by their nesting: every
	// byte counts once for each array or object around it. The patch library
	// copies each nested value once per level when it decodes it, so this is
	// the work a body can cause; a flat document of maxBody bytes at depth
	// four still fits.
	maxNestingWork = 4 * maxBody

	// maxMembers bounds the object members in a body or a stored document,
	// all levels counted, so that a merge patch's work is bounded before it
	// starts: the merge is linear in the members, and a 400,000-key patch
	// once ran for minutes.
	maxMembers = 100_000

	// maxPatchOps bounds the operations of a JSON Patch: the patch library
	// looks a member up by walking its object's keys, so each operation
	// costs up to the members of the object it changes.
	maxPatchOps = 10_000
)

// nesting measures a JSON text: the deepest nesting of arrays and objects,
// the bytes weighted by nesting (each byte counts once per array or object
// around it, its brackets included), and the object members (the colons
// outside strings). It reads any input, valid JSON or not, in one pass and
// without allocating.
func nesting(data []byte) (depth int, work int64, members int) {
	cur := 0
	inString, escaped := false, false
	for _, c := range data {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == ':':
			members++
		case c == '{' || c == '[':
			cur++
			depth = max(depth, cur)
		case c == '}' || c == ']':
			work += int64(cur)
			cur = max(cur-1, 0)
			continue
		}
		work += int64(cur)
	}
	return depth, work, members
}

// checkNesting refuses a JSON text that nests deeper than maxDepth, whose
// nesting work passes maxNestingWork or that holds more than maxMembers
// object members; the error completes a sentence whose subject is the text.
func checkNesting(data []byte) error {
	depth, work, members := nesting(data)
	switch {
	case members > maxMembers:
		return fmt.Errorf("has %d object members; the limit is %d", members, maxMembers)
	case depth > maxDepth:
		return fmt.Errorf("nests arrays and objects %d deep; the limit is %d", depth, maxDepth)
	case work > maxNestingWork:
		return fmt.Errorf("weighs %d bytes counted once per enclosing array or object; the limit is %d", work, maxNestingWork)
	}
	return nil
}

// checkBody refuses a write's body that nests too deeply, before anything
// decodes it.
func checkBody(body []byte, path string) *response {
	if err := checkNesting(body); err != nil {
		return problem(http.StatusBadRequest, ProblemBadRequest, "Bad Request", "the body "+err.Error(), path)
	}
	return nil
}

// checkResult refuses a patch's result that is larger or nests deeper than
// a body may, so that a small patch cannot store a huge document.
func checkResult(doc []byte, path string) *response {
	err := checkNesting(doc)
	if len(doc) > maxBody {
		err = fmt.Errorf("has %d bytes; the limit is %d", len(doc), maxBody)
	}
	if err != nil {
		return problem(http.StatusUnprocessableEntity, ProblemPatchFailed, "Unprocessable Content",
			"the patched document "+err.Error(), path)
	}
	return nil
}
