package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ifmatch/ifmatch/mockserver"
)

// BenchmarkApplyThroughput is the batch of issue 23: 20,000 operations on
// 5,000 documents of about 1 KB, each operation appending its id to the
// document's /ops array, at 16 in flight, against an in-process
// mockserver. It compares ifmatch apply (JSON Patch, default options:
// group commit; and -no-group-commit) with a naive loop of 16 workers that
// GET the document, append, and PUT it back without If-Match. The
// documents count the operations applied, so lost updates are counted,
// not guessed. Two layouts: "spread" (each operation on a document drawn
// at random, seeded) and "sorted" (the four operations of a document on
// consecutive lines, as an input sorted by key is). Run it with
//
//	go test ./cmd/ifmatch -run '^$' -bench ApplyThroughput -benchtime 1x -count 3
//
// Metrics: ops/s (operations applied per second of wall time), req/op
// (document requests the server answered, per operation) and lost
// (operations whose append is missing from the documents at the end).
func BenchmarkApplyThroughput(b *testing.B) {
	const docs, ops, concurrency = 5000, 20000, 16
	layouts := []struct {
		name  string
		docOf func(i int) int
	}{
		{"spread", func() func(int) int {
			r := rand.New(rand.NewPCG(23, 23))
			perm := make([]int, ops)
			for i := range perm {
				perm[i] = r.IntN(docs)
			}
			return func(i int) int { return perm[i] }
		}()},
		{"sorted", func(i int) int { return i / (ops / docs) }},
	}
	approaches := []struct {
		name string
		run  func(b *testing.B, srv *mockserver.Server, lines []string, urls []string) int // returns operations reported ok
	}{
		{"ifmatch-apply", func(b *testing.B, srv *mockserver.Server, lines, _ []string) int {
			return benchApply(b, lines, concurrency)
		}},
		{"ifmatch-apply-no-group-commit", func(b *testing.B, srv *mockserver.Server, lines, _ []string) int {
			return benchApply(b, lines, concurrency, "-no-group-commit")
		}},
		{"naive-get-put", func(b *testing.B, srv *mockserver.Server, _, urls []string) int {
			return naiveGetPut(b, urls, concurrency)
		}},
	}
	pad := strings.Repeat("x", 1000)
	for _, l := range layouts {
		for _, a := range approaches {
			b.Run(l.name+"/"+a.name, func(b *testing.B) {
				var elapsed time.Duration
				var requests, lost, failed int64
				for range b.N {
					srv := mockserver.New(mockserver.Options{})
					paths := make([]string, docs)
					for d := range docs {
						paths[d] = fmt.Sprintf("/items/%d", d)
						if _, err := srv.SetDoc(paths[d], []byte(`{"ops":[],"pad":"`+pad+`"}`)); err != nil {
							b.Fatal(err)
						}
					}
					lines, urls := make([]string, ops), make([]string, ops)
					for i := range ops {
						urls[i] = srv.URL + paths[l.docOf(i)]
						lines[i] = appendOp(fmt.Sprintf("op%d", i), urls[i])
					}
					start := time.Now()
					ok := a.run(b, srv, lines, urls)
					elapsed += time.Since(start)
					for _, n := range srv.Stats().Requests {
						requests += n
					}
					applied := 0
					for _, p := range paths {
						doc, _, _ := srv.Doc(p)
						var d struct{ Ops []string }
						if err := json.Unmarshal(doc, &d); err != nil {
							b.Fatal(err)
						}
						applied += len(d.Ops)
					}
					lost += int64(ok - applied)
					failed += int64(ops - ok)
					srv.Close()
				}
				n := float64(b.N)
				b.ReportMetric(float64(ops)*n/elapsed.Seconds(), "ops/s")
				b.ReportMetric(float64(requests)/(float64(ops)*n), "req/op")
				b.ReportMetric(float64(lost)/n, "lost")
				b.ReportMetric(float64(failed)/n, "failed")
				b.ReportMetric(0, "ns/op") // the batch's time is in ops/s
			})
		}
	}
}

// benchApply runs ifmatch apply in-process on lines from a file, and
// returns the operations reported ok.
func benchApply(b *testing.B, lines []string, concurrency int, extra ...string) int {
	b.Helper()
	file := filepath.Join(b.TempDir(), "ops.jsonl")
	if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	var out, errOut bytes.Buffer
	args := append([]string{"apply", "-quiet", "-concurrency", fmt.Sprint(concurrency)}, extra...)
	if code := run(context.Background(), append(args, file), strings.NewReader(""), &out, &errOut); code != exitOK {
		b.Fatalf("apply: exit %d\n%s", code, errOut.String())
	}
	return strings.Count(out.String(), `"status":"ok"`)
}

// naiveGetPut is the loop the CLI replaces: GET, append, PUT the document
// back without If-Match, 16 at a time. A PUT answered 2xx counts as ok.
func naiveGetPut(b *testing.B, urls []string, concurrency int) int {
	b.Helper()
	tr := &http.Transport{MaxIdleConnsPerHost: concurrency}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}
	work := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	for range concurrency {
		wg.Go(func() {
			for i := range work {
				if naiveAppend(c, urls[i], fmt.Sprintf("op%d", i)) == nil {
					mu.Lock()
					done++
					mu.Unlock()
				}
			}
		})
	}
	for i := range urls {
		work <- i
	}
	close(work)
	wg.Wait()
	return done
}

func naiveAppend(c *http.Client, url, id string) error {
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	var d map[string]any
	if err := json.Unmarshal(body, &d); err != nil {
		return err
	}
	ops, _ := d["ops"].([]any)
	d["ops"] = append(ops, id)
	body, err = json.Marshal(d)
	if err != nil {
		return err
	}
	req, err := http.NewRequest(http.MethodPut, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err = c.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		return fmt.Errorf("PUT: %d", resp.StatusCode)
	}
	return nil
}
