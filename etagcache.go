package ifmatch

import (
	"crypto/sha256"
	"hash"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/golang-lru/v2/simplelru"
)

// cacheKey names a resource as seen by one principal: two credentials never
// share an entry, so one principal never gets another's cached body.
type cacheKey struct {
	url       string   // canonicalURL
	principal [16]byte // hash of the credential headers; zero when none
}

// principalOf hashes the credential headers of a request.
func principalOf(h http.Header) [16]byte {
	var p [16]byte
	if len(h) == 0 {
		return p
	}
	var sum hash.Hash
	for _, name := range credentialHeaders {
		for _, v := range h[name] {
			if sum == nil {
				sum = sha256.New()
			}
			sum.Write([]byte(name))
			sum.Write([]byte{0})
			sum.Write([]byte(v))
			sum.Write([]byte{0})
		}
	}
	if sum != nil {
		copy(p[:], sum.Sum(nil))
	}
	return p
}

// snapshot is what is known of one version of a resource.
type snapshot struct {
	etag string // the version: the ETag verbatim, or the version field's value
	body []byte // the document at that version; nil when not known. Never mutated.
}

// cacheEntry is a snapshot with the Vary information of the response that
// produced it.
type cacheEntry struct {
	snapshot
	varyKeys []string // header names from the response's Vary
	varyVals string   // the request's values of those headers
}

// entryOverhead is the heap an entry holds besides its strings and body:
// the LRU's list element with the key and the entry in it (176 bytes), and
// its share of the LRU's map, 70 to 110 bytes as the map fills and grows;
// TestCacheBytesMatchesHeap measures it.
const entryOverhead = 256

// size is the heap an entry holds, its key's URL aside (see urlSize), so
// that CacheBytes bounds what a user can budget.
func (e *cacheEntry) size() int64 {
	n := entryOverhead + heapBytes(len(e.etag)) + heapBytes(cap(e.body)) + heapBytes(len(e.varyVals))
	if len(e.varyKeys) > 0 {
		n += heapBytes(cap(e.varyKeys) * 16) // string headers
		for _, k := range e.varyKeys {
			n += heapBytes(len(k))
		}
	}
	return n
}

// urlSize is the heap a key's URL holds.
func urlSize(k cacheKey) int64 { return heapBytes(len(k.url)) }

// etagCache maps resources to their last known version and document. It is
// bounded by entries and bytes (least recently used first out) and safe for
// concurrent use. A nil *etagCache is a cache that holds nothing.
type etagCache struct {
	mu        sync.Mutex
	lru       *simplelru.LRU[cacheKey, cacheEntry]
	bytes     int64
	maxBytes  int64 // <0: versions only, no documents
	hits      atomic.Int64
	misses    atomic.Int64
	evictions atomic.Int64
	// forgetting marks a removal by forget, which the eviction callback
	// must not count as an eviction; guarded by mu.
	forgetting bool
}

func newETagCache(entries int, maxBytes int64) *etagCache {
	if entries < 0 {
		return nil
	}
	c := &etagCache{maxBytes: maxBytes}
	c.lru, _ = simplelru.NewLRU(entries, func(k cacheKey, e cacheEntry) {
		c.bytes -= e.size() + urlSize(k)
		if !c.forgetting {
			c.evictions.Add(1)
		}
	})
	return c
}

// get returns the entry for k if the request headers h select the same
// variant. The returned body must not be modified.
func (c *etagCache) get(k cacheKey, h http.Header) (snapshot, bool) {
	if c == nil {
		return snapshot{}, false
	}
	c.mu.Lock()
	e, ok := c.lru.Get(k)
	c.mu.Unlock()
	if ok && len(e.varyKeys) > 0 && varyValues(e.varyKeys, h) != e.varyVals {
		ok = false
	}
	if !ok {
		c.misses.Add(1)
		return snapshot{}, false
	}
	c.hits.Add(1)
	return e.snapshot, true
}

// put stores s for k. vary is the response's Vary header; "*" means the
// response cannot be reused and is not stored. The cache keeps s.body as
// is: callers hand over a slice nobody else modifies.
func (c *etagCache) put(k cacheKey, s snapshot, vary []string, h http.Header) {
	if c == nil || s.etag == "" {
		return
	}
	keys := varyKeys(vary)
	if slices.Contains(keys, "*") {
		c.forget(k)
		return
	}
	e := cacheEntry{snapshot: s, varyKeys: keys}
	if len(keys) > 0 {
		e.varyVals = varyValues(keys, h)
	}
	if c.maxBytes < 0 || e.size() > c.maxBytes {
		e.body = nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.lru.Peek(k); ok {
		c.bytes -= old.size() + urlSize(k)
	}
	c.lru.Add(k, e)
	c.bytes += e.size() + urlSize(k)
	for c.maxBytes > 0 && c.bytes > c.maxBytes {
		if _, _, ok := c.lru.RemoveOldest(); !ok {
			break
		}
	}
}

// forget drops what is known of k: after a conflict, a DELETE, or a write
// whose answer does not name the new version.
func (c *etagCache) forget(k cacheKey) {
	if c == nil {
		return
	}
	c.mu.Lock()
	c.forgetting = true
	c.lru.Remove(k)
	c.forgetting = false
	c.mu.Unlock()
}

// len reports the number of entries and the bytes they hold.
func (c *etagCache) len() (int, int64) {
	if c == nil {
		return 0, 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len(), c.bytes
}

func varyKeys(vary []string) []string {
	var keys []string
	for _, v := range vary {
		for _, f := range strings.Split(v, ",") {
			if f = strings.TrimSpace(f); f != "" {
				keys = append(keys, http.CanonicalHeaderKey(f))
			}
		}
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}

func varyValues(keys []string, h http.Header) string {
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(strings.Join(h.Values(k), ","))
		b.WriteByte(0)
	}
	return b.String()
}
