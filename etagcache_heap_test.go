package ifmatch

import (
	"bytes"
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// heapInUse is the live heap after a full collection.
func heapInUse() int64 {
	runtime.GC()
	runtime.GC() // a second cycle frees what the first one's finalizers released
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// fillCache puts n documents of size bytes into a new cache bounded by
// maxBytes, read the way the SDK reads response bodies, under
// URLs and ETags as canonicalURL and a server produce them. It returns the
// cache and the heap it holds.
func fillCache(t testing.TB, n, size int, maxBytes int64) (*etagCache, int64) {
	t.Helper()
	return churnCache(t, n, n, size, maxBytes)
}

// TestCacheBytesMatchesHeap checks that the cache's own byte count, which
// CacheBytes bounds, is within 10% of the heap the cache holds.
func TestCacheBytesMatchesHeap(t *testing.T) {
	if testing.Short() {
		t.Skip("fills caches of tens of megabytes")
	}
	tests := []struct {
		name    string
		n, size int
	}{
		// the LRU's map holds 70 to 110 bytes per entry as it fills and
		// grows: these counts catch it just grown and nearly full
		{"10 B", 50_000, 10},
		{"10 B, a full map", 60_000, 10},
		{"1 KB", 20_000, 1 << 10},
		{"64 KB", 400, 64 << 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, held := fillCache(t, tt.n, tt.size, 1<<40)
			entries, counted := c.len()
			if entries != tt.n {
				t.Fatalf("the cache holds %d entries, want %d", entries, tt.n)
			}
			t.Logf("%s: heap %d B per entry, counted %d B per entry (heap/counted %.2f)",
				tt.name, held/int64(entries), counted/int64(entries), float64(held)/float64(counted))
			if diff := float64(held-counted) / float64(held); diff > 0.10 || diff < -0.10 {
				t.Errorf("counted %d bytes for a heap of %d: off by %.0f%%, want within 10%%", counted, held, 100*diff)
			}
		})
	}
}

// TestCacheBytesBoundsHeap fills a cache past CacheBytes: what it holds
// then is the bound, within 10%.
func TestCacheBytesBoundsHeap(t *testing.T) {
	if testing.Short() {
		t.Skip("fills a cache of megabytes")
	}
	const maxBytes = 16 << 20
	c, held := fillCache(t, 20_000, 1<<10, maxBytes)
	entries, counted := c.len()
	if counted > maxBytes || counted < maxBytes-2<<10 {
		t.Errorf("the cache counts %d bytes, want just under %d", counted, maxBytes)
	}
	t.Logf("CacheBytes %d: %d entries of 1 KB hold %d B of heap (%.2fx)", maxBytes, entries, held, float64(held)/maxBytes)
	if held > maxBytes*11/10 {
		t.Errorf("a cache bounded to %d bytes holds %d of heap, want at most 10%% more", maxBytes, held)
	}
}

// TestHeapBytes checks the size classes against what the runtime
// allocates.
func TestHeapBytes(t *testing.T) {
	const count = 1000
	for _, n := range []int{16, 17, 100, 1025, 5000, 32 << 10, 32<<10 + 1, 64<<10 + 1} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			want := heapBytes(n)
			var got int64
			for range 3 { // another goroutine allocating meanwhile adds to TotalAlloc
				hold := make([][]byte, count)
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				for i := range hold {
					hold[i] = make([]byte, n)
				}
				runtime.ReadMemStats(&after)
				runtime.KeepAlive(hold)
				if got = int64(after.TotalAlloc-before.TotalAlloc) / count; got == want {
					return
				}
			}
			t.Errorf("make([]byte, %d) allocates %d bytes, heapBytes says %d", n, got, want)
		})
	}
}

