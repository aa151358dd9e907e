package ifmatch

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
)

// Applying many changes at once, for group commit: a group's changes are
// applied in arrival order, and consecutive changes of one kind share the
// work of decoding and encoding the document.

// runner is a change that can apply a run of changes of its own concrete
// type in one pass, cheaper than one by one.
type runner interface {
	change
	// applyRun applies run (whose first element is the receiver) to doc in
	// order and returns the document after the successful ones, setting
	// errs[i] for each change that failed or changed nothing.
	applyRun(doc []byte, run []change, errs []error) []byte
}

// applyChanges applies chs in order to doc. It returns the document after
// the successful changes and, per change, its error (nil: applied). A
// change that would make the document larger than limit (<0: none) fails
// with ErrTooLarge, alone. A change that panics fails alone with the panic,
// which its caller's goroutine raises again.
func applyChanges(doc []byte, chs []change, limit int64) ([]byte, []error) {
	out, errs := applyInRuns(doc, chs)
	if limit < 0 || int64(len(out)) <= limit {
		return out, errs
	}
	// Too large together: apply one by one, so that only the changes that
	// make it too large fail.
	errs = make([]error, len(chs))
	return applyOneByOne(doc, chs, errs, limit), errs
}

func applyInRuns(doc []byte, chs []change) ([]byte, []error) {
	errs := make([]error, len(chs))
	for i := 0; i < len(chs); {
		j := i + 1
		if r, ok := chs[i].(runner); ok {
			for j < len(chs) && reflect.TypeOf(chs[j]) == reflect.TypeOf(chs[i]) {
				j++
			}
			if j-i > 1 {
				doc = applyRunSafely(r, doc, chs[i:j], errs[i:j])
				i = j
				continue
			}
		}
		if out, err := applySafely(chs[i], doc); err != nil {
			errs[i] = err
		} else {
			doc = out
		}
		i++
	}
	return doc, errs
}

// applySafely applies ch, turning a panic into a *panicError.
func applySafely(ch change, doc []byte) (out []byte, err error) {
	defer func() {
		if v := recover(); v != nil {
			out, err = nil, newPanicError(v)
		}
	}()
	return ch.apply(doc)
}

// applyRunSafely applies a run in one pass; if a caller's code panics in
// it, the run is applied again one by one, so that only that caller fails.
func applyRunSafely(r runner, doc []byte, run []change, errs []error) (out []byte) {
	defer func() {
		if v := recover(); v != nil {
			clear(errs)
			out = applyOneByOne(doc, run, errs, -1)
		}
	}()
	return r.applyRun(doc, run, errs)
}

// applyOneByOne is the fallback of every runner.
func applyOneByOne(doc []byte, run []change, errs []error, limit int64) []byte {
	for i, ch := range run {
		out, err := applySafely(ch, doc)
		if err == nil && limit >= 0 && int64(len(out)) > limit {
			err = fmt.Errorf("%w: the change makes the document %d bytes, more than MaxBodyBytes (%d); nothing was sent", ErrTooLarge, len(out), limit)
		}
		if err != nil {
			errs[i] = err
			continue
		}
		doc = out
	}
	return doc
}

// applyRun applies a run of JSON Patches as one patch: one parse and one
// serialization for the group. If the combined patch fails, each is
// applied on its own, so that only the failing ones fail.
func (p *jsonPatch) applyRun(doc []byte, run []change, errs []error) []byte {
	all := make(jsonpatchOps, 0, len(run)*len(p.ops))
	for _, ch := range run {
		all = append(all, ch.(*jsonPatch).ops...)
	}
	if out, err := (&jsonPatch{ops: all, opts: p.opts}).apply(doc); err == nil {
		return out
	}
	return applyOneByOne(doc, run, errs, -1)
}

// applyRun runs a group's Modify calls on one decoded value: one decode,
// then per caller its mutate function and one encode. A caller whose
// function fails has its changes undone (from the last encoding) and fails
// alone.
func (m *typedMutation[T]) applyRun(doc []byte, run []change, errs []error) []byte {
	v := new(T)
	if json.Unmarshal(doc, v) != nil {
		return applyOneByOne(doc, run, errs, -1)
	}
	cur, err := marshalNoEscape(v)
	if err != nil || !bytes.Equal(cur, doc) {
		// T does not hold the whole document: merge each difference.
		return applyOneByOne(doc, run, errs, -1)
	}
	var last *typedMutation[T]
	for i, ch := range run {
		tm := ch.(*typedMutation[T])
		tm.wrote, tm.value = nil, nil
		if err := tm.mutate(v); err != nil {
			errs[i] = err
			v = new(T)
			json.Unmarshal(cur, v) // undo: cur decoded before, so it decodes now
			continue
		}
		after, err := marshalNoEscape(v)
		if err != nil {
			errs[i] = err
			v = new(T)
			json.Unmarshal(cur, v)
			continue
		}
		if bytes.Equal(after, cur) {
			errs[i] = ErrNoChange
			continue
		}
		cur, last = after, tm
	}
	if last != nil {
		// The last writer's value is the group's document; the others
		// decode the committed document themselves, in parallel.
		last.wrote, last.value = cur, v
	}
	return cur
}
