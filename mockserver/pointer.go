package mockserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ifmatch/ifmatch/internal/jsonpointer"
)

// parsePointer splits an RFC 6901 JSON Pointer into unescaped tokens.
// Options.Validate has rejected the pointers it cannot parse.
func parsePointer(p string) []string {
	tokens, _ := jsonpointer.Parse(p)
	return tokens
}

// errNoVersionPlace says the version field cannot be placed in a document,
// for instance because the document is not a JSON object.
var errNoVersionPlace = errors.New("the version field cannot be placed in this document")

// decodeJSON decodes a document keeping numbers as written.
func decodeJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// getPointer returns the string at the pointer. A missing or null value is
// absent; any other kind of value is an error, since a version is a string.
func getPointer(data []byte, tokens []string) (value string, present bool, err error) {
	v, err := decodeJSON(data)
	if err != nil {
		return "", false, err
	}
	for _, t := range tokens {
		switch c := v.(type) {
		case map[string]any:
			v = c[t]
		case []any:
			i, err := jsonpointer.Index(t, len(c), false)
			if err != nil {
				return "", false, nil
			}
			v = c[i]
		default:
			return "", false, nil
		}
	}
	switch s := v.(type) {
	case nil:
		return "", false, nil
	case string:
		return s, true, nil
	default:
		return "", false, fmt.Errorf("the version field holds %T, want a string", v)
	}
}

// setPointer writes value at the pointer, creating missing or null
// intermediate objects, and returns the re-encoded document.
func setPointer(data []byte, tokens []string, value string) ([]byte, error) {
	root, err := decodeJSON(data)
	if err != nil {
		return nil, err
	}
	if _, ok := root.(map[string]any); !ok {
		return nil, fmt.Errorf("%w: the document is not a JSON object", errNoVersionPlace)
	}
	parent := root
	for i, t := range tokens {
		last := i == len(tokens)-1
		switch c := parent.(type) {
		case map[string]any:
			if last {
				c[t] = value
				break
			}
			next, ok := c[t]
			if !ok || next == nil {
				next = map[string]any{}
				c[t] = next
			}
			parent = next
		case []any:
			j, err := jsonpointer.Index(t, len(c), false)
			if err != nil {
				return nil, fmt.Errorf("%w: no element %q", errNoVersionPlace, t)
			}
			if last {
				c[j] = value
				break
			}
			if c[j] == nil {
				c[j] = map[string]any{}
			}
			parent = c[j]
		default:
			return nil, fmt.Errorf("%w: a %T is in the way", errNoVersionPlace, c)
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // keep the client's "<" and "&" as sent
	if err := enc.Encode(root); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
