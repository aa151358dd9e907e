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
	"io"
	"log"
	"os"
	"sync"
	"sync/atomic"

	"github.com/ifmatch/ifmatch/examples/domainsdk/inventory"
	"github.com/ifmatch/ifmatch/mockserver"
)

func main() {
	srv := mockserver.New(mockserver.Options{})
	defer srv.Close()
	if err := run(context.Background(), srv, os.Stdout); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, srv *mockserver.Server, w io.Writer) error {
	for path, doc := range map[string]string{
		"/items/A-1": `{"sku":"A-1","name":"Anvil","stock":10,"tags":["heavy"]}`,
		"/items/B-2": `{"sku":"B-2","name":"Bolt","stock":50}`,
	} {
		if _, err := srv.SetDoc(path, []byte(doc)); err != nil {
			return err
		}
	}
	inv := inventory.New(srv.URL, "demo-token")

	it, err := inv.AdjustStock(ctx, "A-1", -3)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "AdjustStock(A-1, -3):   %+v\n", *it)
	if it, err = inv.Rename(ctx, "A-1", "Anvil, large"); err != nil {
		return err
	}
	fmt.Fprintf(w, "Rename(A-1):            %+v\n", *it)
	_, err = inv.AdjustStock(ctx, "A-1", -100)
	var oos *inventory.OutOfStockError
	if !errors.As(err, &oos) {
		return fmt.Errorf("AdjustStock(A-1, -100): got %v, want *OutOfStockError", err)
	}
	fmt.Fprintf(w, "AdjustStock(A-1, -100): *OutOfStockError: %v\n", err)
	if _, err = inv.Get(ctx, "Z-9"); !errors.Is(err, inventory.ErrNotFound) {
		return fmt.Errorf("Get(Z-9): got %v, want ErrNotFound", err)
	}
	fmt.Fprintf(w, "Get(Z-9):               ErrNotFound: %v\n", err)

	// 32 goroutines x 4 takes of one item: 128 requests for a stock of 50.
	var taken, refused atomic.Int64
	errs := make(chan error, 32)
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 4 {
				_, err := inv.AdjustStock(ctx, "B-2", -1)
				var oos *inventory.OutOfStockError
				switch {
				case err == nil:
					taken.Add(1)
				case errors.As(err, &oos):
					refused.Add(1)
				default:
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	b2, err := inv.Get(ctx, "B-2")
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "32 goroutines x 4 AdjustStock(B-2, -1) on a stock of 50: %d taken, %d out of stock, stock now %d\n",
		taken.Load(), refused.Load(), b2.Stock)
	if taken.Load() != 50 || b2.Stock != 0 {
		return errors.New("stock was oversold or lost")
	}
	return nil
}
