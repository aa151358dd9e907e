package mockserver

import (
	"container/list"
	"crypto/sha256"
	"net/http"
	"sync"
)

// The bounds on remembered idempotency keys; past either, the oldest keys
// are forgotten first. A stored answer holds its whole body, which may be
// a document the server no longer keeps, so the bytes are bounded as well
// as the count.
const (
	maxIdempotencyKeys  = 100_000
	maxIdempotencyBytes = 64 << 20
)

// idemOverhead is what an entry holds besides its key, body and header
// bytes: the entry and its answer, their map slot and list element, and
// the header map with its usual two fields.
const idemOverhead = 512

// idemEntry is one idempotency key: the fingerprint of its first request,
// and that request's answer once it has been processed (nil while in flight).
type idemEntry struct {
	key         string
	fingerprint [sha256.Size]byte
	resp        *response
	size        int64         // bytes counted for it in idemStore.bytes
	elem        *list.Element // its place in idemStore.order
}

// idemStore remembers answers by idempotency key, bounded by count and by
// bytes, oldest first out.
type idemStore struct {
	mu       sync.Mutex
	entries  map[string]*idemEntry
	order    list.List // of *idemEntry, oldest first
	bytes    int64     // the sizes of the entries
	maxKeys  int
	maxBytes int64
}

// fingerprint identifies a request for key reuse: method, path with query
// (which carries the version in VersionField mode) and a hash of the body.
func fingerprint(r *http.Request, body []byte) [sha256.Size]byte {
	h := sha256.New()
	h.Write([]byte(r.Method + " " + r.URL.RequestURI() + "\n"))
	h.Write(body)
	var fp [sha256.Size]byte
	h.Sum(fp[:0])
	return fp
}

// answerSize is the heap a stored answer holds: its body and header bytes.
func answerSize(r *response) int64 {
	n := int64(cap(r.body))
	for k, vs := range r.header {
		n += int64(len(k)) + 16
		for _, v := range vs {
			n += int64(len(v)) + 16
		}
	}
	return n
}

// begin looks the key up. It returns the answer to send instead of
// processing (a replay or an error), or the new in-flight entry that finish
// must complete.
func (s *idemStore) begin(key string, fp [sha256.Size]byte, path string) (*idemEntry, *response) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.entries[key]; ok {
		switch {
		case e.fingerprint != fp:
			return nil, problem(http.StatusUnprocessableEntity, ProblemIdempotencyKeyReused, "Idempotency Key Reused",
				"this idempotency key was used for a different request", path)
		case e.resp == nil:
			return nil, problem(http.StatusConflict, ProblemIdempotencyInFlight, "Idempotency Key In Flight",
				"a request with this idempotency key is still being processed", path)
		default:
			r := e.resp.clone()
			r.header.Set("Idempotent-Replayed", "true")
			r.replayed, r.committed, r.conflict = true, false, false
			return nil, r
		}
	}
	if s.entries == nil {
		s.entries = make(map[string]*idemEntry)
	}
	e := &idemEntry{key: key, fingerprint: fp, size: int64(len(key)) + idemOverhead}
	s.entries[key] = e
	e.elem = s.order.PushBack(e)
	s.bytes += e.size
	s.evict()
	return e, nil
}

// finish stores the processed answer, or forgets the key when there is
// none. An entry evicted meanwhile stays forgotten.
func (s *idemStore) finish(key string, e *idemEntry, resp *response) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.entries[key] != e {
		return
	}
	if resp == nil {
		s.drop(e)
		return
	}
	e.resp = resp.clone()
	grow := answerSize(e.resp)
	e.size += grow
	s.bytes += grow
	s.evict()
}

// evict forgets the oldest keys until the store is within its bounds.
func (s *idemStore) evict() {
	for s.order.Len() > 0 && (s.order.Len() > s.maxKeys || s.bytes > s.maxBytes) {
		s.drop(s.order.Front().Value.(*idemEntry))
	}
}

// drop forgets e.
func (s *idemStore) drop(e *idemEntry) {
	delete(s.entries, e.key)
	s.order.Remove(e.elem)
	s.bytes -= e.size
}
