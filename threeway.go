package ifmatch

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/ifmatch/ifmatch/internal/merge3"
)

// Three-way rebase of a whole-document write. The caller edited a base
// document (the version it read: see plan.go) into ours; meanwhile the
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

// threeWay returns ours rebased onto theirs, or the JSON Pointers where the
// edits overlap and resolve (nil: none) did not settle them. Even the same
// value on both sides is a conflict: two writers who each took one from a
// stock of 100 both write 99, and merging them would lose one.
func threeWay(base, ours, theirs []byte, resolve Resolver) ([]byte, []string, error) {
	var docs [3]any
	for i, doc := range [][]byte{base, ours, theirs} {
		v, err := merge3.Decode(doc)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: three-way merge needs JSON documents: %v", ErrInvalidResponse, err)
		}
		docs[i] = v
	}
	merged, conflicts := merge3.Merge(docs[0], docs[1], docs[2])
	var open []string
	for _, c := range conflicts {
		if resolve == nil {
			open = append(open, c.Ptr)
			continue
		}
		v, err := resolve(c.Ptr, raw(c.Base), raw(c.Mine), raw(c.Theirs))
		if err != nil {
			return nil, []string{c.Ptr}, err
		}
		if v == nil {
			merged = merge3.Apply(merged, merge3.Edit{Ptr: c.Ptr, Gone: true})
			continue
		}
		val, err := merge3.Decode(v)
		if err != nil {
			return nil, []string{c.Ptr}, fmt.Errorf("%w: resolver returned invalid JSON for %s", ErrInvalidChange, c.Ptr)
		}
		merged = merge3.Apply(merged, merge3.Edit{Ptr: c.Ptr, Val: val})
	}
	if len(open) > 0 {
		slices.Sort(open)
		return nil, open, nil
	}
	out, err := merge3.Marshal(merged)
	return out, nil, err
}

// raw is a field's value for a Resolver: nil where the field is absent.
func raw(v any) json.RawMessage {
	b, _ := merge3.Marshal(v)
	return b
}

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
