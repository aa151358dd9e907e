package ifmatch

import (
	"context"
	"fmt"
	"net/http"
	"runtime/debug"
	"sync/atomic"
)

// A member is one caller's change on its way through the conflict loop,
// alone or in a group commit.

// member states.
const (
	stWaiting   int32 = iota // queued, or between two writes
	stInFlight               // part of a write whose answer is awaited
	stDone                   // answered
	stAbandoned              // its caller left (context ended)
)

type member struct {
	ctx      context.Context
	change   change
	method   string // of the writes that carry the change
	state    atomic.Int32
	attempts atomic.Int64 // requests written while this change was part of the write
	done     chan result
}

type result struct {
	resp *Response
	err  error
}

func newMember(ctx context.Context, ch change, method string) *member {
	return &member{ctx: ctx, change: ch, method: method, done: make(chan result, 1)}
}

// deliver answers the member's caller, unless it has left.
func (m *member) deliver(resp *Response, err error) {
	for {
		s := m.state.Load()
		if s == stDone || s == stAbandoned {
			return
		}
		if m.state.CompareAndSwap(s, stDone) {
			// Attempts count the requests that carried this change.
			if resp != nil {
				resp.Attempts = int(m.attempts.Load())
			}
			if ce, ok := err.(*ConflictError); ok {
				ce.Attempts = int(m.attempts.Load())
			}
			m.done <- result{resp, err}
			return
		}
	}
}

// abandon marks a member whose caller's context ended. It reports whether
// the member's change may have been written (inFlight), and false for ok
// when the answer has already been delivered.
func (m *member) abandon() (inFlight, ok bool) {
	for {
		s := m.state.Load()
		switch s {
		case stDone:
			return false, false
		case stAbandoned:
			return false, true
		}
		if m.state.CompareAndSwap(s, stAbandoned) {
			return s == stInFlight, true
		}
	}
}

// wait returns the member's answer in its caller's goroutine, or the
// context's error if its caller leaves first: wrapped in ErrOutcomeUnknown
// when its change was in a write whose answer had not come. A panic of the
// caller's function (or of a hook) is raised again here, in the caller's
// goroutine, whichever goroutine ran it.
func (m *member) wait(c *Client, t *target) (*Response, error) {
	var r result
	select {
	case r = <-m.done:
	case <-m.ctx.Done():
		inFlight, ok := m.abandon()
		switch {
		case !ok:
			r = <-m.done
		case inFlight:
			// The write under way counts, sent or about to be.
			r.err = &OutcomeUnknownError{Method: m.method, URL: t.safeURL(), Attempts: max(1, int(m.attempts.Load())),
				Err: fmt.Errorf("the caller left while a write carrying its change was under way: %w", context.Cause(m.ctx))}
		default:
			r.err = ended(m.ctx, http.MethodPut, t.url)
		}
	}
	if p, ok := r.err.(*panicError); ok {
		panic(p.value)
	}
	return r.resp, r.err
}

// panicError carries a panic from the goroutine that ran a caller's code
// to the caller's own goroutine, where it is raised again.
type panicError struct {
	value any
	stack []byte
}

func newPanicError(v any) *panicError { return &panicError{value: v, stack: debug.Stack()} }

func (p *panicError) Error() string { return fmt.Sprintf("ifmatch: panic: %v\n%s", p.value, p.stack) }
