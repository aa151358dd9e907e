package main

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"

	"github.com/ifmatch/ifmatch/internal/jsonpointer"
)

// fieldConflict is a field that the user and someone else both changed
// while the user was editing.
type fieldConflict struct {
	pointer            string // JSON Pointer
	base, ours, theirs string // JSON values; "" where the field is absent
}

// mergeForEdit builds what the editor shows after a conflicting save: the
// user's edit (base to ours) put on top of the current document (theirs).
// Fields only the user changed take the user's value, fields only the
// other writer changed keep theirs, and fields both changed differently
// take the user's value and are listed, so that the header can show both.
// Objects are merged member by member; arrays and other values are one
// field each, as the SDK's three-way rebase does.
func mergeForEdit(base, ours, theirs []byte) ([]byte, []fieldConflict, error) {
	var b, o, t any
	for _, d := range []struct {
		doc []byte
		v   *any
	}{{base, &b}, {ours, &o}, {theirs, &t}} {
		if err := decodeJSON(d.doc, d.v); err != nil {
			return nil, nil, err
		}
	}
	mine, others := diffJSON("", b, o, nil), diffJSON("", b, t, nil)
	var conflicts []fieldConflict
	for _, e := range mine {
		for _, x := range others {
			if overlap(e.ptr, x.ptr) && !(e.ptr == x.ptr && e.gone == x.gone && equalJSON(e.val, x.val)) {
				conflicts = append(conflicts, fieldConflict{pointer: e.ptr,
					base: jsonText(lookupJSON(b, e.ptr)), ours: jsonText(lookupJSON(o, e.ptr)), theirs: jsonText(lookupJSON(t, e.ptr))})
				break
			}
		}
		t = setJSON(t, e)
	}
	slices.SortFunc(conflicts, func(x, y fieldConflict) int { return strings.Compare(x.pointer, y.pointer) })
	out, err := indentJSON(t)
	return out, conflicts, err
}

// change is one field's edit: its new value, or its removal.
type change struct {
	ptr  string
	val  any
	gone bool
}

// diffJSON lists the changes that turn a into b, recursing into objects.
func diffJSON(ptr string, a, b any, out []change) []change {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if !aok || !bok {
		if !equalJSON(a, b) {
			out = append(out, change{ptr: ptr, val: b})
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
			out = append(out, change{ptr: p, gone: true})
		case !ain && bin:
			out = append(out, change{ptr: p, val: bv})
		default:
			out = diffJSON(p, av, bv, out)
		}
	}
	return out
}

// tokens splits a pointer diffJSON built, so always a valid one.
func tokens(ptr string) []string {
	ts, _ := jsonpointer.Parse(ptr)
	return ts
}

// overlap reports whether one pointer is the other or inside it.
func overlap(a, b string) bool {
	return a == b || a == "" || b == "" || strings.HasPrefix(a, b+"/") || strings.HasPrefix(b, a+"/")
}

// setJSON makes one change on doc, creating parent objects as needed.
func setJSON(doc any, c change) any {
	ts := tokens(c.ptr)
	if len(ts) == 0 {
		return c.val
	}
	root, ok := doc.(map[string]any)
	if !ok {
		root = map[string]any{}
	}
	cur := root
	for _, k := range ts[:len(ts)-1] {
		next, ok := cur[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			cur[k] = next
		}
		cur = next
	}
	if c.gone {
		delete(cur, ts[len(ts)-1])
	} else {
		cur[ts[len(ts)-1]] = c.val
	}
	return root
}

// lookupJSON returns the value at ptr and whether it is there.
func lookupJSON(doc any, ptr string) (any, bool) {
	cur := doc
	for _, k := range tokens(ptr) {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[k]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// jsonText is a value's compact JSON, "" when absent.
func jsonText(v any, ok bool) string {
	if !ok {
		return ""
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return strings.TrimSuffix(buf.String(), "\n")
}

func equalJSON(a, b any) bool { return jsonText(a, true) == jsonText(b, true) }

// decodeJSON decodes keeping numbers as written.
func decodeJSON(doc []byte, v *any) error {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	return dec.Decode(v)
}

// indentJSON is v as the editor shows it.
func indentJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	err := enc.Encode(v)
	return buf.Bytes(), err
}
