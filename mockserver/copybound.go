package mockserver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/maphash"
	"strconv"

	jsonpatch "github.com/evanphx/json-patch/v5"

	"github.com/ifmatch/ifmatch/internal/jsonpointer"
	"github.com/ifmatch/ifmatch/internal/jsonscan"
)

// maxCopyLookupBytes bounds the bytes of the document checkCopies reads to
// size the sources of copies; past it, a copy is sized as the whole
// document could be.
const maxCopyLookupBytes = 16 * maxBody

// checkCopies refuses, before any of it is done, a JSON Patch whose copy
// operations could add more than maxBody bytes to doc. The patch library
// measures a copy only once it has made it, so 30 copies of a document that
// doubles with each used to allocate 228 MiB before being refused.
//
// A copy whose source no earlier operation touched is sized exactly, by
// finding the source in doc. Otherwise it is sized as the whole document
// could be by then: doc, plus what the operations before it added. Moves
// relocate without copying, so they add nothing.
func checkCopies(doc []byte, p jsonpatch.Patch) error {
	b := copyBound{size: int64(len(doc)), doc: doc, touched: newTouched()}
	for i, op := range p {
		path, err := opPointer(op, "path")
		if err != nil {
			return nil // the operation fails, and the patch with it, before any later copy
		}
		switch op.Kind() {
		case "add", "replace":
			if v := op["value"]; v != nil {
				b.size += int64(len(*v))
			}
			b.touched.touch(path)
		case "remove":
			b.touched.touch(path)
		case "move", "copy":
			from, err := opPointer(op, "from")
			if err != nil {
				return nil
			}
			if op.Kind() == "copy" {
				n := b.sourceSize(from)
				b.copied += n
				if b.copied > maxBody {
					return fmt.Errorf("operation %d (copy from %q): the patch's copies could add %d bytes; the limit is %d",
						i, jsonpointer.Format(from...), b.copied, maxBody)
				}
				b.size += n
			} else {
				b.touched.touch(from)
			}
			b.touched.touch(path)
		}
	}
	return nil
}

// opPointer parses an operation's "path" or "from". A pointer deeper than
// a document may nest names nothing, so the operation would fail: it is an
// error here too, and hashing its prefixes is never done.
func opPointer(op jsonpatch.Operation, member string) ([]string, error) {
	raw := op[member]
	if raw == nil {
		return nil, fmt.Errorf("no %s", member)
	}
	var s string
	if err := json.Unmarshal(*raw, &s); err != nil {
		return nil, err
	}
	tokens, err := jsonpointer.Parse(s)
	if err == nil && len(tokens) > maxDepth+1 {
		err = fmt.Errorf("%s nests %d deep", member, len(tokens))
	}
	return tokens, err
}

// copyBound follows a patch's effect on the size of a document.
type copyBound struct {
	size    int64  // at least the document's size so far
	copied  int64  // what the copies so far add, at most
	doc     []byte // the document before the patch, compacted on first use
	compact bool
	read    int64            // bytes of doc read to size sources
	sizes   map[string]int64 // sources sized so far, by pointer
	touched touched
}

// sourceSize is at most the size of the value at from, now.
func (b *copyBound) sourceSize(from []string) int64 {
	if b.touched.affects(from) || b.read > maxCopyLookupBytes {
		return b.size
	}
	key := jsonpointer.Format(from...)
	if n, ok := b.sizes[key]; ok {
		return n
	}
	if !b.compact {
		b.compact = true
		if bytes.ContainsAny(b.doc, " \t\r\n") {
			var buf bytes.Buffer
			if json.Compact(&buf, b.doc) == nil {
				b.doc = buf.Bytes()
			}
		}
	}
	b.read += int64(len(b.doc))
	v, _ := jsonscan.Find(b.doc, from) // nothing there: the copy fails
	if b.sizes == nil {
		b.sizes = make(map[string]int64)
	}
	b.sizes[key] = int64(len(v))
	return int64(len(v))
}

// touched remembers which parts of a document a patch's operations have
// changed so far, by the hashes of their pointers: a collision only makes
// a copy sized as the whole document.
type touched struct {
	seed    maphash.Seed
	roots   map[uint64]bool // subtrees an operation changed
	changed map[uint64]bool // the ancestors of those, themselves included
}

func newTouched() touched {
	return touched{seed: maphash.MakeSeed(), roots: map[uint64]bool{}, changed: map[uint64]bool{}}
}

// prefixes returns the hashes of the pointer's prefixes: the whole
// document's first, the pointer's own last.
func (t *touched) prefixes(tokens []string) []uint64 {
	var h maphash.Hash
	h.SetSeed(t.seed)
	hs := make([]uint64, 0, len(tokens)+1)
	hs = append(hs, h.Sum64())
	for _, tok := range tokens {
		h.WriteString(strconv.Itoa(len(tok)))
		h.WriteByte(':')
		h.WriteString(tok)
		hs = append(hs, h.Sum64())
	}
	return hs
}

// touch records an operation that adds, replaces or removes at path. An
// array index (or "-") shifts its siblings, so then the whole array counts
// as changed; an object member changes only itself.
func (t *touched) touch(path []string) {
	if n := len(path); n > 0 && (path[n-1] == jsonpointer.End || jsonpointer.IsIndex(path[n-1])) {
		path = path[:n-1]
	}
	hs := t.prefixes(path)
	t.roots[hs[len(hs)-1]] = true
	for _, h := range hs {
		t.changed[h] = true
	}
}

// affects reports whether an operation so far may have changed the value
// at ptr: it lies in a changed subtree, or holds one.
func (t *touched) affects(ptr []string) bool {
	hs := t.prefixes(ptr)
	for _, h := range hs {
		if t.roots[h] {
			return true
		}
	}
	return t.changed[hs[len(hs)-1]]
}
