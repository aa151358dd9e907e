// Package jsonscan walks compact, valid JSON text without decoding it: the
// members of an object, the elements of an array, the value a JSON Pointer
// names. Each call reads only the bytes it walks over, and a value is a
// slice of the text, so that callers do work linear in the text.
package jsonscan

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// Member is one member of an object.
type Member struct {
	Key    string // unescaped
	RawKey []byte // as written, quotes included
	Value  []byte
}

// Members lists the members of a compact, valid JSON object in order,
// repeated keys included.
func Members(obj []byte) []Member {
	var ms []Member
	i := 1
	for i < len(obj) && obj[i] != '}' {
		end := skipString(obj, i)
		m := Member{RawKey: obj[i:end]}
		m.Key = unquote(m.RawKey)
		i = end + 1 // past the colon
		end = Skip(obj, i)
		m.Value = obj[i:end]
		ms = append(ms, m)
		if i = end; i < len(obj) && obj[i] == ',' {
			i++
		}
	}
	return ms
}

// Elements lists the elements of a compact, valid JSON array in order.
func Elements(arr []byte) [][]byte {
	var es [][]byte
	i := 1
	for i < len(arr) && arr[i] != ']' {
		end := Skip(arr, i)
		es = append(es, arr[i:end])
		if i = end; i < len(arr) && arr[i] == ',' {
			i++
		}
	}
	return es
}

// Find returns the value the reference tokens of a JSON Pointer name in a
// compact, valid JSON text, as RFC 6901 reads them: an array index is "0"
// or digits without a leading zero. Of an object that repeats a key, the
// last member counts. It reports false when nothing is there.
func Find(doc []byte, tokens []string) ([]byte, bool) {
	v := doc
	for _, tok := range tokens {
		var ok bool
		switch {
		case len(v) > 0 && v[0] == '{':
			v, ok = member(v, tok)
		case len(v) > 0 && v[0] == '[':
			v, ok = element(v, tok)
		}
		if !ok {
			return nil, false
		}
	}
	return v, true
}

// member finds the last member named key of a compact object.
func member(obj []byte, key string) (v []byte, ok bool) {
	i := 1
	for i < len(obj) && obj[i] != '}' {
		end := skipString(obj, i)
		match := matches(obj[i:end], key)
		i = end + 1
		end = Skip(obj, i)
		if match {
			v, ok = obj[i:end], true
		}
		if i = end; i < len(obj) && obj[i] == ',' {
			i++
		}
	}
	return v, ok
}

// element finds the element at index tok of a compact array.
func element(arr []byte, tok string) ([]byte, bool) {
	if tok == "" || len(tok) > 1 && tok[0] == '0' || tok[0] < '0' || tok[0] > '9' {
		return nil, false
	}
	n, err := strconv.Atoi(tok)
	if err != nil {
		return nil, false
	}
	i := 1
	for k := 0; i < len(arr) && arr[i] != ']'; k++ {
		end := Skip(arr, i)
		if k == n {
			return arr[i:end], true
		}
		if i = end; i < len(arr) && arr[i] == ',' {
			i++
		}
	}
	return nil, false
}

// matches reports whether a raw JSON string is key.
func matches(raw []byte, key string) bool {
	if inner := raw[1 : len(raw)-1]; plain(inner) {
		return string(inner) == key
	}
	return unquote(raw) == key
}

// plain reports whether a JSON string's content is its value: no escapes,
// valid UTF-8 (a decoder replaces invalid bytes with U+FFFD).
func plain(inner []byte) bool {
	return bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner)
}

// unquote decodes a JSON string as encoding/json does.
func unquote(raw []byte) string {
	if inner := raw[1 : len(raw)-1]; plain(inner) {
		return string(inner)
	}
	var s string
	_ = json.Unmarshal(raw, &s) // valid JSON: cannot fail
	return s
}

// skipString returns the index just past the string starting at i.
func skipString(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(b)
}

// Skip returns the index just past the compact JSON value starting at i.
func Skip(b []byte, i int) int {
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				j = skipString(b, j) - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return j + 1
				}
			}
		}
		return len(b)
	}
	j := i
	for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ']' {
		j++
	}
	return j
}
