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
	doc := []byte(`{"d":"` + strings.Repeat("x", max(size-8, 0)) + `"}`)[:size]
	before := heapInUse()
	c := newETagCache(n, maxBytes)
	for i := range n {
		url, err := canonicalURL(fmt.Sprintf("http://127.0.0.1:8080/items/%06d", i))
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
