package ifmatch

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	jsonpatch "github.com/evanphx/json-patch/v5"

	"github.com/ifmatch/ifmatch/internal/jsonpointer"
	"github.com/ifmatch/ifmatch/internal/patchfix"
)

// change is one caller's edit of a document. The conflict loop applies it to
// every fresh version of the resource until a write commits.
type change interface {
	// apply returns the document with the change made. It fails with
	// ErrTestFailed for a failed JSON Patch test, ErrNoChange when there is
	// nothing to write, or the caller's own error.
	apply(doc []byte) ([]byte, error)
}

// applyOptions are RFC 6902 as written: no negative indices, no HTML
// escaping, no implicit creation of parents.
var applyOptions = func() *jsonpatch.ApplyOptions {
	o := jsonpatch.NewApplyOptions()
	o.SupportNegativeIndices = false
	o.EscapeHTML = false
	o.AllowMissingPathOnRemove = false
	o.EnsurePathExistsOnAdd = false
	return o
}()

// jsonPatch is an RFC 6902 patch, decoded once and reapplied on each rebase.
type jsonPatch struct {
	raw  []byte
	ops  jsonpatchOps
	opts *jsonpatch.ApplyOptions // nil: applyOptions
}

// newJSONPatch decodes a patch whose copy operations may add at most
// MaxBodyBytes to a document, so that a small patch cannot build a huge
// one.
func (c *Client) newJSONPatch(raw []byte) (*jsonPatch, error) {
	p, err := newJSONPatch(raw)
	if err != nil {
		return nil, err
	}
	p.opts = copyLimited(c.cfg.MaxBodyBytes)
	return p, nil
}

// copyLimited is applyOptions with the bytes that copy operations add
// bounded by limit (<0: unbounded).
func copyLimited(limit int64) *jsonpatch.ApplyOptions {
	o := *applyOptions
	if limit >= 0 {
		o.AccumulatedCopySizeLimit = max(limit, 1)
	}
	return &o
}

type jsonpatchOps = jsonpatch.Patch

func newJSONPatch(raw []byte) (*jsonPatch, error) {
	ops, err := jsonpatch.DecodePatch(raw)
	if err != nil || ops == nil {
		if err == nil {
			err = errors.New("not a JSON array of operations")
		}
		return nil, fmt.Errorf("%w: json patch: %v", ErrInvalidChange, err)
	}
	for i, op := range ops {
		path, err := op.Path()
		if err == nil {
			_, err = jsonpointer.Parse(path)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: json patch operation %d: %v", ErrInvalidChange, i, err)
		}
		switch op.Kind() {
		case "add", "replace", "test":
			if _, ok := op["value"]; !ok {
				return nil, fmt.Errorf("%w: json patch operation %d (%s) has no value", ErrInvalidChange, i, op.Kind())
			}
		case "move", "copy":
			from, err := op.From()
			if err == nil {
				_, err = jsonpointer.Parse(from)
			}
			if err != nil {
				return nil, fmt.Errorf("%w: json patch operation %d (%s): from: %v", ErrInvalidChange, i, op.Kind(), err)
			}
		case "remove":
		default:
			return nil, fmt.Errorf("%w: json patch operation %d: unknown op %q", ErrInvalidChange, i, op.Kind())
		}
	}
	return &jsonPatch{raw: raw, ops: ops}, nil
}

func (p *jsonPatch) apply(doc []byte) (out []byte, err error) {
	defer func() {
		// The patch library has panicked on odd but valid input before
		// (found by fuzzing); a patch must fail, never crash the caller.
		if r := recover(); r != nil {
			out, err = nil, &patchError{err: fmt.Errorf("json patch library panic: %v", r)}
		}
	}()
	opts := p.opts
	if opts == nil {
		opts = applyOptions
	}
	// patchfix: json-patch/v5 with a workaround for its pointer bugs.
	out, err = patchfix.Apply(p.ops, doc, opts)
	switch {
	case errors.Is(err, jsonpatch.ErrTestFailed):
		return nil, p.testFailure(doc, opts)
	case err != nil:
		return nil, &patchError{err: err}
	}
	return out, nil
}

// testFailure is ErrTestFailed naming the test operation that failed on
// doc (its index from 0, and its path), found by applying the operations
// one at a time: a rare path, so the whole patch is applied at once
// otherwise.
func (p *jsonPatch) testFailure(doc []byte, opts *jsonpatch.ApplyOptions) error {
	for i := range p.ops {
		next, err := patchfix.Apply(p.ops[i:i+1], doc, opts)
		if errors.Is(err, jsonpatch.ErrTestFailed) {
			path, _ := p.ops[i].Path()
			return fmt.Errorf("%w: operation %d (test %q)", ErrTestFailed, i, path)
		}
		if err != nil {
			break
		}
		doc = next
	}
	return ErrTestFailed
}

// patchError is a patch that does not apply to the current document for a
// reason other than a failed test (a missing path, for example): the
// caller's error, not a conflict.
type patchError struct{ err error }

func (e *patchError) Error() string {
	return "ifmatch: patch does not apply to the current document: " + e.err.Error()
}
func (e *patchError) Unwrap() error { return ErrInvalidChange }

// mergePatch is an RFC 7396 merge patch.
type mergePatch struct{ raw []byte }

func newMergePatch(raw []byte) (*mergePatch, error) {
	if !json.Valid(raw) {
		return nil, fmt.Errorf("%w: merge patch is not valid JSON", ErrInvalidChange)
	}
	return &mergePatch{raw: raw}, nil
}

func (p *mergePatch) apply(doc []byte) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, &patchError{err: fmt.Errorf("merge patch library panic: %v", r)}
		}
	}()
	out, err = jsonpatch.MergePatch(doc, p.raw)
	if err != nil {
		return nil, &patchError{err: err}
	}
	return out, nil
}

// mutation runs a caller's function on a private copy of the document.
type mutation func(current []byte) ([]byte, error)

func (m mutation) apply(doc []byte) ([]byte, error) {
	out, err := m(bytes.Clone(doc))
	if err != nil {
		return nil, err
	}
	if !json.Valid(out) {
		return nil, fmt.Errorf("%w: the mutate function returned invalid JSON", ErrInvalidChange)
	}
	return out, nil
}

// isFinal reports whether a change's failure stands on its own, whatever
// version it met: a patch that is malformed for every document. Others
// (a failed test, a mutate error) may be artifacts of a stale document and
// are rechecked on a fresh one before they are returned.
func isFinal(err error) bool {
	var pe *patchError
	var panicked *panicError
	return errors.As(err, &panicked) || errors.Is(err, ErrTooLarge) || errors.Is(err, ErrInvalidChange) && !errors.As(err, &pe)
}
