package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/ifmatch/ifmatch"
	"github.com/ifmatch/ifmatch/examples/ogen/api"
	"github.com/ifmatch/ifmatch/mockserver"
)

// The second scenario: many goroutines each take one item out of stock,
// again and again, with the generated client's own read-compute-write (GET
// the item, PUT it back with stock-1) through one ifmatch.Client's
// StandardClient, as code that knows nothing of versions would. Without a
// scope, ifmatch cannot know which version each goroutine read: it bases a
// PUT on what reads handed out while that is unambiguous, and otherwise
// refuses it with an error that names the fix. Wrapped in
// ifmatch.RetryOnConflict, every attempt reads and writes in a scope of its
// own and is run again after a conflict: every decrement lands once.

// decrementRun is what one decrement run did.
type decrementRun struct {
	mode              string
	writers, each     int
	ok                int
	failed            []error
	startStock, final int
	requests          int64 // every request the server answered
	elapsed           time.Duration
}

// lost counts decrements that reported success but do not show in the
// stock, or doubled ones (negative).
func (d *decrementRun) lost() int { return d.final - (d.startStock - d.ok) }

// unnamed counts failures whose error does not name the fix.
func (d *decrementRun) unnamed() int {
	n := 0
	for _, err := range d.failed {
		if !strings.Contains(err.Error(), "RetryOnConflict") {
			n++
		}
	}
	return n
}

// decrementOnce is the generated client's read-compute-write.
func decrementOnce(ctx context.Context, items *api.Client) error {
	item, err := getItem(ctx, items)
	if err != nil {
		return err
	}
	changed := item
	changed.Stock--
	resp, err := items.PutItem(ctx, &changed, api.PutItemParams{Sku: sku})
	if err != nil {
		return err
	}
	if p, ok := resp.(*api.Problem); ok {
		return fmt.Errorf("PUT: %d %s", p.Status.Value, p.Title.Value)
	}
	return nil
}

// runDecrements seeds the item on srv and runs writers goroutines of each
// decrements, wrapped in ifmatch.RetryOnConflict when helper is set.
func runDecrements(ctx context.Context, srv *mockserver.Server, writers, each int, helper bool) (*decrementRun, error) {
	d := &decrementRun{mode: "no scope", writers: writers, each: each, startStock: writers * each * 2}
	if helper {
		d.mode = "ifmatch.RetryOnConflict"
	}
	seed := fmt.Sprintf(`{"sku":%q,"name":"Widget","stock":%d,"tags":["blue"]}`, sku, d.startStock)
	if _, err := srv.SetDoc("/items/"+sku, []byte(seed)); err != nil {
		return nil, err
	}
	c := ifmatch.New(&ifmatch.Options{HTTPClient: srv.Client()})
	defer c.CloseIdleConnections()
	items, err := newAPI(srv.URL, c.StandardClient())
	if err != nil {
		return nil, err
	}
	before := srv.Stats()
	began := time.Now()
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range writers {
		wg.Go(func() {
			for range each {
				var err error
				if helper {
					err = ifmatch.RetryOnConflict(ctx, c, func(ctx context.Context) error { return decrementOnce(ctx, items) })
				} else {
					err = decrementOnce(ctx, items)
				}
				mu.Lock()
				if err == nil {
					d.ok++
				} else {
					d.failed = append(d.failed, err)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	d.elapsed = time.Since(began)
	after := srv.Stats()
	for k, v := range after.Requests {
		d.requests += v - before.Requests[k]
	}
	item, err := getItem(context.Background(), items)
	if err != nil {
		return nil, err
	}
	d.final = item.Stock
	d.requests++ // the final GET
	return d, nil
}

func (d *decrementRun) print(w io.Writer) {
	fmt.Fprintf(w, "ogen client over StandardClient, %s: %d goroutines x %d decrements (GET, then PUT stock-1) of one item\n",
		d.mode, d.writers, d.each)
	fmt.Fprintf(w, "  decrements          %d done, %d failed\n", d.ok, len(d.failed))
	fmt.Fprintf(w, "  stock               %d -> %d (want %d)\n", d.startStock, d.final, d.startStock-d.ok)
	fmt.Fprintf(w, "  lost updates        %d\n", d.lost())
	if len(d.failed) > 0 {
		fmt.Fprintf(w, "  failures naming the fix  %d of %d; first: %v\n", len(d.failed)-d.unnamed(), len(d.failed), d.failed[0])
	}
	if d.ok > 0 {
		fmt.Fprintf(w, "  requests per update %.1f (%d requests)\n", float64(d.requests)/float64(d.ok), d.requests)
	}
	fmt.Fprintf(w, "  elapsed             %v\n\n", d.elapsed.Round(time.Millisecond))
}
