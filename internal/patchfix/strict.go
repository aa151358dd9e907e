package patchfix

import (
	"fmt"
	"slices"

	jsonpatch "github.com/evanphx/json-patch/v5"

	"github.com/ifmatch/ifmatch/internal/jsonpointer"
)

// applyStrict applies a patch as RFC 6902 and RFC 6901 say, on a decoded
// copy of the document. Its errors wrap the library's sentinels
// (jsonpatch.ErrTestFailed, ErrMissing, ErrInvalidIndex, ErrInvalid,
// ErrUnknownType), so that callers classify both paths' errors alike. Of
// opts it honors AccumulatedCopySizeLimit and EscapeHTML; the others are
// the RFC's behaviour in the callers here (no negative indices, no
// implicit parents, a missing path to remove is an error).
func applyStrict(p jsonpatch.Patch, doc []byte, opts *jsonpatch.ApplyOptions) ([]byte, error) {
	root, err := decode(doc)
	if err != nil {
		return nil, fmt.Errorf("%w: the document: %v", jsonpatch.ErrInvalid, err)
	}
	var copied int64
	for i, op := range p {
		root, err = applyOp(root, op, opts, &copied)
		if err != nil {
			return nil, fmt.Errorf("operation %d (%s): %w", i, op.Kind(), err)
		}
	}
	return encode(root, opts.EscapeHTML)
}

// applyOp applies one operation and returns the new root, which differs
// from root only when the operation replaces the whole document.
func applyOp(root any, op jsonpatch.Operation, opts *jsonpatch.ApplyOptions, copied *int64) (any, error) {
	path, err := pointer(op, "path")
	if err != nil {
		return nil, err
	}
	switch op.Kind() {
	case "add":
		v, err := value(op)
		if err != nil {
			return nil, err
		}
		return add(root, path, v)
	case "remove":
		return remove(root, path)
	case "replace":
		v, err := value(op)
		if err != nil {
			return nil, err
		}
		return replace(root, path, v)
	case "move":
		from, err := pointer(op, "from")
		if err != nil {
			return nil, err
		}
		if len(from) < len(path) && slices.Equal(from, path[:len(from)]) {
			return nil, fmt.Errorf("%w: cannot move a value into itself", jsonpatch.ErrInvalid)
		}
		v, err := get(root, from)
		if err != nil {
			return nil, err
		}
		if slices.Equal(from, path) {
			return root, nil
		}
		if root, err = remove(root, from); err != nil {
			return nil, err
		}
		return add(root, path, v)
	case "copy":
		from, err := pointer(op, "from")
		if err != nil {
			return nil, err
		}
		v, err := get(root, from)
		if err != nil {
			return nil, err
		}
		if limit := opts.AccumulatedCopySizeLimit; limit > 0 {
			b, _ := encode(v, false)
			*copied += int64(len(b))
			if *copied > limit {
				return nil, jsonpatch.NewAccumulatedCopySizeError(limit, *copied)
			}
		}
		return add(root, path, clone(v))
	case "test":
		want, err := value(op)
		if err != nil {
			return nil, err
		}
		got, err := get(root, path)
		if err != nil {
			// the target must exist: a missing one fails the test like a
			// different value (json-patch/v5 also fails a missing member,
			// unless the expected value is null)
			return nil, fmt.Errorf("%w: %v", jsonpatch.ErrTestFailed, err)
		}
		if !equal(got, want) {
			return nil, fmt.Errorf("testing value %s failed: %w", jsonpointer.Format(path...), jsonpatch.ErrTestFailed)
		}
		return root, nil
	default:
		return nil, fmt.Errorf("%w: unknown op %q", jsonpatch.ErrUnknownType, op.Kind())
	}
}

// pointer parses the operation's "path" or "from" member.
func pointer(op jsonpatch.Operation, member string) ([]string, error) {
	var (
		s   string
		err error
	)
	if member == "from" {
		s, err = op.From()
	} else {
		s, err = op.Path()
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", jsonpatch.ErrMissing, member, err)
	}
	tokens, err := jsonpointer.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", jsonpatch.ErrInvalid, member, err)
	}
	return tokens, nil
}

// value decodes the operation's "value" member, which must be present.
func value(op jsonpatch.Operation) (any, error) {
	raw, ok := op["value"]
	if !ok {
		return nil, fmt.Errorf("%w: no value", jsonpatch.ErrMissing)
	}
	if raw == nil {
		return nil, nil // "value": null
	}
	v, err := decode(*raw)
	if err != nil {
		return nil, fmt.Errorf("%w: value: %v", jsonpatch.ErrInvalid, err)
	}
	return v, nil
}

// get returns the value a pointer references.
func get(root any, path []string) (any, error) {
	v := root
	for i, t := range path {
		switch c := v.(type) {
		case *object:
			next, ok := c.get(t)
			if !ok {
				return nil, fmt.Errorf("%w: %s", jsonpatch.ErrMissing, jsonpointer.Format(path[:i+1]...))
			}
			v = next
		case *array:
			j, err := jsonpointer.Index(t, len(c.elems), false)
			if err != nil {
				return nil, fmt.Errorf("%w: %s: %v", jsonpatch.ErrInvalidIndex, jsonpointer.Format(path[:i+1]...), err)
			}
			v = c.elems[j]
		default:
			return nil, fmt.Errorf("%w: %s: not an object or array", jsonpatch.ErrMissing, jsonpointer.Format(path[:i]...))
		}
	}
	return v, nil
}

// add is RFC 6902 section 4.1: the whole document, a member set or added,
// or an element inserted (or appended at "-"). The parent must exist.
func add(root any, path []string, v any) (any, error) {
	if len(path) == 0 {
		return v, nil
	}
	parent, err := get(root, path[:len(path)-1])
	if err != nil {
		return nil, err
	}
	last := path[len(path)-1]
	switch c := parent.(type) {
	case *object:
		c.set(last, v)
	case *array:
		j, err := jsonpointer.Index(last, len(c.elems), true)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", jsonpatch.ErrInvalidIndex, jsonpointer.Format(path...), err)
		}
		c.insert(j, v)
	default:
		return nil, fmt.Errorf("%w: %s: the parent is not an object or array", jsonpatch.ErrMissing, jsonpointer.Format(path...))
	}
	return root, nil
}

// replace is RFC 6902 section 4.3: the target must exist, and a member
// keeps its place among the others.
func replace(root any, path []string, v any) (any, error) {
	if _, err := get(root, path); err != nil {
		return nil, err
	}
	if len(path) == 0 {
		return v, nil
	}
	parent, _ := get(root, path[:len(path)-1])
	last := path[len(path)-1]
	switch c := parent.(type) {
	case *object:
		c.vals[last] = v
	case *array:
		j, _ := jsonpointer.Index(last, len(c.elems), false)
		c.elems[j] = v
	}
	return root, nil
}

// remove is RFC 6902 section 4.2: the target must exist.
func remove(root any, path []string) (any, error) {
	if len(path) == 0 {
		return nil, fmt.Errorf("%w: cannot remove the whole document", jsonpatch.ErrInvalid)
	}
	if _, err := get(root, path); err != nil {
		return nil, err
	}
	parent, _ := get(root, path[:len(path)-1])
	last := path[len(path)-1]
	switch c := parent.(type) {
	case *object:
		c.remove(last)
	case *array:
		j, _ := jsonpointer.Index(last, len(c.elems), false)
		c.remove(j)
	}
	return root, nil
}
