package main

import (
	"encoding/json"
	"strings"
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
	ok, what := idempotent(o)
	if ok {
		return actRerun, ""
	}
	return actSkipUnknown, "not run again: " + r.where + " reports its outcome unknown (it may have committed), and running " +
		what + " again could apply it twice; check the document, then resume with -rerun-unknown if it did not commit, or -skip-unknown if it did"
}

// idempotent reports whether running o twice leaves any document as
// running it once does, so that it can run again when whether it
// committed is unknown. Such operations are:
//
//   - every merge patch (RFC 7396: merging a patch twice is merging it once);
//   - a JSON Patch of only "test", "replace", and "add" or "remove" of an
//     object member: each sets or removes a value at a path, and setting
//     twice is setting once.
//
// Not idempotent: "add" at the end of an array ("-") or at an index (it
// inserts, and twice inserts twice), "remove" at an index (it shifts the
// elements after it), "copy" and "move" (they read what the patch may have
// changed). A path ending in digits may name an object member, but is
// taken for an index: the document alone would tell. what names the
// operation for messages.
func idempotent(o *op) (ok bool, what string) {
	if o.merge != nil {
		return true, "a merge patch"
	}
	var ops []struct{ Op, Path string }
	if json.Unmarshal(o.patch, &ops) != nil {
		return false, "an invalid JSON Patch"
	}
	for _, p := range ops {
		switch p.Op {
		case "test", "replace":
		case "add", "remove":
			last := p.Path[strings.LastIndexByte(p.Path, '/')+1:]
			if last == "-" || isIndex(last) {
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

// isIndex reports whether a JSON Pointer token is an array index.
func isIndex(tok string) bool {
	if tok == "" {
		return false
	}
	for _, c := range tok {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
