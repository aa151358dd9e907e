package ifmatch

// Micro-benchmarks of the SDK's own costs. Run them with
//
//	go test -run '^$' -bench . -benchmem
//
// The end-to-end comparison with other approaches lives in bench/ (its own
// module): see bench/README.md.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/go-cleanhttp"
)

// benchPutServer answers GET with doc and PUT with 200, a new ETag and no
// body, and counts both.
type benchPutServer struct {
	*httptest.Server
	doc        []byte
	version    atomic.Int64
	gets, puts atomic.Int64
}

func newBenchPutServer(b *testing.B, doc []byte) *benchPutServer {
	b.Helper()
	s := &benchPutServer{doc: doc}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		switch r.Method {
		case http.MethodGet:
			s.gets.Add(1)
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("ETag", strconv.Quote(strconv.FormatInt(s.version.Load(), 10)))
			_, _ = w.Write(s.doc)
		case http.MethodPut:
			s.puts.Add(1)
			w.Header().Set("ETag", strconv.Quote(strconv.FormatInt(s.version.Add(1), 10)))
			w.WriteHeader(http.StatusOK)
		default:
			w.WriteHeader(http.StatusMethodNotAllowed)
		}
	}))
	b.Cleanup(s.Close)
	return s
}

// benchHTTPClient is what both sides of the write-path comparison send
// through: go-cleanhttp's pooled transport (the SDK's default) and the
// SDK's default attempt timeout.
func benchHTTPClient(b *testing.B) *http.Client {
	t := cleanhttp.DefaultPooledTransport()
	b.Cleanup(t.CloseIdleConnections)
	return &http.Client{Transport: t, Timeout: 30 * time.Second}
}

// benchDocument is a JSON object of about size bytes with a counter n and
// an array of small records, so that a parser has structure to walk.
func benchDocument(size int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"n":0,"items":[`)
	for i := 0; b.Len() < size-64; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":%d,"name":"item-%06d","tags":["a","b"],"price":%d.5}`, i, i, i%100)
	}
	b.WriteString(`],"pad":"`)
	b.WriteString(strings.Repeat("x", max(size-b.Len()-2, 0)))
	b.WriteString(`"}`)
	return b.Bytes()
}

var benchIncrement = []byte(`[{"op":"replace","path":"/n","value":1}]`)

// BenchmarkWritePath is one Patch through the SDK with the document cached
// (ApplyLocally): exactly one PUT per operation. Compare with
// BenchmarkBareRequest, the same PUT without the SDK.
func BenchmarkWritePath(b *testing.B) {
	srv := newBenchPutServer(b, benchDocument(1024))
	c := New(&Options{HTTPClient: benchHTTPClient(b)})
	benchWrites(b, c, srv, func(ctx context.Context, url string) error {
		_, err := c.Patch(ctx, url, benchIncrement)
		return err
	})
}

// BenchmarkWritePathVariants is BenchmarkWritePath with Modify instead of
// Patch, and with group commit off, to show where the SDK's time goes.
func BenchmarkWritePathVariants(b *testing.B) {
	type counter struct {
		N     int64 `json:"n"`
		Items []struct {
			ID    int      `json:"id"`
			Name  string   `json:"name"`
			Tags  []string `json:"tags"`
			Price float64  `json:"price"`
		} `json:"items"`
		Pad string `json:"pad"`
	}
	b.Run("Modify", func(b *testing.B) {
		srv := newBenchPutServer(b, benchDocument(1024))
		c := New(&Options{HTTPClient: benchHTTPClient(b)})
		benchWrites(b, c, srv, func(ctx context.Context, url string) error {
			_, err := Modify(ctx, c, url, func(d *counter) error { d.N++; return nil })
			return err
		})
	})
	b.Run("PatchNoGroupCommit", func(b *testing.B) {
		srv := newBenchPutServer(b, benchDocument(1024))
		c := New(&Options{HTTPClient: benchHTTPClient(b), NoGroupCommit: true})
		benchWrites(b, c, srv, func(ctx context.Context, url string) error {
			_, err := c.Patch(ctx, url, benchIncrement)
			return err
		})
	})
}

