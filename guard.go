package ifmatch

import (
	"bytes"
	"context"
	"fmt"
	"slices"

	"github.com/ifmatch/ifmatch/internal/jsonpointer"
	"github.com/ifmatch/ifmatch/internal/merge3"
)

// A change computed from what its caller read ({"stock": 99} after reading
// 100) is only right on a document where what it writes still reads as it
// did. guarded reapplies such a change after a conflict only when none of
// the fields it writes changed since the caller's version; otherwise the
// caller gets the conflict.

// guarded is a change tied to the document its caller read.
type guarded struct {
	change
	base  []byte   // the document at the caller's version
	paths []string // JSON Pointers the change writes; "" is the whole document
}

// writer is a change that can say which fields it writes.
type writer interface {
	writes() []string
}

func (g *guarded) apply(doc []byte) ([]byte, error) {
	if !bytes.Equal(doc, g.base) {
		if moved := changedPaths(g.base, doc, g.paths); len(moved) > 0 {
			return nil, &mergeConflict{pointers: moved, err: ErrFieldsChanged}
		}
	}
	return g.change.apply(doc)
}

// guard ties ch to the version b its caller read. A change from the
// Client's newest version needs no guard. The document at b is read when
// the Client does not hold it; if the resource has moved on meanwhile, the
// call is a conflict at once.
func (c *Client) guard(ctx context.Context, t *target, b basis, ch change, method string) (change, error) {
	if !b.pinned() {
		return ch, nil
	}
	if b.body == nil {
		fresh, err := c.fetch(ctx, t, true)
		if err != nil {
			return nil, err
		}
		if fresh.etag != b.etag {
			return nil, &ConflictError{Method: method, URL: t.safeURL(), ETag: fresh.etag,
				Err: fmt.Errorf("%w: version %s is no longer current", ErrFieldsChanged, b.etag)}
		}
		b.body = fresh.body
	}
	paths := []string{""}
	if w, ok := ch.(writer); ok {
		paths = w.writes()
	}
	return &guarded{change: ch, base: b.body, paths: paths}, nil
}

// changedPaths returns the pointers among paths whose values differ
// between a and b. Inside an array the whole array counts as the field,
// since positions shift.
func changedPaths(a, b []byte, paths []string) []string {
	av, aerr := merge3.Decode(a)
	bv, berr := merge3.Decode(b)
	if aerr != nil || berr != nil {
		return slices.Clone(paths)
	}
	var moved []string
	for _, p := range paths {
		x, y := fieldAt(av, p), fieldAt(bv, p)
		if !merge3.Equal(x, y) {
			moved = append(moved, p)
		}
	}
	return moved
}

// fieldAt is the value at ptr, or at the first array on the way there;
// absent is nil.
func fieldAt(doc any, ptr string) any {
	toks, ok := pointerTokens(ptr)
	if !ok {
		return doc
	}
	cur := doc
	for _, k := range toks {
		switch n := cur.(type) {
		case map[string]any:
			v, ok := n[k]
			if !ok {
				return merge3.Absent
			}
			cur = v
		case []any:
			return n
		default:
			// A scalar where the path goes on: a write there replaces it.
			return n
		}
	}
	return cur
}

// writes lists the fields a JSON Patch writes: each operation's path, and
// the source of a move.
func (p *jsonPatch) writes() []string {
	var out []string
	for _, op := range p.ops {
		if op.Kind() == "test" {
			continue
		}
		if path, err := op.Path(); err == nil {
			out = append(out, path)
		}
		if op.Kind() == "move" {
			if from, err := op.From(); err == nil {
				out = append(out, from)
			}
		}
	}
	return out
}

// writes lists the fields a merge patch writes: the leaves of its object.
func (p *mergePatch) writes() []string {
	v, err := merge3.Decode(p.raw)
	if err != nil {
		return []string{""}
	}
	m, ok := v.(map[string]any)
	if !ok {
		return []string{""}
	}
	return mergeLeaves("", m, nil)
}

func mergeLeaves(prefix string, m map[string]any, out []string) []string {
	for k, v := range m {
		p := prefix + "/" + jsonpointer.Escape(k)
		if sub, ok := v.(map[string]any); ok && len(sub) > 0 {
			out = mergeLeaves(p, sub, out)
			continue
		}
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}
