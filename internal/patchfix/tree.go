package patchfix

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// The decoded document of the strict path: nil, bool, json.Number (as
// written), string, *object or *array. Objects keep their members' order,
// as json-patch/v5 does, so that which path applied a patch does not show
// in the result.
type (
	object struct {
		keys []string
		vals map[string]any
	}
	array struct{ elems []any }
)

func (o *object) get(k string) (any, bool) {
	v, ok := o.vals[k]
	return v, ok
}

// set replaces a member in place or appends a new one.
func (o *object) set(k string, v any) {
	if _, ok := o.vals[k]; !ok {
		o.keys = append(o.keys, k)
	}
	o.vals[k] = v
}

func (o *object) remove(k string) {
	delete(o.vals, k)
	for i, key := range o.keys {
		if key == k {
			o.keys = append(o.keys[:i], o.keys[i+1:]...)
			return
		}
	}
}

func (a *array) insert(i int, v any) {
	a.elems = append(a.elems, nil)
	copy(a.elems[i+1:], a.elems[i:])
	a.elems[i] = v
}

func (a *array) remove(i int) {
	a.elems = append(a.elems[:i], a.elems[i+1:]...)
}

// decode reads one JSON value and nothing after it.
func decode(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeValue(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err == nil {
		return nil, errors.New("data after the JSON value")
	}
	return v, nil
}

func decodeValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			o := &object{vals: map[string]any{}}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				v, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				o.set(kt.(string), v) // a repeated key: the last value wins, as in encoding/json
			}
			_, err := dec.Token() // '}'
			return o, err
		case '[':
			a := &array{elems: []any{}}
			for dec.More() {
				v, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				a.elems = append(a.elems, v)
			}
			_, err := dec.Token() // ']'
			return a, err
		}
		return nil, fmt.Errorf("unexpected %v", t)
	default:
		return t, nil // nil, bool, json.Number or string
	}
}

// encode writes a value as compact JSON, escaping "<", ">" and "&" only if
// escapeHTML is set.
func encode(v any, escapeHTML bool) ([]byte, error) {
	e := &encoder{}
	e.strings = json.NewEncoder(&e.scratch)
	e.strings.SetEscapeHTML(escapeHTML)
	if err := e.value(v); err != nil {
		return nil, err
	}
	return e.buf.Bytes(), nil
}

type encoder struct {
	buf     bytes.Buffer
	scratch bytes.Buffer  // one string at a time, as strings encodes it
	strings *json.Encoder // into scratch, with the caller's HTML escaping
}

func (e *encoder) value(v any) error {
	switch t := v.(type) {
	case nil:
		e.buf.WriteString("null")
	case bool:
		e.buf.WriteString(strconv.FormatBool(t))
	case json.Number:
		e.buf.WriteString(string(t))
	case string:
		return e.string(t)
	case *object:
		e.buf.WriteByte('{')
		for i, k := range t.keys {
			if i > 0 {
				e.buf.WriteByte(',')
			}
			if err := e.string(k); err != nil {
				return err
			}
			e.buf.WriteByte(':')
			if err := e.value(t.vals[k]); err != nil {
				return err
			}
		}
		e.buf.WriteByte('}')
	case *array:
		e.buf.WriteByte('[')
		for i, el := range t.elems {
			if i > 0 {
				e.buf.WriteByte(',')
			}
			if err := e.value(el); err != nil {
				return err
			}
		}
		e.buf.WriteByte(']')
	default:
		return fmt.Errorf("cannot encode %T", v)
	}
	return nil
}

func (e *encoder) string(s string) error {
	e.scratch.Reset()
	if err := e.strings.Encode(s); err != nil {
		return err
	}
	e.buf.Write(bytes.TrimSuffix(e.scratch.Bytes(), []byte("\n")))
	return nil
}

// clone returns a deep copy of a decoded value.
func clone(v any) any {
	switch t := v.(type) {
	case *object:
		c := &object{keys: append([]string(nil), t.keys...), vals: make(map[string]any, len(t.vals))}
		for k, el := range t.vals {
			c.vals[k] = clone(el)
		}
		return c
	case *array:
		c := &array{elems: make([]any, len(t.elems))}
		for i, el := range t.elems {
			c.elems[i] = clone(el)
		}
		return c
	default:
		return v
	}
}

// equal is RFC 6902 section 4.6's equality: numbers by value, objects
// regardless of member order, arrays element by element.
func equal(a, b any) bool {
	switch x := a.(type) {
	case *object:
		y, ok := b.(*object)
		if !ok || len(x.vals) != len(y.vals) {
			return false
		}
		for k, xv := range x.vals {
			yv, ok := y.vals[k]
			if !ok || !equal(xv, yv) {
				return false
			}
		}
		return true
	case *array:
		y, ok := b.(*array)
		if !ok || len(x.elems) != len(y.elems) {
			return false
		}
		for i := range x.elems {
			if !equal(x.elems[i], y.elems[i]) {
				return false
			}
		}
		return true
	case json.Number:
		y, ok := b.(json.Number)
		if !ok {
			return false
		}
		if x == y {
			return true
		}
		fx, errx := strconv.ParseFloat(string(x), 64)
		fy, erry := strconv.ParseFloat(string(y), 64)
		return errx == nil && erry == nil && fx == fy
	default:
		return a == b // nil, bool, string
	}
}