// benchWrites reads the document once, then times write b.N times and
// checks that each took exactly one PUT and no GET.
func benchWrites(b *testing.B, c *Client, srv *benchPutServer, write func(context.Context, string) error) {
	b.Helper()
	ctx := context.Background()
	url := srv.URL + "/doc"
	if _, err := c.Get(ctx, url); err != nil {
		b.Fatal(err)
	}
	gets0, puts0 := srv.gets.Load(), srv.puts.Load()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := write(ctx, url); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if gets, puts := srv.gets.Load()-gets0, srv.puts.Load()-puts0; gets != 0 || puts != int64(b.N) {
		b.Fatalf("%d operations took %d PUTs and %d GETs, want %d PUTs and no GET", b.N, puts, gets, b.N)
	}
	c.CloseIdleConnections()
}

// BenchmarkBareRequest is the PUT of BenchmarkWritePath sent with a bare
// http.Client: the floor the SDK's write path is measured against.
func BenchmarkBareRequest(b *testing.B) {
	doc := benchDocument(1024)
	srv := newBenchPutServer(b, doc)
	hc := benchHTTPClient(b)
	url := srv.URL + "/doc"
	etag := `"0"`
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		req, err := http.NewRequestWithContext(context.Background(), http.MethodPut, url, bytes.NewReader(doc))
		if err != nil {
			b.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("If-Match", etag)
		resp, err := hc.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("PUT answered %d", resp.StatusCode)
		}
		etag = resp.Header.Get("ETag")
	}
}

// BenchmarkCacheHit is the cache lookup every write starts with. It should
// not allocate.
func BenchmarkCacheHit(b *testing.B) {
	c := newETagCache(10_000, 64<<20)
	k := cacheKey{url: "https://api.example.com/v1/items/42"}
	c.put(k, snapshot{etag: `"1234"`, body: benchDocument(1024)}, nil, nil)
	h := http.Header{}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, ok := c.get(k, h); !ok {
			b.Fatal("miss")
		}
	}
}

// BenchmarkCacheHitParallel is BenchmarkCacheHit from every P at once, on
// distinct keys: the cost of the cache's single lock under concurrency.
func BenchmarkCacheHitParallel(b *testing.B) {
	c := newETagCache(10_000, 64<<20)
	const keys = 1024
	for i := range keys {
		c.put(cacheKey{url: fmt.Sprintf("https://api.example.com/v1/items/%d", i)}, snapshot{etag: `"1"`}, nil, nil)
	}
	var next atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		k := cacheKey{url: fmt.Sprintf("https://api.example.com/v1/items/%d", next.Add(1)%keys)}
		h := http.Header{}
		for pb.Next() {
			if _, ok := c.get(k, h); !ok {
				b.Error("miss")
				return
			}
		}
	})
}

// BenchmarkCacheMemory1M inserts a million versions (ETags, no documents)
// and reports the heap they hold per entry, the URL and ETag strings
// included (payload-bytes/entry is those strings alone).
func BenchmarkCacheMemory1M(b *testing.B) {
	const n = 1_000_000
	var perEntry, payload, nsPerInsert float64
	for range b.N {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		start := time.Now()
		c := newETagCache(n, -1)
		var strs int
		for i := range n {
			k := cacheKey{url: fmt.Sprintf("https://api.example.com/v1/items/%07d", i)}
			etag := strconv.Quote(strconv.Itoa(1_000_000 + i))
			strs += len(k.url) + len(etag)
			c.put(k, snapshot{etag: etag}, nil, nil)
		}
		nsPerInsert = float64(time.Since(start).Nanoseconds()) / n
		runtime.GC()
		runtime.ReadMemStats(&after)
		if entries, _ := c.len(); entries != n {
			b.Fatalf("cache holds %d entries, want %d", entries, n)
		}
		perEntry = float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / n
		payload = float64(strs) / n
		runtime.KeepAlive(c)
	}
	b.ReportMetric(perEntry, "bytes/entry")
	b.ReportMetric(payload, "payload-bytes/entry")
	b.ReportMetric(nsPerInsert, "ns/insert")
}

// BenchmarkJSONPatchApply applies a one-operation patch to documents of
// growing size, as every rebase and every ApplyLocally write does.
func BenchmarkJSONPatchApply(b *testing.B) {
	p, err := newJSONPatch(benchIncrement)
	if err != nil {
		b.Fatal(err)
	}
	for _, size := range []struct {
		name  string
		bytes int
	}{{"1KB", 1 << 10}, {"100KB", 100 << 10}, {"1MB", 1 << 20}} {
		b.Run(size.name, func(b *testing.B) {
			doc := benchDocument(size.bytes)
			b.SetBytes(int64(len(doc)))
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if _, err := p.apply(doc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
