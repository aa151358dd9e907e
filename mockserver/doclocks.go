package mockserver

import "sync"

// docLocks serializes the writes of each document, so that a write's check
// and commit are one atomic step for its document while writes to other
// documents, and all reads, go on. A lock exists only while someone holds
// or waits for it, so the map stays as small as the writes in flight.
type docLocks struct {
	mu sync.Mutex
	m  map[string]*docLock
}

// docLock is one document's lock and the number of its holders and
// waiters; guarded by docLocks.mu.
type docLock struct {
	mu   sync.Mutex
	refs int
}

// lock takes the lock of the document at path and returns its release,
// which must be called exactly once.
func (l *docLocks) lock(path string) (unlock func()) {
	l.mu.Lock()
	if l.m == nil {
		l.m = make(map[string]*docLock)
	}
	d := l.m[path]
	if d == nil {
		d = &docLock{}
		l.m[path] = d
	}
	d.refs++
	l.mu.Unlock()

	d.mu.Lock()
	return func() {
		d.mu.Unlock()
		l.mu.Lock()
		if d.refs--; d.refs == 0 {
			delete(l.m, path)
		}
		l.mu.Unlock()
	}
}
