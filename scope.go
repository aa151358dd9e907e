package ifmatch

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// TrackVersions returns a context in which Client.Do remembers the version
// (and document) of each resource it reads, and bases the writes it sends
// without a precondition on that version rather than on the Client's
// cache, which every goroutine sharing the Client updates.
//
// Use one per logical operation when a generated client reads, changes and
// writes back resources through a Client shared by several goroutines:
//
//	ctx := ifmatch.TrackVersions(ctx)
//	item, _ := api.GetItem(ctx, sku)       // version recorded
//	item.Name = "renamed"
//	_, err := api.PutItem(ctx, sku, item)  // If-Match: the version read above
//
// Without it, a write another goroutine commits between this caller's read
// and its write would move the cached version, and the write would be
// based on a version its caller never saw.
func TrackVersions(ctx context.Context) context.Context {
	return context.WithValue(ctx, scopeKey{}, &versionScope{seen: map[cacheKey]snapshot{}})
}

type scopeKey struct{}

// versionScope is what one operation has read.
type versionScope struct {
	mu   sync.Mutex
	seen map[cacheKey]snapshot
	// conflicted and unknown record that a write in the scope ended with
	// a version conflict (a *ConflictError, or a 409/412 answer Do
	// returned) or with its outcome unknown: RetryOnConflict reads them,
	// whatever error the caller's code made of the answer.
	conflicted, unknown atomic.Bool
	// hot is the last version conflict a write in the scope met, for
	// RetryOnConflict's backoff and error.
	hot atomic.Pointer[conflictSeen]
}

// conflictSeen is a version conflict a write met.
type conflictSeen struct {
	t      *target
	method string
	status int
	rtt    time.Duration
}

func scopeOf(ctx context.Context) *versionScope {
	s, _ := ctx.Value(scopeKey{}).(*versionScope)
	return s
}

func (s *versionScope) get(k cacheKey) (snapshot, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.seen[k]
	return v, ok
}

func (s *versionScope) put(k cacheKey, v snapshot) {
	s.mu.Lock()
	s.seen[k] = v
	s.mu.Unlock()
}
