package ifmatch

import (
	"context"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
)

// Group commit: concurrent ApplyLocally writes to one resource through one
// Client queue in a lane; one worker per busy lane takes everything queued,
// applies the changes in arrival order and writes them in one PUT (or, for
// patches sent as they are, one PATCH: see sendpatch.go). Callers
// that arrive while a write is out join the next one, so under load each
// round trip commits many changes instead of one change and many 412s.

// laneKey names a lane: the resource as one principal sees it, and the
// call's own headers, since only calls that send the same request may
// share it.
type laneKey struct {
	cacheKey
	extra string
}

// lanes holds the queues of the resources being written. A lane is in the
// map exactly while its worker runs.
type lanes struct {
	mu sync.Mutex
	m  map[laneKey][]*member
}

// join queues m behind the write under way, or, when the lane is idle,
// opens it and reports that the caller leads: it writes its own change
// at once, in its own goroutine and context.
func (ls *lanes) join(k laneKey, m *member) (lead bool) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if ls.m == nil {
		ls.m = make(map[laneKey][]*member)
	}
	q, running := ls.m[k]
	if !running {
		ls.m[k] = nil
		return true
	}
	ls.m[k] = append(q, m)
	return false
}

// take returns what is queued. With last set and nothing queued, the lane
// is closed: its writer must stop.
func (ls *lanes) take(k laneKey, last bool) []*member {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	q := ls.m[k]
	if len(q) == 0 {
		if last {
			delete(ls.m, k)
		}
		return nil
	}
	ls.m[k] = q[:0:0]
	return q
}

// groupWriter writes a group of members' changes to t in one conflict
// loop, answering each member. more, if not nil, returns members that
// arrived since the last write; they may join the next one after a rebase.
type groupWriter func(ctx context.Context, t *target, ms []*member, more func() []*member)

// submit runs an ApplyLocally change through the conflict loop, sharing
// writes with concurrent calls on the same resource unless group commit is
// off.
func (c *Client) submit(ctx context.Context, t *target, ch change) (*Response, error) {
	return c.commit(ctx, t, t.lane, newMember(ctx, ch, http.MethodPut), c.writeLocal)
}

// commit runs m through write, alone or with the members queued in lane.
func (c *Client) commit(ctx context.Context, t *target, lane laneKey, m *member, write groupWriter) (*Response, error) {
	if ctx.Err() != nil {
		return nil, ended(ctx, m.method, t.url)
	}
	if c.cfg.NoGroupCommit {
		return c.alone(ctx, t, m, write)
	}
	if !c.lanes.join(lane, m) {
		return m.wait(c, t)
	}
	// The lane was idle: write at once, as an ungrouped call would, and
	// leave whoever queued meanwhile to a worker, so that this caller
	// returns as soon as its own write is done.
	c.courtesy(ctx, t)
	c.writeSafely(ctx, t, []*member{m}, nil, write)
	if ms := c.lanes.take(lane, true); ms != nil {
		go c.runLane(t, lane, ms, write)
	}
	return m.wait(c, t)
}

// alone writes m's change in a write of its own, in the caller's
// goroutine.
func (c *Client) alone(ctx context.Context, t *target, m *member, write groupWriter) (*Response, error) {
	if ctx.Err() != nil {
		return nil, ended(ctx, m.method, t.url)
	}
	c.courtesy(ctx, t)
	c.writeSafely(ctx, t, []*member{m}, nil, write)
	return m.wait(c, t)
}

// courtesy waits, before a call's own write, for whatever the contention
// policy asks of a writer that may have just committed (contention.go).
// A lane's shared writes skip it: this Client's callers share them.
func (c *Client) courtesy(ctx context.Context, t *target) {
	if t.policy.adaptive {
		sleep(ctx, c.contention.firstWriteDelay(t.key))
	}
}

// writeSafely runs write for ms. If it panics (a hook or a logger of the
// caller's), every member it was handed, newcomers included, is answered
// with the panic, which member.wait raises again in its caller's own
// goroutine: nobody is left waiting, the lane is released, and the process
// survives a panic on a lane's goroutine. (A change that panics is caught
// earlier, in applyChanges, and fails alone.)
func (c *Client) writeSafely(ctx context.Context, t *target, ms []*member, more func() []*member, write groupWriter) {
	handed := slices.Clone(ms)
	defer func() {
		if v := recover(); v != nil {
			deliverAll(handed, nil, newPanicError(v))
		}
	}()
	var tracked func() []*member
	if more != nil {
		tracked = func() []*member {
			joined := more()
			handed = append(handed, joined...)
			return joined
		}
	}
	write(ctx, t, ms, tracked)
}

// runLane writes a lane's queue, first batch first, until it is empty.
func (c *Client) runLane(t *target, lane laneKey, ms []*member, write groupWriter) {
	for ; ms != nil; ms = c.lanes.take(lane, true) {
		g := newGroup(ms[0].ctx)
		g.add(ms)
		c.writeSafely(g.ctx, t, ms, func() []*member {
			more := c.lanes.take(lane, false)
			g.add(more)
			return more
		}, write)
		g.close()
	}
}

// group is the context of one shared write: it keeps the values of the
// first caller's context but not its cancellation, and ends only when every
// caller in the group has left, for the reason the last one left (its
// deadline, say), so that errors match what its callers' contexts say.
type group struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
	live   atomic.Int64
	stops  []func() bool
}

func newGroup(first context.Context) *group {
	g := &group{}
	g.ctx, g.cancel = context.WithCancelCause(context.WithoutCancel(first))
	return g
}

func (g *group) add(ms []*member) {
	for _, m := range ms {
		g.live.Add(1)
		g.stops = append(g.stops, context.AfterFunc(m.ctx, func() {
			if g.live.Add(-1) == 0 {
				g.cancel(context.Cause(m.ctx))
			}
		}))
	}
}

func (g *group) close() {
	for _, stop := range g.stops {
		stop()
	}
	g.cancel(context.Canceled)
}
