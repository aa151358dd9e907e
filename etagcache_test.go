package ifmatch

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
)

func key(u string) cacheKey { return cacheKey{url: u} }

func TestCacheGetPutForget(t *testing.T) {
	c := newETagCache(10, 1<<20)
	if _, ok := c.get(key("a"), nil); ok {
		t.Fatal("empty cache: got a hit")
	}
	c.put(key("a"), snapshot{etag: `"1"`, body: []byte(`{}`)}, nil, nil)
	s, ok := c.get(key("a"), nil)
	if !ok || s.etag != `"1"` || string(s.body) != `{}` {
		t.Fatalf("get = %+v, %v; want etag \"1\" body {}", s, ok)
	}
	c.forget(key("a"))
	if _, ok := c.get(key("a"), nil); ok {
		t.Fatal("after forget: got a hit")
	}
	if st := c.evictions.Load(); st != 0 {
		t.Errorf("evictions = %d after a forget, want 0", st)
	}
}

func TestCacheBoundsEntries(t *testing.T) {
	c := newETagCache(3, 1<<20)
	for i := range 5 {
		c.put(key(fmt.Sprint(i)), snapshot{etag: "e"}, nil, nil)
	}
	n, _ := c.len()
	if n != 3 {
		t.Fatalf("entries = %d, want 3", n)
	}
	for i, want := range []bool{false, false, true, true, true} {
		if _, ok := c.get(key(fmt.Sprint(i)), nil); ok != want {
			t.Errorf("entry %d present = %v, want %v (least recently used go first)", i, ok, want)
		}
	}
	if got := c.evictions.Load(); got != 2 {
		t.Errorf("evictions = %d, want 2", got)
	}
}

func TestCacheBoundsBytes(t *testing.T) {
	body := []byte(strings.Repeat("x", 1000))
	c := newETagCache(100, 5000)
	for i := range 10 {
		c.put(key(fmt.Sprint(i)), snapshot{etag: "e", body: body}, nil, nil)
	}
	n, b := c.len()
	if b > 5000 {
		t.Fatalf("bytes = %d, want <= 5000", b)
	}
	if n < 3 || n > 4 {
		t.Errorf("entries = %d, want 3 or 4 of 1 KB documents in 5000 bytes", n)
	}
	// A document larger than the whole cache keeps its version, not its body.
	c.put(key("big"), snapshot{etag: "big", body: make([]byte, 10000)}, nil, nil)
	s, ok := c.get(key("big"), nil)
	if !ok || s.body != nil {
		t.Errorf("oversized document: hit %v body %d bytes; want a hit without body", ok, len(s.body))
	}
}

func TestCacheVersionsOnly(t *testing.T) {
	c := newETagCache(10, -1)
	c.put(key("a"), snapshot{etag: "e", body: []byte("{}")}, nil, nil)
	if s, ok := c.get(key("a"), nil); !ok || s.body != nil {
		t.Errorf("CacheBytes<0: got body %q, want version only", s.body)
	}
}

func TestCacheOff(t *testing.T) {
	var c *etagCache = newETagCache(-1, 0)
	c.put(key("a"), snapshot{etag: "e"}, nil, nil)
	if _, ok := c.get(key("a"), nil); ok {
		t.Error("disabled cache returned a hit")
	}
	c.forget(key("a"))
}

func TestCachePartitionsByCredentials(t *testing.T) {
	alice := http.Header{"Authorization": {"Bearer alice"}}
	bob := http.Header{"Authorization": {"Bearer bob"}}
	cookie := http.Header{"Cookie": {"s=1"}}
	ka := cacheKey{url: "u", principal: principalOf(alice, nil)}
	kb := cacheKey{url: "u", principal: principalOf(bob, nil)}
	kc := cacheKey{url: "u", principal: principalOf(cookie, nil)}
	kn := cacheKey{url: "u", principal: principalOf(nil, nil)}
	if ka == kb || ka == kn || kb == kn || kc == kn || kc == ka {
		t.Fatal("different credentials share a cache key")
	}
	c := newETagCache(10, 1<<20)
	c.put(ka, snapshot{etag: "alice", body: []byte(`"secret"`)}, nil, nil)
	for _, k := range []cacheKey{kb, kc, kn} {
		if s, ok := c.get(k, nil); ok {
			t.Errorf("another principal got alice's entry %+v", s)
		}
	}
	if principalOf(http.Header{"X-Api-Key": {"k1"}}, nil) == principalOf(http.Header{"X-Api-Key": {"k2"}}, nil) {
		t.Error("API keys do not partition the cache")
	}
}

