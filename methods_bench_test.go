package ifmatch

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
)

// BenchmarkMethods is one call of each public method with the resource
// cached, against a server that accepts every write (one request per
// call): the SDK's time, bytes and allocations per call, the in-process
// server's included (BenchmarkBareRequest is that floor for one PUT).
func BenchmarkMethods(b *testing.B) {
	doc := benchDocument(1024)
	type benchCounter struct {
		N int64 `json:"n"`
	}
	methods := []struct {
		name     string
		strategy PatchStrategy
		call     func(ctx context.Context, c *Client, url string) error
	}{
		{"Get", ApplyLocally, func(ctx context.Context, c *Client, url string) error {
			_, err := c.Get(ctx, url)
			return err
		}},
		{"Put", ApplyLocally, func(ctx context.Context, c *Client, url string) error {
			_, err := c.Put(ctx, url, doc)
			return err
		}},
		{"Patch", ApplyLocally, func(ctx context.Context, c *Client, url string) error {
			_, err := c.Patch(ctx, url, benchIncrement)
			return err
		}},
		{"MergePatch", ApplyLocally, func(ctx context.Context, c *Client, url string) error {
			_, err := c.MergePatch(ctx, url, []byte(`{"n":1}`))
			return err
		}},
		{"Patch/SendPatch", SendPatch, func(ctx context.Context, c *Client, url string) error {
			_, err := c.Patch(ctx, url, benchIncrement)
			return err
		}},
		{"MergePatch/SendPatch", SendPatch, func(ctx context.Context, c *Client, url string) error {
			_, err := c.MergePatch(ctx, url, []byte(`{"n":1}`))
			return err
		}},
		{"Update", ApplyLocally, func(ctx context.Context, c *Client, url string) error {
			_, err := c.Update(ctx, url, func(cur []byte) ([]byte, error) { return cur, nil })
			return err
		}},
		{"Modify", ApplyLocally, func(ctx context.Context, c *Client, url string) error {
			_, err := Modify(ctx, c, url, func(d *benchCounter) error { d.N++; return nil })
			return err
		}},
	}
	for _, m := range methods {
		b.Run(m.name, func(b *testing.B) {
			var version, requests atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				requests.Add(1)
				etag := strconv.Quote(strconv.FormatInt(version.Load(), 10))
				switch r.Method {
				case http.MethodGet:
					w.Header().Set("ETag", etag)
					if r.Header.Get("If-None-Match") == etag {
						w.WriteHeader(http.StatusNotModified)
						return
					}
					w.Header().Set("Content-Type", "application/json")
					_, _ = w.Write(doc)
				case http.MethodPut:
					w.Header().Set("ETag", strconv.Quote(strconv.FormatInt(version.Add(1), 10)))
				case http.MethodPatch:
					w.Header().Set("ETag", strconv.Quote(strconv.FormatInt(version.Add(1), 10)))
					w.Header().Set("Content-Type", "application/json")
					_, _ = w.Write(doc)
				}
			}))
			b.Cleanup(srv.Close)
			c := New(&Options{HTTPClient: benchHTTPClient(b), PatchStrategy: m.strategy})
			ctx := context.Background()
			url := srv.URL + "/doc"
			if _, err := c.Get(ctx, url); err != nil {
				b.Fatal(err)
			}
			requests.Store(0)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if err := m.call(ctx, c, url); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(requests.Load())/float64(b.N), "requests/op")
			c.CloseIdleConnections()
		})
	}
}
