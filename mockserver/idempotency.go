package mockserver

import (
	"crypto/sha256"
	"net/http"
	"sync"
)

// maxIdempotencyKeys bounds the remembered keys; the oldest go first.
const maxIdempotencyKeys = 100_000

// idemEntry is one idempotency key: the fingerprint of its first request,
// and that request's answer once it has been processed (nil while in flight).
type idemEntry struct {
	fingerprint [sha256.Size]byte
	resp        *response
}

// idemStore remembers answers by idempotency key, FIFO-bounded.
type idemStore struct {
	mu      sync.Mutex
	entries map[string]*idemEntry
	order   []idemKey // oldest first
	max     int
}

// idemKey is a key in eviction order, with its entry, so that a key that
// was forgotten and then used again is evicted for its newest use only.
type idemKey struct {
	key   string
	entry *idemEntry
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
	e := &idemEntry{fingerprint: fp}
	s.entries[key] = e
	s.order = append(s.order, idemKey{key, e})
	for len(s.order) > s.max {
		if old := s.order[0]; s.entries[old.key] == old.entry {
			delete(s.entries, old.key)
		}
		s.order = s.order[1:]
	}
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
		delete(s.entries, key)
		return
	}
	e.resp = resp.clone()
}