func TestCacheVary(t *testing.T) {
	c := newETagCache(10, 1<<20)
	json := http.Header{"Accept": {"application/json"}}
	c.put(key("a"), snapshot{etag: "j"}, []string{"Accept, Accept-Language"}, json)
	if _, ok := c.get(key("a"), json); !ok {
		t.Error("same Vary values: miss")
	}
	if _, ok := c.get(key("a"), http.Header{"Accept": {"text/html"}}); ok {
		t.Error("other Vary values: hit")
	}
	c.put(key("b"), snapshot{etag: "x"}, []string{"*"}, nil)
	if _, ok := c.get(key("b"), nil); ok {
		t.Error("Vary: * was cached")
	}
}

func TestCacheConcurrent(t *testing.T) {
	c := newETagCache(50, 1<<16)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 1000 {
				k := key(fmt.Sprint((g * i) % 80))
				switch i % 3 {
				case 0:
					c.put(k, snapshot{etag: "e", body: make([]byte, i%300)}, nil, nil)
				case 1:
					c.get(k, nil)
				default:
					c.forget(k)
				}
			}
		}()
	}
	wg.Wait()
	n, b := c.len()
	if n > 50 || b > 1<<16 || b < 0 {
		t.Errorf("after concurrent use: %d entries, %d bytes; bounds 50 and 65536", n, b)
	}
}

func TestCanonicalURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"HTTP://Example.COM:80/a/b?x=1", "http://example.com/a/b?x=1"},
		{"https://example.com:443/a", "https://example.com/a"},
		{"https://example.com:8443/a", "https://example.com:8443/a"},
		{"http://user:pw@h/a#frag", "http://h/a"},
		{"http://h", "http://h/"},
		{"http://h/a%2Fb", "http://h/a%2Fb"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := canonicalURL(tt.in)
			if err != nil || got != tt.want {
				t.Errorf("canonicalURL(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
	for _, bad := range []string{"", "/relative", "ftp://h/x", "http://", "http://h/%zz"} {
		if _, err := canonicalURL(bad); err == nil {
			t.Errorf("canonicalURL(%q): no error", bad)
		}
	}
}

func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://user:secret@h/p?token=abc&x=1", "https://h/p?token=REDACTED&x=REDACTED"},
		{"http://h/p", "http://h/p"},
		{"http://u:p@h/%zz?key=v", "http://h/%zz"},
	}
	for _, tt := range tests {
		if got := redactURL(tt.in); got != tt.want {
			t.Errorf("redactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestCacheCompactionKeepsOrder churns a cache through several rebuilds of
// its LRU: the entries, their recency and the byte count come through
// unchanged, and the rebuilds count as no evictions.
func TestCacheCompactionKeepsOrder(t *testing.T) {
	const capacity = 2000
	c := newETagCache(capacity, 1<<30)
	for i := range 5000 {
		c.put(key(fmt.Sprint(i)), snapshot{etag: "e", body: []byte(fmt.Sprint(i))}, nil, nil)
	}
	if got := c.evictions.Load(); got != 3000 {
		t.Errorf("evictions = %d, want 3000", got)
	}
	c.get(key("3000"), nil) // now the most recent
	c.put(key("5000"), snapshot{etag: "e"}, nil, nil)
	for k, want := range map[string]bool{"2999": false, "3000": true, "3001": false, "3002": true, "5000": true} {
		if _, ok := c.get(key(k), nil); ok != want {
			t.Errorf("entry %s present = %v, want %v", k, ok, want)
		}
	}
	n, counted := c.len()
	var sum int64
	for _, k := range c.lru.Keys() {
		e, _ := c.lru.Peek(k)
		sum += e.size() + urlSize(k)
	}
	if n != capacity || counted != sum {
		t.Errorf("%d entries counting %d bytes, want %d counting %d", n, counted, capacity, sum)
	}
}
