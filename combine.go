package ifmatch

import (
	"bytes"
	"encoding/json"

	"github.com/ifmatch/ifmatch/internal/merge3"
)

// Combining patches for a group commit under PatchStrategy SendPatch: the
// patches queued for one resource are sent as one PATCH when one patch
// means exactly what applying them in order means.
//
//   - RFC 6902: a patch is a list of operations applied in order, all or
//     nothing, so patches combine by concatenation. One member's failing
//     operation fails the whole; the group then falls back (sendpatch.go).
//   - RFC 7396: merge patches p1 then p2 combine member by member: a member
//     p2 sets to a non-object (null included) is p2's; one both set to an
//     object is combined recursively; one only one of them sets is that
//     one's. The one case with no merge patch equal to the sequence is p1
//     setting a member to null or to a non-object and p2 then setting it
//     to an object: applied in order, p2's object replaces the member
//     whole (p1 removed or replaced what was there), but merged into one
//     patch it would be merged into the old member's other fields. Such a
//     patch, and a patch that is not an object, starts a new group.
//
// FuzzMergeCombine checks the second rule against the patch library.

// patchBatch accumulates patches of one media type into one.
type patchBatch struct {
	merge bool
	limit int64 // bytes the combined body may have; <0: no limit
	n     int
	size  int64
	raws  [][]byte
	acc   map[string]any // merge patches: the combination so far
}

func newPatchBatch(contentType string, limit int64) *patchBatch {
	return &patchBatch{merge: contentType == contentMergePatch, limit: limit}
}

// add appends raw to the batch, or reports false when it cannot join: the
// combination would mean something else, or be larger than the limit. The
// first patch always joins.
func (b *patchBatch) add(raw []byte) bool {
	if b.n > 0 && b.limit >= 0 && b.size+int64(len(raw)) > b.limit {
		return false
	}
	if b.merge {
		if !b.addMerge(raw) {
			return false
		}
	}
	b.n++
	b.size += int64(len(raw))
	b.raws = append(b.raws, raw)
	return true
}

func (b *patchBatch) addMerge(raw []byte) bool {
	v, err := merge3.Decode(raw)
	p, ok := v.(map[string]any)
	switch {
	case b.n == 0:
		b.acc = p // nil when raw is not an object: nothing more joins
		return true
	case err != nil || !ok || b.acc == nil || !canMerge(b.acc, p):
		return false
	}
	mergeInto(b.acc, p)
	return true
}

// body is the combined patch: the single patch as it came, when alone.
func (b *patchBatch) body() []byte {
	if b.n == 1 {
		return b.raws[0]
	}
	if b.merge {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(b.acc); err != nil {
			return nil // cannot happen: acc was decoded from JSON
		}
		return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	}
	out := make([]byte, 0, b.size+1)
	out = append(out, '[')
	first := true
	for _, raw := range b.raws {
		ops := bytes.TrimSpace(raw)
		ops = bytes.TrimSpace(ops[1 : len(ops)-1]) // a JSON array: newJSONPatch checked it
		if len(ops) == 0 {
			continue
		}
		if !first {
			out = append(out, ',')
		}
		first = false
		out = append(out, ops...)
	}
	return append(out, ']')
}

// canMerge reports whether merge patch p, applied after a, can be folded
// into a (see the rules above).
func canMerge(a, p map[string]any) bool {
	for k, pv := range p {
		po, ok := pv.(map[string]any)
		if !ok {
			continue
		}
		av, ok := a[k]
		if !ok {
			continue
		}
		ao, ok := av.(map[string]any)
		if !ok || !canMerge(ao, po) {
			return false
		}
	}
	return true
}

// mergeInto folds p into a; canMerge(a, p) must hold.
func mergeInto(a, p map[string]any) {
	for k, pv := range p {
		if po, ok := pv.(map[string]any); ok {
			if ao, ok := a[k].(map[string]any); ok {
				mergeInto(ao, po)
				continue
			}
		}
		a[k] = pv
	}
}
