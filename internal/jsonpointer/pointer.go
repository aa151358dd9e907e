// Package jsonpointer is RFC 6901 JSON Pointer, strictly: Parse splits a
// pointer into unescaped reference tokens, Format joins them back, and
// Index reads a token as an array index the way section 4 allows ("0" or a
// digit string without leading zeros; "-" only where the caller says so).
//
// It is the one place of the SDK that knows pointer syntax, so that the
// patch code, the version field and the three-way merge agree on it.
package jsonpointer

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

var (
	// ErrSyntax is a string that is not a JSON Pointer: it is neither empty
	// nor starts with "/", or has a "~" not followed by "0" or "1".
	ErrSyntax = errors.New("invalid JSON Pointer")

	// ErrIndex is a reference token that is not a valid index into the
	// array it is applied to: not a canonical decimal, or out of range.
	ErrIndex = errors.New("invalid array index")
)

// End is the reference token "-", the (nonexistent) element after the last
// one of an array, which only an "add" (or the destination of "move" and
// "copy") may name.
const End = "-"

// Parse splits a pointer into its reference tokens, "~1" and "~0"
// unescaped. The empty pointer (the whole document) has no tokens and
// returns nil; "/" has one, the empty string.
func Parse(ptr string) ([]string, error) {
	if ptr == "" {
		return nil, nil
	}
	if ptr[0] != '/' {
		return nil, fmt.Errorf("%w %q: does not start with /", ErrSyntax, ptr)
	}
	tokens := strings.Split(ptr[1:], "/")
	for i, t := range tokens {
		u, ok := unescape(t)
		if !ok {
			return nil, fmt.Errorf("%w %q: ~ must be followed by 0 or 1", ErrSyntax, ptr)
		}
		tokens[i] = u
	}
	return tokens, nil
}

// unescape undoes Escape on one token, in RFC 6901's order ("~1" first,
// then "~0", so that "~01" is "~1"), and reports false for a lone "~" or
// "~" followed by anything but "0" or "1".
func unescape(t string) (string, bool) {
	if !strings.Contains(t, "~") {
		return t, true
	}
	var b strings.Builder
	b.Grow(len(t))
	for i := 0; i < len(t); i++ {
		c := t[i]
		if c != '~' {
			b.WriteByte(c)
			continue
		}
		if i+1 == len(t) {
			return "", false
		}
		switch t[i+1] {
		case '0':
			b.WriteByte('~')
		case '1':
			b.WriteByte('/')
		default:
			return "", false
		}
		i++
	}
	return b.String(), true
}

var escaper = strings.NewReplacer("~", "~0", "/", "~1")

// Escape encodes one reference token: "~" as "~0" and "/" as "~1".
func Escape(token string) string {
	return escaper.Replace(token)
}

// Format joins reference tokens into a pointer, the inverse of Parse.
func Format(tokens ...string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(Escape(t))
	}
	return b.String()
}

// IsIndex reports whether a token has the syntax of an array index: "0",
// or a nonzero digit followed by digits. "01", "+1", "-1" and "1e0" are
// not indices.
func IsIndex(token string) bool {
	if token == "" || len(token) > 1 && token[0] == '0' {
		return false
	}
	for i := 0; i < len(token); i++ {
		if token[i] < '0' || token[i] > '9' {
			return false
		}
	}
	return true
}

// Index reads a token as an index into an array of length n. A valid index
// is below n; with end, n itself is allowed too, and "-" means n (where
// "add" inserts and appends).
func Index(token string, n int, end bool) (int, error) {
	if end && token == End {
		return n, nil
	}
	if !IsIndex(token) {
		return 0, fmt.Errorf("%w %q", ErrIndex, token)
	}
	i, err := strconv.Atoi(token)
	if err != nil || i > n || i == n && !end {
		return 0, fmt.Errorf("%w %q: the array has %d elements", ErrIndex, token, n)
	}
	return i, nil
}
