package ifmatch

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/ifmatch/ifmatch/internal/jsonpointer"
)

// Three-way rebase of a whole-document write. The caller edited a base
// document (the version it read: see basis.go) into ours; meanwhile the
// server's document moved from base to theirs. If the two edits touch
// different fields, ours is rebased by applying its edit to theirs.
// Objects are compared member by member, recursively; any other value,
// arrays included, is one field (positions in an array do not identify its
// elements, so merging inside arrays could put a change in the wrong
// place).

// Resolver decides a field that both the caller and a concurrent writer
// changed. ptr is its JSON Pointer; base, ours and theirs are its JSON
// values (nil where the field is absent). It returns the value to write
// (nil to leave the field out), or an error to give up: the call then
// returns a *ConflictError wrapping it.
type Resolver func(ptr string, base, ours, theirs json.RawMessage) (json.RawMessage, error)

// ErrMergeConflict is the cause of a *ConflictError from a three-way
// rebase whose edits overlap: ConflictError.Pointers lists the fields.
var ErrMergeConflict error = &conflictKind{"ifmatch: concurrent edits of the same fields"}

// edit is one field's change: its new value, or its removal (gone).
type edit struct {
	ptr  string
	val  any
	gone bool
}

// threeWay returns ours rebased onto theirs, or the JSON Pointers where the
// edits overlap and resolve (nil: none) did not settle them.
func threeWay(base, ours, theirs []byte, resolve Resolver) ([]byte, []string, error) {
	var b, o, t any
	for _, d := range []struct {
		doc []byte
		v   *any
	}{{base, &b}, {ours, &o}, {theirs, &t}} {
		dec := json.NewDecoder(bytes.NewReader(d.doc))
		dec.UseNumber()
		if err := dec.Decode(d.v); err != nil {
			return nil, nil, fmt.Errorf("%w: three-way merge needs JSON documents: %v", ErrInvalidResponse, err)
		}
	}
	mine := diff("", b, o, nil)
	others := diff("", b, t, nil)
	var conflicts []string
	for _, e := range mine {
		clash := false
		for _, x := range others {
			// Even the same value on both sides is a conflict: two writers
			// who each took one from a stock of 100 both write 99, and
			// merging them would lose one.
			if overlaps(e.ptr, x.ptr) {
				clash = true
				break
			}
		}
		if !clash {
			t = apply(t, e)
			continue
		}
		if resolve == nil {
			conflicts = append(conflicts, e.ptr)
			continue
		}
		v, err := resolve(e.ptr, raw(lookup(b, e.ptr)), raw(lookup(o, e.ptr)), raw(lookup(t, e.ptr)))
		if err != nil {
			return nil, []string{e.ptr}, err
		}
		if v == nil {
			t = apply(t, edit{ptr: e.ptr, gone: true})
			continue
		}
		var val any
		dec := json.NewDecoder(bytes.NewReader(v))
		dec.UseNumber()
		if err := dec.Decode(&val); err != nil {
			return nil, []string{e.ptr}, fmt.Errorf("%w: resolver returned invalid JSON for %s", ErrInvalidChange, e.ptr)
		}
		t = apply(t, edit{ptr: e.ptr, val: val})
	}
	if len(conflicts) > 0 {
		slices.Sort(conflicts)
		return nil, conflicts, nil
	}
	out, err := marshalNoEscape(t)
	return out, nil, err
}

// diff lists the edits that turn a into b, recursing into objects.
func diff(ptr string, a, b any, out []edit) []edit {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if !aok || !bok {
		if !jsonEqual(a, b) {
			out = append(out, edit{ptr: ptr, val: b})
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
		p := ptr + "/" + escapeToken(k)
		av, ain := am[k]
		bv, bin := bm[k]
		switch {
		case ain && !bin:
			out = append(out, edit{ptr: p, gone: true})
		case !ain && bin:
			out = append(out, edit{ptr: p, val: bv})
		default:
			out = diff(p, av, bv, out)
		}
	}
	return out
}

// overlaps reports whether one pointer is the other or inside it.
func overlaps(a, b string) bool {
	return a == b || strings.HasPrefix(a, b+"/") || strings.HasPrefix(b, a+"/") || a == "" || b == ""
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

// apply makes one edit on doc, creating parent objects as needed.
func apply(doc any, e edit) any {
	if e.ptr == "" {
		return e.val
	}
	toks, _ := pointerTokens(e.ptr)
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
	if e.gone {
		delete(cur, last)
	} else {
		cur[last] = e.val
	}
	return root
}

// lookup returns the value at ptr, nil if absent.
func lookup(doc any, ptr string) any {
	toks, _ := pointerTokens(ptr)
	cur := doc
	for _, k := range toks {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		if cur, ok = m[k]; !ok {
			return nil
		}
	}
	return cur
}

func raw(v any) json.RawMessage {
	if v == nil {
		return nil
	}
	b, _ := marshalNoEscape(v)
	return b
}

func escapeToken(k string) string { return jsonpointer.Escape(k) }

// threeWayChange is a whole-document write of ours, edited from base,
// rebased by three-way merge onto whatever the current document is.
type threeWayChange struct {
	base, ours []byte
	resolve    Resolver
}

func (c *threeWayChange) apply(doc []byte) ([]byte, error) {
	if bytes.Equal(doc, c.base) {
		return c.ours, nil
	}
	out, conflicts, err := threeWay(c.base, c.ours, doc, c.resolve)
	if len(conflicts) > 0 {
		return nil, &mergeConflict{pointers: conflicts, err: err}
	}
	return out, err
}

// mergeConflict lists the fields both sides changed.
type mergeConflict struct {
	pointers []string
	err      error // the resolver's, if it gave up
}

func (m *mergeConflict) Error() string {
	return "ifmatch: concurrent edits of " + strings.Join(m.pointers, ", ")
}