// churnCache is fillCache past the cache's capacity: total documents put
// into a cache of capacity entries, so that total-capacity are evicted.
func churnCache(t testing.TB, capacity, total, size int, maxBytes int64) (*etagCache, int64) {
	t.Helper()
	doc := []byte(`{"d":"` + strings.Repeat("x", max(size-8, 0)) + `"}`)[:size]
	before := heapInUse()
	c := newETagCache(capacity, maxBytes)
	for i := range total {
		url, err := canonicalURL(fmt.Sprintf("http://127.0.0.1:8080/items/%07d", i))
		if err != nil {
			t.Fatal(err)
		}
		body, err := readCapped(bytes.NewReader(doc), 16<<20, int64(len(doc)))
		if err != nil {
			t.Fatal(err)
		}
		etag := fmt.Sprintf(`"%d-%08x"`, i+1, i*2654435761)
		c.put(cacheKey{url: url}, snapshot{etag: etag, body: body}, nil, nil)
	}
	held := heapInUse() - before
	runtime.KeepAlive(c)
	return c, held
}

// TestCacheBytesMatchesHeapAfterEviction churns caches through more than
// three times their capacity: what the cache counts must still be within
// 10% of the heap it holds. The LRU's map never shrinks and keeps the
// slots of evicted keys, which once made 10-byte documents hold 1.2 times
// what was counted.
func TestCacheBytesMatchesHeapAfterEviction(t *testing.T) {
	if testing.Short() {
		t.Skip("churns caches of tens of megabytes")
	}
	tests := []struct {
		name            string
		capacity, total int
		size            int
		maxBytes        int64
	}{
		// evictions since the LRU was last rebuilt vary with the totals;
		// the map is largest when they are many
		{"10 B, by entries", 10_000, 40_000, 10, 1 << 40},
		{"10 B, by entries, before a rebuild", 13_000, 58_400, 10, 1 << 40},
		{"10 B, by entries, large", 30_000, 125_000, 10, 1 << 40},
		{"1 KB, by entries", 5_000, 22_000, 1 << 10, 1 << 40},
		{"1 KB, by bytes", 1 << 20, 20_000, 1 << 10, 4 << 20},
		{"64 KB, by entries", 100, 450, 64 << 10, 1 << 40},
		{"64 KB, by bytes", 1 << 20, 600, 64 << 10, 8 << 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, held := churnCache(t, tt.capacity, tt.total, tt.size, tt.maxBytes)
			entries, counted := c.len()
			if evicted := c.evictions.Load(); evicted < 3*int64(entries) {
				t.Fatalf("%d evictions for %d entries, want more than 3 times as many", evicted, entries)
			}
			t.Logf("%s: %d entries, heap %d B per entry, counted %d B per entry (heap/counted %.2f)",
				tt.name, entries, held/int64(entries), counted/int64(entries), float64(held)/float64(counted))
			if diff := float64(held-counted) / float64(held); diff > 0.10 || diff < -0.10 {
				t.Errorf("counted %d bytes for a heap of %d: off by %.0f%%, want within 10%%", counted, held, 100*diff)
			}
		})
	}
}

// TestCacheBytesMatchesHeapAfterForgetting fills a cache, then forgets
// most of it, as conflicts and deletes do: the map must shrink with it.
func TestCacheBytesMatchesHeapAfterForgetting(t *testing.T) {
	if testing.Short() {
		t.Skip("fills a cache of megabytes")
	}
	before := heapInUse()
	c, _ := fillCache(t, 20_000, 10, 1<<40)
	for _, k := range c.lru.Keys()[:18_000] {
		c.forget(k)
	}
	held := heapInUse() - before
	entries, counted := c.len()
	t.Logf("2,000 of 20,000 entries left: heap %d B per entry, counted %d B per entry (heap/counted %.2f)",
		held/int64(entries), counted/int64(entries), float64(held)/float64(counted))
	if diff := float64(held-counted) / float64(held); diff > 0.10 || diff < -0.10 {
		t.Errorf("counted %d bytes for a heap of %d: off by %.0f%%, want within 10%%", counted, held, 100*diff)
	}
	runtime.KeepAlive(c)
}
