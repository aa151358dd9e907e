package mockserver

import (
	"bytes"
	"fmt"
	"net/http"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"github.com/ifmatch/ifmatch/internal/mergepatch"
	"github.com/ifmatch/ifmatch/internal/patchfix"
)

// Patch media types (RFC 6902 and RFC 7396).
const (
	jsonPatchType  = "application/json-patch+json"
	mergePatchType = "application/merge-patch+json"
)

// applyPatch applies a PATCH request's patch to the current document. It
// returns the error answer when the patch does not apply or its result
// passes the limits of a body.
func applyPatch(cur []byte, wr *writeRequest) ([]byte, *response) {
	var next []byte
	var err error
	if wr.merge != nil {
		// linear in the sizes, with json-patch's results
		next, err = mergepatch.Apply(cur, wr.merge)
	} else {
		next, err = applyJSONPatch(cur, wr.patch)
	}
	if err != nil {
		return nil, problem(http.StatusUnprocessableEntity, ProblemPatchFailed, "Unprocessable Content",
			"the patch does not apply: "+err.Error(), wr.path)
	}
	if resp := checkResult(next, wr.path); resp != nil {
		return nil, resp
	}
	return next, nil
}

// applyJSONPatch applies an RFC 6902 patch with RFC behaviour (no negative
// indices, no HTML escaping), its copies bounded by the body cap.
func applyJSONPatch(cur []byte, p jsonpatch.Patch) ([]byte, error) {
	if k := jsonKind(cur); k != "object" && k != "array" {
		return nil, fmt.Errorf("a JSON Patch applies to an object or an array, and the document is %s", k)
	}
	opts := jsonpatch.NewApplyOptions()
	opts.SupportNegativeIndices = false
	opts.EscapeHTML = false
	opts.AccumulatedCopySizeLimit = maxBody // the library's check, after each copy
	if err := checkCopies(cur, p); err != nil {
		return nil, err
	}
	// json-patch/v5 with the SDK's workaround for its pointer bugs.
	return patchfix.Apply(p, cur, opts)
}

// checkRootOps refuses the operations on the whole document (path "") that
// the patch library gets wrong, with a detail saying what to do instead:
// replacing it with anything but an object or an array, removing it, and
// moving or copying onto it. Replacing it with an object or an array, and
// testing it, work.
func checkRootOps(p jsonpatch.Patch) error {
	for i, op := range p {
		if path, err := op.Path(); err != nil || path != "" {
			continue
		}
		switch kind := op.Kind(); kind {
		case "add", "replace":
			var v []byte
			if raw := op["value"]; raw != nil {
				v = *raw
			}
			if k := jsonKind(v); k != "object" && k != "array" {
				return fmt.Errorf(`operation %d (%s at path ""): the mock server replaces the whole document only with an object or an array, not %s; PUT the document instead`, i, kind, k)
			}
		case "remove":
			return fmt.Errorf(`operation %d (remove at path ""): a patch cannot remove the whole document; DELETE it instead`, i)
		case "move", "copy":
			return fmt.Errorf(`operation %d (%s to path ""): the mock server does not %s onto the whole document; PUT the document instead`, i, kind, kind)
		}
	}
	return nil
}

// jsonKind names the kind of a JSON value by its first byte.
func jsonKind(v []byte) string {
	v = bytes.TrimLeft(v, " \t\r\n")
	if len(v) == 0 {
		return "nothing"
	}
	switch v[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}
