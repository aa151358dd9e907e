package main

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"

	"github.com/ifmatch/ifmatch/internal/merge3"
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
	var docs [3]any
	for i, doc := range [][]byte{base, ours, theirs} {
		v, err := merge3.Decode(doc)
		if err != nil {
			return nil, nil, err
		}
		docs[i] = v
	}
	merged, clashes := merge3.Merge(docs[0], docs[1], docs[2])
	var conflicts []fieldConflict
	for _, c := range clashes {
		// The editor shows the user's value; only a different one from
		// theirs is worth listing.
		if !merge3.Equal(c.Mine, c.Theirs) {
			conflicts = append(conflicts, fieldConflict{pointer: c.Ptr, base: jsonText(c.Base), ours: jsonText(c.Mine), theirs: jsonText(c.Theirs)})
		}
		merged = merge3.Apply(merged, c.Ours)
	}
	slices.SortFunc(conflicts, func(x, y fieldConflict) int { return strings.Compare(x.pointer, y.pointer) })
	out, err := indentJSON(merged)
	return out, conflicts, err
}

// jsonText is a value's compact JSON, "" when absent.
func jsonText(v any) string {
	b, _ := merge3.Marshal(v)
	return string(b)
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
