package ifmatch

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	jsonpatch "github.com/evanphx/json-patch/v5"
)

// Modify is Update for a typed document. It decodes the current document
// into a new T, calls mutate, and writes back only what mutate changed, as
// a merge of the difference onto the current document, so fields that T
// does not declare are kept. mutate runs once per attempt on a fresh
// value and must be free of side effects. If it returns ErrNoChange, or
// changes nothing, Modify returns the current value without writing. It
// returns the committed value.
func Modify[T any](ctx context.Context, c *Client, url string, mutate func(*T) error, opts ...CallOption) (*T, error) {
	resp, err := c.Update(ctx, url, func(current []byte) ([]byte, error) {
		var v T
		if err := json.Unmarshal(current, &v); err != nil {
			return nil, fmt.Errorf("%w: decoding the document into %T: %v", ErrInvalidResponse, v, err)
		}
		before, err := marshalNoEscape(v)
		if err != nil {
			return nil, err
		}
		if err := mutate(&v); err != nil {
			return nil, err
		}
		after, err := marshalNoEscape(v)
		if err != nil {
			return nil, err
		}
		if bytes.Equal(before, after) {
			return nil, ErrNoChange
		}
		diff, err := jsonpatch.CreateMergePatch(before, after)
		if err != nil {
			return nil, fmt.Errorf("ifmatch: diffing %T: %w", v, err)
		}
		return jsonpatch.MergePatch(current, diff)
	}, opts...)
	if err != nil {
		return nil, err
	}
	out := new(T)
	if err := json.Unmarshal(resp.Body, out); err != nil {
		return nil, fmt.Errorf("%w: decoding the committed document into %T: %v", ErrInvalidResponse, *out, err)
	}
	return out, nil
}

// marshalNoEscape is json.Marshal without HTML escaping, as RFC 8259 JSON.
func marshalNoEscape(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
