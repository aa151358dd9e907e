// Command domainsdk runs the inventory domain SDK (package inventory, built
// on ifmatch) against an embedded mock server: a few single calls, then 32
// goroutines taking items out of a stock of 50 until it runs out. Run it
// with:
//
//	go run ./examples/domainsdk
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"sync"
	"sync/atomic"

	"github.com/ifmatch/ifmatch/examples/domainsdk/inventory"
	"github.com/ifmatch/ifmatch/mockserver"
)

func main() {
	srv := mockserver.New(mockserver.Options{})
	defer srv.Close()
	for path, doc := range map[string]string{
		"/items/A-1": `{"sku":"A-1","name":"Anvil","stock":10,"tags":["heavy"]}`,
		"/items/B-2": `{"sku":"B-2","name":"Bolt","stock":50}`,
	} {
		if _, err := srv.SetDoc(path, []byte(doc)); err != nil {
			log.Fatal(err)
		}
	}
	inv := inventory.New(srv.URL, "demo-token")
	ctx := context.Background()

	it, err := inv.AdjustStock(ctx, "A-1", -3)
	fmt.Printf("AdjustStock(A-1, -3)  -> %+v, err=%v\n", *must(it, err), err)
	it, err = inv.Rename(ctx, "A-1", "Anvil, large")
	fmt.Printf("Rename(A-1)           -> %+v, err=%v\n", *must(it, err), err)
	_, err = inv.AdjustStock(ctx, "A-1", -100)
	var oos *inventory.OutOfStockError
	fmt.Printf("AdjustStock(A-1, -100) -> OutOfStockError=%v: %v\n", errors.As(err, &oos), err)
	_, err = inv.Get(ctx, "Z-9")
	fmt.Printf("Get(Z-9)              -> ErrNotFound=%v: %v\n", errors.Is(err, inventory.ErrNotFound), err)

	// 32 goroutines x 4 takes of one item, 128 requests for a stock of 50.
	var ok, out atomic.Int64
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 4 {
				_, err := inv.AdjustStock(ctx, "B-2", -1)
				switch {
				case err == nil:
					ok.Add(1)
				case errors.As(err, &oos):
					out.Add(1)
				default:
					log.Fatal(err)
				}
			}
		}()
	}
	wg.Wait()
	b2, err := inv.Get(ctx, "B-2")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("32 goroutines x 4 AdjustStock(B-2, -1) on stock 50 -> %d taken, %d out of stock, stock now %d\n",
		ok.Load(), out.Load(), b2.Stock)
	if ok.Load() != 50 || b2.Stock != 0 {
		log.Fatal("stock was oversold or lost")
	}
}

func must(it *inventory.Item, err error) *inventory.Item {
	if err != nil {
		log.Fatal(err)
	}
	return it
}
