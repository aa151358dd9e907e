// Package merge3 is the three-way merge of JSON documents shared by the
// SDK's ThreeWayPut and the command line's edit: a caller edited base into
// ours while the document moved from base to theirs; ours' edits are put
// onto theirs field by field. Objects are compared member by member,
// recursively; any other value, arrays included, is one field (positions
// in an array do not identify its elements, so merging inside arrays could
// put a change in the wrong place). Numbers are kept as written.
package merge3

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"

	"github.com/ifmatch/ifmatch/internal/jsonpointer"
)

// Edit is one field's change: its new value, or its removal (Gone).
type Edit struct {
	Ptr  string // JSON Pointer
	Val  any
	Gone bool
}

// Conflict is a field both sides changed, even to the same value: the
// caller decides. Its values are as they were before the merge; Absent
// marks a missing one.
type Conflict struct {
	Ptr                string
	Ours               Edit
	Base, Mine, Theirs any
}

// Absent stands for a field that is not there.
var Absent = absent{}

type absent struct{}

// Decode decodes a JSON document keeping numbers as written.
func Decode(doc []byte) (any, error) {
	var v any
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	err := dec.Decode(&v)
	return v, err
}

// Merge puts ours' edits of base onto theirs. Each edit of a field that
// theirs did not change is made; each field both changed is returned as a
// Conflict and left as theirs has it. theirs is changed in place.
func Merge(base, ours, theirs any) (any, []Conflict) {
	mine, others := Diff("", base, ours, nil), Diff("", base, theirs, nil)
	var conflicts []Conflict
	for _, e := range mine {
		if slices.ContainsFunc(others, func(x Edit) bool { return overlaps(e.Ptr, x.Ptr) }) {
			conflicts = append(conflicts, Conflict{Ptr: e.Ptr, Ours: e,
				Base: Lookup(base, e.Ptr), Mine: Lookup(ours, e.Ptr), Theirs: Lookup(theirs, e.Ptr)})
			continue
		}
		theirs = Apply(theirs, e)
	}
	return theirs, conflicts
}

// Diff lists the edits that turn a into b, recursing into objects.
func Diff(ptr string, a, b any, out []Edit) []Edit {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if !aok || !bok {
		if !Equal(a, b) {
			out = append(out, Edit{Ptr: ptr, Val: b})
		}
		return out
	}
	keys := make([]string, 0, len(am)+len(bm))
	for k := range am {
		keys = append(keys, k)
	}
	for k := range bm {
		if _, ok := am[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		p := ptr + "/" + jsonpointer.Escape(k)
		av, ain := am[k]
		bv, bin := bm[k]
		switch {
		case ain && !bin:
			out = append(out, Edit{Ptr: p, Gone: true})
		case !ain && bin:
			out = append(out, Edit{Ptr: p, Val: bv})
		default:
			out = Diff(p, av, bv, out)
		}
	}
	return out
}

// overlaps reports whether one pointer is the other or inside it.
func overlaps(a, b string) bool {
	return a == b || a == "" || b == "" || strings.HasPrefix(a, b+"/") || strings.HasPrefix(b, a+"/")
}

// Apply makes one edit on doc, creating parent objects as needed.
func Apply(doc any, e Edit) any {
	toks, _ := jsonpointer.Parse(e.Ptr)
	if len(toks) == 0 {
		return e.Val
	}
	root, ok := doc.(map[string]any)
	if !ok {
		root = map[string]any{}
	}
	cur := root
	for _, k := range toks[:len(toks)-1] {
		next, ok := cur[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			cur[k] = next
		}
		cur = next
	}
	last := toks[len(toks)-1]
	if e.Gone {
		delete(cur, last)
	} else {
		cur[last] = e.Val
	}
	return root
}

// Lookup returns the value at ptr, or Absent.
func Lookup(doc any, ptr string) any {
	toks, _ := jsonpointer.Parse(ptr)
	cur := doc
	for _, k := range toks {
		m, ok := cur.(map[string]any)
		if !ok {
			return Absent
		}
		if cur, ok = m[k]; !ok {
			return Absent
		}
	}
	return cur
}

// Equal reports whether two decoded values are the same JSON.
func Equal(a, b any) bool {
	x, _ := Marshal(a)
	y, _ := Marshal(b)
	return bytes.Equal(x, y)
}

// Marshal encodes v as compact JSON without HTML escaping; Absent encodes
// as nothing.
func Marshal(v any) ([]byte, error) {
	if v == Absent {
		return nil, nil
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
