package ifmatch

import (
	"slices"
	"strings"
	"sync"

	"github.com/hashicorp/golang-lru/v2/simplelru"
)

// Which version did the caller of a Put or Delete read? Outside a
// TrackVersions scope and without a version of its own, the Client cannot
// tell its callers apart: goroutines sharing it read and write the same
// resources. It can tell when the answer is unambiguous. Every read outside
// a scope (Get, a GET through Do, Create's own document) hands out a
// version and leaves it open; a Put or Delete based on reads claims one. A
// write is based on the open version when there is exactly one, even if
// several readers hold it: a reader that then writes it stale gets a
// conflict, never an overwrite. When reads have handed out different
// versions that no write has claimed, a write could be based on any of
// them, and basing it on the newest would overwrite what its caller never
// saw (a lost update): it is refused with ErrNoVersion, naming the fix
// (TrackVersions, RetryOnConflict, or the caller's own version). With no
// open read, a write carries the version last read, unless it was
// forgotten (after a conflict, a 404): then the caller must read again.
//
// The ledger outlives the cache entry (a conflict forgets that, not who
// read what), within a bound of resources (Options.CacheEntries); a
// resource dropped from it counts as never read.

// readLedger holds, per resource, the versions reads handed out.
type readLedger struct {
	mu  sync.Mutex
	lru *simplelru.LRU[cacheKey, *reads]
}

// reads is what reads of one resource handed out.
type reads struct {
	open map[string]int // versions handed out and not yet claimed, with their counts
	last string         // the version last handed out; "" once forgotten
}

// maxOpen bounds the versions a resource's reads keep open. Once two are
// open no write claims any (it is refused), so more need not be counted:
// the bound only keeps a resource read often and never written small.
const maxOpen = 4

func newReadLedger(size int) *readLedger {
	if size < 0 {
		return nil // no cache: no version is known (ErrNoVersion)
	}
	lru, _ := simplelru.NewLRU[cacheKey, *reads](max(size, 1), nil)
	return &readLedger{lru: lru}
}

// handedOut records a read outside any scope that returned version v.
func (rl *readLedger) handedOut(k cacheKey, v string) {
	if rl == nil || v == "" {
		return
	}
	rl.mu.Lock()
	defer rl.mu.Unlock()
	rs := rl.entry(k)
	if _, ok := rs.open[v]; ok || len(rs.open) < maxOpen {
		rs.open[v]++
	}
	rs.last = v
}

// entry returns k's reads, new if none; rl.mu is held.
func (rl *readLedger) entry(k cacheKey) *reads {
	rs, ok := rl.lru.Get(k)
	if !ok {
		rs = &reads{open: map[string]int{}}
		rl.lru.Add(k, rs)
	}
	return rs
}

// created records the version a Create outside any scope made: its caller
// holds the document and may Put or Delete it without a read. It is not
// an open read, since the caller may read again before writing.
func (rl *readLedger) created(k cacheKey, v string) {
	if rl == nil || v == "" {
		return
	}
	rl.mu.Lock()
	defer rl.mu.Unlock()
	rl.entry(k).last = v
}

// forgotten records that the resource's version is no longer known (a
// conflict, a 404, a delete): the version last read may not be assumed.
// Open reads stay open: their holders may still write.
func (rl *readLedger) forgotten(k cacheKey) {
	if rl == nil {
		return
	}
	rl.mu.Lock()
	defer rl.mu.Unlock()
	if rs, ok := rl.lru.Peek(k); ok {
		rs.last = ""
	}
}

// claimState says what claim found.
type claimState int

const (
	neverRead  claimState = iota // no read of the resource is known
	claimedOne                   // one open version: claimed
	noneOpen                     // every read was claimed: the version last read ("" if forgotten)
	manyOpen                     // different versions are open: which one the writer read is unknown
)

// claim takes one open read of k for a write.
func (rl *readLedger) claim(k cacheKey) (string, claimState, []string) {
	if rl == nil {
		return "", neverRead, nil
	}
	rl.mu.Lock()
	defer rl.mu.Unlock()
	rs, ok := rl.lru.Get(k)
	if !ok {
		return "", neverRead, nil
	}
	switch len(rs.open) {
	case 0:
		return rs.last, noneOpen, nil
	case 1:
		for v := range rs.open {
			if rs.open[v]--; rs.open[v] == 0 {
				delete(rs.open, v)
			}
			return v, claimedOne, nil
		}
	}
	vs := make([]string, 0, len(rs.open))
	for v := range rs.open {
		vs = append(vs, v)
	}
	slices.Sort(vs)
	return "", manyOpen, vs
}

// claimRead is rule 3 of the version a write carries: the version reads
// handed out, for a Put or Delete (method) without a version of its own.
// raw marks a request sent through Do, which goes out as it is when the
// resource was never read.
func (c *Client) claimRead(t *target, method string, raw bool) (snapshot, error) {
	v, state, open := c.reads.claim(t.key)
	switch {
	case state == manyOpen:
		return snapshot{}, &noVersionError{method: method, url: t.safeURL(), open: open}
	case state == neverRead && raw:
		return snapshot{}, nil
	case v == "":
		return snapshot{}, &noVersionError{method: method, url: t.safeURL(), forgotten: state == noneOpen}
	}
	s := snapshot{etag: v}
	if r, ok := c.cache.getRead(t.key, t.all); ok && r.etag == v {
		s.body = r.body
	}
	return s, nil
}

// noVersionError says which write had no version, why, and what to do.
type noVersionError struct {
	method, url string
	forgotten   bool     // the version read was forgotten after a conflict or a 404
	open        []string // the versions reads handed out and no write claimed
}

func (e *noVersionError) Error() string {
	const fix = "wrap the read and the write in ifmatch.TrackVersions(ctx) or ifmatch.RetryOnConflict, or pass the version read (ifmatch.IfMatch, an If-Match header)"
	switch {
	case len(e.open) > 0:
		return "ifmatch: " + e.method + " " + e.url + ": which version this write is based on cannot be known: reads through this Client " +
			"handed out versions " + strings.Join(e.open, ", ") + " and no write has claimed them, so basing it on the newest " +
			"could overwrite a change its caller never saw: " + fix
	case e.forgotten:
		return "ifmatch: " + e.method + " " + e.url + ": the version read was forgotten after a conflict: read the resource again, or " + fix
	}
	return "ifmatch: " + e.method + " " + e.url + ": no known version of the resource: read it first (Get), or pass the version you hold (IfMatch)"
}

func (e *noVersionError) Unwrap() error { return ErrNoVersion }
