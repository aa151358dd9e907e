package main

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"

	"github.com/ifmatch/ifmatch/internal/jsonpointer"
)

// What -resume does with each operation of the input, by what the earlier
// outputs report of it.
type resumeAction int

const (
	actRun         resumeAction = iota // never reported, or reported failed: run it
	actRerun                           // reported unknown, and safe to run again (or -rerun-unknown): run it
	actSkipDone                        // reported ok (or unknown, with -skip-unknown): skip it
	actSkipUnknown                     // reported unknown, not safe to run again: skip it, report it unknown
)

// unknownPolicy is what the user said of operations reported unknown.
type unknownPolicy int

const (
	unknownSafe  unknownPolicy = iota // the default: run again only those idempotent by construction
	unknownRerun                      // -rerun-unknown: the user checked they did not commit
	unknownSkip                       // -skip-unknown: the user checked they did
)

// decide is the one place that decides whether an operation runs, given
// what earlier outputs report of it. why explains an actSkipUnknown.
func decide(o *op, rec record, policy unknownPolicy) (act resumeAction, why string) {
	r := rec[o.key()]
	switch {
	case r == nil || r.status == statusFailed:
		return actRun, ""
	case r.status == statusOK:
		return actSkipDone, ""
	}
	switch policy {
	case unknownRerun:
		return actRerun, ""
	case unknownSkip:
		return actSkipDone, ""
	}
	ok, what := safeToRerun(o)
	if ok {
		return actRerun, ""
	}
	return actSkipUnknown, "not run again: " + r.where + " reports its outcome unknown (it may have committed), and running " +
		what + " again could apply it twice; check the document, then resume with -rerun-unknown if it did not commit, or -skip-unknown if it did"
}

// safeToRerun reports whether an operation whose outcome is unknown can
// run again without ever being applied twice: it is idempotent, or
// guarded by its own test. what names the operation for messages.
func safeToRerun(o *op) (ok bool, what string) {
	if o.merge != nil {
		return true, "a merge patch"
	}
	var ops []patchOp
	if json.Unmarshal(o.patch, &ops) != nil {
		return false, "an invalid JSON Patch"
	}
	if ok, what := idempotent(ops); ok || guarded(ops) {
		return true, what
	}
	return false, what
}

// patchOp is what safeToRerun reads of a JSON Patch operation.
type patchOp struct {
	Op, Path, From string
	Value          json.RawMessage
}

// idempotent reports whether applying the patch twice leaves any
// document as applying it once. Every merge patch is (RFC 7396: merging a
// patch twice is merging it once); so is a JSON Patch of only "test",
// "replace", and "add" or "remove" of an object member: each sets or
// removes a value at a path, and setting twice is setting once.
//
// Not idempotent: "add" at the end of an array ("-") or at an index (it
// inserts, and twice inserts twice), "remove" at an index (it shifts the
// elements after it), "copy" and "move" (they read what the patch may have
// changed). A path ending in an index may name an object member, but is
// taken for an index: the document alone would tell. what names the patch
// for messages.
func idempotent(ops []patchOp) (ok bool, what string) {
	for _, p := range ops {
		switch p.Op {
		case "test", "replace":
		case "add", "remove":
			last := p.Path[strings.LastIndexByte(p.Path, '/')+1:]
			if last == jsonpointer.End || jsonpointer.IsIndex(last) {
				if p.Op == "add" {
					return false, "a JSON Patch that adds to an array (" + p.Path + ")"
				}
				return false, "a JSON Patch that removes an array element (" + p.Path + ")"
			}
		default:
			return false, "a JSON Patch with " + p.Op
		}
	}
	return true, "a JSON Patch of set and remove operations"
}

// guarded reports whether a JSON Patch fails when applied a second time,
// whatever else it does (an append, say): it tests a path P for a value v,
// then writes P once (replace or add with a value other than v, or remove
// of an object member), and no other operation writes or moves P: none on
// P, inside it, on a container of it, or on an array element beside a
// container of it (which could shift it). Tests only read. Once applied,
// P no longer holds v, so the test fails a rerun: the rerun either
// applies the patch once (the earlier write did not commit) or changes
// nothing. Numbers compare by value, as "test" compares them; a value that
// may equal v leaves the patch unguarded.
func guarded(ops []patchOp) bool {
	for i, t := range ops {
		if t.Op != "test" {
			continue
		}
		p, err := jsonpointer.Parse(t.Path)
		if err != nil {
			continue
		}
		write, others := -1, false
		for j, q := range ops {
			if q.Op == "test" || !touches(q, p) {
				continue
			}
			if write < 0 && j > i && q.Path == t.Path && changes(q, t.Value) {
				write = j
			} else {
				others = true
			}
		}
		if write > i && !others {
			return true
		}
	}
	return false
}

// changes reports whether the operation q at the tested path surely
// leaves something other than v there.
func changes(q patchOp, v json.RawMessage) bool {
	switch q.Op {
	case "replace", "add":
		return !sameValue(q.Value, v)
	case "remove":
		last := q.Path[strings.LastIndexByte(q.Path, '/')+1:]
		return !jsonpointer.IsIndex(last) // the next element would take its place
	}
	return false
}

// touches reports whether the operation q may change or move what the
// pointer p names: its path (or the from of a move or copy) is p, inside
// p, a container of p, or an array element beside a container of p.
func touches(q patchOp, p []string) bool {
	ptrs := []string{q.Path}
	if q.Op == "move" || q.Op == "copy" {
		ptrs = append(ptrs, q.From)
	}
	for _, ptr := range ptrs {
		tokens, err := jsonpointer.Parse(ptr)
		if err != nil || isPrefix(tokens, p) || isPrefix(p, tokens) {
			return true
		}
		n := len(tokens)
		if last := tokens[n-1]; (last == jsonpointer.End || jsonpointer.IsIndex(last)) && isPrefix(tokens[:n-1], p) {
			return true
		}
	}
	return false
}

// isPrefix reports whether the tokens of a are the first tokens of b.
func isPrefix(a, b []string) bool {
	return len(a) <= len(b) && slices.Equal(a, b[:len(a)])
}

// sameValue reports whether two JSON values may be equal as "test"
// compares them (numbers by value); values that cannot be read may be.
func sameValue(a, b json.RawMessage) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return true
	}
	return reflect.DeepEqual(x, y)
}
