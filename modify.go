package ifmatch

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"github.com/ifmatch/ifmatch/internal/merge3"
)

// Modify is Update for a typed document. It decodes the current document
// into a new T, calls mutate, and writes back only what mutate changed, as
// a merge of the difference onto the current document, so fields that T
// does not declare are kept. mutate runs once per attempt on a fresh
// value and must be free of side effects. If it returns [ErrNoChange], or
// changes nothing, Modify returns the current value without writing. It
// returns the committed value.
func Modify[T any](ctx context.Context, c *Client, url string, mutate func(*T) error, opts ...CallOption) (_ *T, err error) {
	ctx, end := c.startCall(ctx, "Modify", http.MethodPut, url)
	var resp *Response
	defer func() { c.endCall(ctx, end, resp, err) }()
	t, err := c.target(url, opts)
	if err != nil {
		return nil, err
	}
	m := &typedMutation[T]{mutate: mutate}
	resp, err = c.write(ctx, &write{kind: kindChange, t: t, change: m})
	if err != nil {
		return nil, err
	}
	if m.wrote != nil && bytes.Equal(resp.Body, m.wrote) {
		return m.value, nil // the committed document is what this call wrote
	}
	out := new(T)
	if err := json.Unmarshal(resp.Body, out); err != nil {
		return nil, fmt.Errorf("%w: decoding the committed document into %T: %v", ErrInvalidResponse, *out, err)
	}
	return out, nil
}

// typedMutation is Modify's change: decode, mutate, and write back the
// difference. It remembers its last result, so that Modify need not decode
// the committed document again when it is that result.
type typedMutation[T any] struct {
	mutate func(*T) error
	wrote  []byte // the document the last apply returned
	value  *T     // and its decoded form
}

func (m *typedMutation[T]) apply(current []byte) ([]byte, error) {
	m.wrote, m.value = nil, nil
	v := new(T)
	if err := json.Unmarshal(current, v); err != nil {
		return nil, fmt.Errorf("%w: decoding the document into %T: %v", ErrInvalidResponse, *v, err)
	}
	before, err := marshalNoEscape(v)
	if err != nil {
		return nil, err
	}
	if err := m.mutate(v); err != nil {
		return nil, err
	}
	after, err := marshalNoEscape(v)
	if err != nil {
		return nil, err
	}
	if bytes.Equal(before, after) {
		return nil, ErrNoChange
	}
	if bytes.Equal(before, current) {
		// T holds the whole document, as written: its new encoding is the
		// new document. (The common case once T's own encoding is stored.)
		m.wrote, m.value = after, v
		return after, nil
	}
	// Merge only the difference, so that members T does not declare, and
	// the document's own layout, are kept.
	diff, err := mergeDiff(before, after)
	if err != nil {
		return nil, fmt.Errorf("ifmatch: diffing %T: %w", *v, err)
	}
	return jsonpatch.MergePatch(current, diff)
}

// mergeDiff is the RFC 7396 merge patch that turns a into b (two JSON
// objects), with numbers kept exact: json-patch's CreateMergePatch decodes
// them as float64, which changes integers beyond 2^53.
func mergeDiff(a, b []byte) ([]byte, error) {
	av, err := merge3.Decode(a)
	if err != nil {
		return nil, err
	}
	bv, err := merge3.Decode(b)
	if err != nil {
		return nil, err
	}
	am, aok := av.(map[string]any)
	bm, bok := bv.(map[string]any)
	if !aok || !bok {
		return marshalNoEscape(bv)
	}
	return marshalNoEscape(objectDiff(am, bm))
}

func objectDiff(a, b map[string]any) map[string]any {
	out := map[string]any{}
	for k, av := range a {
		bv, ok := b[k]
		switch {
		case !ok:
			out[k] = nil
		case merge3.Equal(av, bv):
		default:
			am, aok := av.(map[string]any)
			bm, bok := bv.(map[string]any)
			if aok && bok {
				out[k] = objectDiff(am, bm)
			} else {
				out[k] = bv
			}
		}
	}
	for k, bv := range b {
		if _, ok := a[k]; !ok {
			out[k] = bv
		}
	}
	return out
}

// marshalNoEscape is json.Marshal without HTML escaping, as RFC 8259 JSON
// (merge3.Marshal, shared with the three-way merge).
func marshalNoEscape(v any) ([]byte, error) { return merge3.Marshal(v) }
