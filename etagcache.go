package ifmatch

import (
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

// snapshot is what is known of one version of a resource.
type snapshot struct {
	etag string // the version: the ETag verbatim, or the version field's value
	body []byte // the document at that version; nil when not known. Never mutated.
}

// cacheEntry is a snapshot with the Vary information of the response that
// produced it.
type cacheEntry struct {
	snapshot
	// read is the version a caller last read (Get, or a GET through Do):
	// what Put and Delete replace by default. Writes, even this Client's
	// own, never move it.
	read     snapshot
	varyKeys []string // header names from the response's Vary
	varyVals string   // the request's values of those headers
}

// entryOverhead is the heap an entry holds besides its strings and body:
// the LRU's list element with the key and the entry in it (216 bytes, the
// read version's string and slice headers included), and its share of the
// LRU's map, 70 to 110 bytes as the map fills and grows;
// TestCacheBytesMatchesHeap measures it.
const entryOverhead = 296

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
	// The version a caller read, where it is not the newest one.
	if e.read.etag != e.etag {
		n += heapBytes(len(e.read.etag))
	}
	if !sameBytes(e.read.body, e.body) {
		n += heapBytes(cap(e.read.body))
	}
	return n
}

// sameBytes reports whether a and b are the same slice (not just equal).
func sameBytes(a, b []byte) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
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
	// removed counts the entries removed since the LRU was built; guarded
	// by mu. See compact.
	removed int
	entries int // the LRU's capacity
}

func newETagCache(entries int, maxBytes int64) *etagCache {
	if entries < 0 {
		return nil
	}
	c := &etagCache{maxBytes: maxBytes, entries: entries}
	c.lru = c.newLRU()
	return c
}

// newLRU makes an empty LRU of the cache's capacity that keeps c.bytes.
func (c *etagCache) newLRU() *simplelru.LRU[cacheKey, cacheEntry] {
	lru, _ := simplelru.NewLRU(c.entries, func(k cacheKey, e cacheEntry) {
		c.bytes -= e.size() + urlSize(k)
		c.removed++
		if !c.forgetting {
			c.evictions.Add(1)
		}
	})
	return lru
}

// compact rebuilds the LRU once it has removed half as many entries as it
// holds (at least compactAfter). A Go map never shrinks, and under churn
// it keeps the slots of removed keys and grows past what its entries need,
// which entryOverhead cannot foresee: 10-byte documents came to hold 1.2
// times what the cache counted. A fresh map holds what a filled one does,
// and the rebuild's cost, one Add per entry, is paid by half as many
// removals (about 2 ms for the default 10,000 entries). c.mu must be held.
func (c *etagCache) compact() {
	if c.removed < max(c.lru.Len()/2, compactAfter) {
		return
	}
	fresh := c.newLRU()
	for _, k := range c.lru.Keys() { // oldest first, as they were
		e, _ := c.lru.Peek(k)
		fresh.Add(k, e)
	}
	c.lru, c.removed = fresh, 0
}

// compactAfter is the fewest removals that make compact rebuild the LRU,
// so that a small cache is not rebuilt over and over.
const compactAfter = 1024

// get returns the entry for k if the request headers h select the same
// variant. The returned body must not be modified.
func (c *etagCache) get(k cacheKey, h http.Header) (snapshot, bool) {
	e, ok := c.entry(k, h)
	return e.snapshot, ok
}

// getRead returns the version a caller last read of k, if it is known.
func (c *etagCache) getRead(k cacheKey, h http.Header) (snapshot, bool) {
	e, ok := c.entry(k, h)
	return e.read, ok && e.read.etag != ""
}

func (c *etagCache) entry(k cacheKey, h http.Header) (cacheEntry, bool) {
	if c == nil {
		return cacheEntry{}, false
	}
	c.mu.Lock()
	e, ok := c.lru.Get(k)
	c.mu.Unlock()
	if ok && len(e.varyKeys) > 0 && varyValues(e.varyKeys, h) != e.varyVals {
		ok = false
	}
	if !ok {
		c.misses.Add(1)
		return cacheEntry{}, false
	}
	c.hits.Add(1)
	return e, true
}

// put stores s, learned from a write or an internal read, as k's newest
// version, keeping what a caller last read. vary is the response's Vary
// header; "*" means the response cannot be reused and is not stored. The
// cache keeps s.body as is: callers hand over a slice nobody else modifies.
func (c *etagCache) put(k cacheKey, s snapshot, vary []string, h http.Header) {
	c.store(k, s, vary, h, false)
}

// putRead stores s as k's newest version and as the one a caller read.
func (c *etagCache) putRead(k cacheKey, s snapshot, vary []string, h http.Header) {
	c.store(k, s, vary, h, true)
}

func (c *etagCache) store(k cacheKey, s snapshot, vary []string, h http.Header, read bool) {
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
	if read {
		e.read = s
	}
	if c.maxBytes < 0 || e.size() > c.maxBytes {
		e.body, e.read.body = nil, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	old, ok := c.lru.Peek(k)
	if ok {
		c.bytes -= old.size() + urlSize(k)
		if !read && old.varyVals == e.varyVals {
			e.read = old.read
			if c.maxBytes < 0 || e.size() > c.maxBytes {
				e.read.body = nil
			}
		}
	}
	c.lru.Add(k, e)
	c.bytes += e.size() + urlSize(k)
	for c.maxBytes > 0 && c.bytes > c.maxBytes {
		if _, _, ok := c.lru.RemoveOldest(); !ok {
			break
		}
	}
	c.compact()
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
	c.compact()
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
