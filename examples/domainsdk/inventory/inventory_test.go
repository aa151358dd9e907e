package inventory_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ifmatch/ifmatch"
	"github.com/ifmatch/ifmatch/examples/domainsdk/inventory"
	"github.com/ifmatch/ifmatch/mockserver"
)

const token = "s3cret-token"

// setup starts a mock inventory API that refuses requests without the
// token, holding the given items (path "/items/<sku>": JSON).
func setup(t *testing.T, items map[string]string) (*mockserver.Handler, string) {
	t.Helper()
	h := mockserver.NewHandler(mockserver.Options{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	for path, doc := range items {
		if _, err := h.SetDoc(path, []byte(doc)); err != nil {
			t.Fatal(err)
		}
	}
	return h, srv.URL + "/"
}

func newClient(url string) *inventory.Client {
	return inventory.New(url, token, func(o *ifmatch.Options) { o.HTTPClient = &http.Client{} })
}

func TestAdjustRenameGet(t *testing.T) {
	_, url := setup(t, map[string]string{"/items/A-1": `{"sku":"A-1","name":"Anvil","stock":5,"tags":["heavy"]}`})
	c := newClient(url)
	ctx := context.Background()

	it, err := c.AdjustStock(ctx, "A-1", -2)
	if err != nil {
		t.Fatal(err)
	}
	if it.Stock != 3 || it.Name != "Anvil" {
		t.Errorf("AdjustStock: got %+v, want stock 3 and name Anvil", it)
	}
	if it, err = c.AdjustStock(ctx, "A-1", 7); err != nil || it.Stock != 10 {
		t.Errorf("AdjustStock(+7) = %+v, %v; want stock 10", it, err)
	}
	if it, err = c.Rename(ctx, "A-1", "Anvil, large"); err != nil || it.Name != "Anvil, large" || it.Stock != 10 {
		t.Errorf("Rename = %+v, %v; want the new name and stock 10", it, err)
	}
	it, err = c.Get(ctx, "A-1")
	if err != nil {
		t.Fatal(err)
	}
	if it.Name != "Anvil, large" || it.Stock != 10 || len(it.Tags) != 1 || it.Tags[0] != "heavy" {
		t.Errorf("Get = %+v, want Anvil, large with stock 10 and tags [heavy]", it)
	}
}

func TestErrors(t *testing.T) {
	h, url := setup(t, map[string]string{"/items/A-1": `{"sku":"A-1","name":"Anvil","stock":2}`})
	c := newClient(url)
	ctx := context.Background()

	t.Run("out of stock", func(t *testing.T) {
		_, err := c.AdjustStock(ctx, "A-1", -3)
		var oos *inventory.OutOfStockError
		if !errors.As(err, &oos) {
			t.Fatalf("err = %v, want *OutOfStockError", err)
		}
		if oos.SKU != "A-1" || oos.Stock != 2 || oos.Delta != -3 {
			t.Errorf("OutOfStockError = %+v, want A-1, stock 2, delta -3", oos)
		}
		if doc, _, _ := h.Doc("/items/A-1"); !strings.Contains(string(doc), `"stock":2`) {
			t.Errorf("stored %s, want it untouched", doc)
		}
	})
	for name, call := range map[string]func() error{
		"get":    func() error { _, err := c.Get(ctx, "nope"); return err },
		"adjust": func() error { _, err := c.AdjustStock(ctx, "nope", 1); return err },
		"rename": func() error { _, err := c.Rename(ctx, "nope", "x"); return err },
	} {
		t.Run(name+" not found", func(t *testing.T) {
			err := call()
			if !errors.Is(err, inventory.ErrNotFound) {
				t.Fatalf("err = %v, want ErrNotFound", err)
			}
			var re *ifmatch.ResponseError
			if !errors.As(err, &re) || re.StatusCode != http.StatusNotFound {
				t.Errorf("err = %v, want it to wrap the 404 *ifmatch.ResponseError", err)
			}
			if strings.Contains(err.Error(), token) {
				t.Errorf("error %q holds the token", err)
			}
		})
	}
	t.Run("conflict passes through", func(t *testing.T) {
		c := inventory.New(url, token, func(o *ifmatch.Options) { o.MaxAttempts = 1 })
		h.SetFaults(mockserver.Faults{InterfereRate: 1})
		t.Cleanup(func() { h.SetFaults(mockserver.Faults{}) })
		_, err := c.AdjustStock(ctx, "A-1", 1)
		var ce *ifmatch.ConflictError
		if !errors.Is(err, inventory.ErrConflict) || !errors.As(err, &ce) {
			t.Fatalf("err = %v, want ErrConflict and a *ifmatch.ConflictError", err)
		}
	})
	t.Run("wrong token", func(t *testing.T) {
		_, err := inventory.New(url, "wrong").Get(ctx, "A-1")
		var re *ifmatch.ResponseError
		if !errors.As(err, &re) || re.StatusCode != http.StatusUnauthorized {
			t.Fatalf("err = %v, want a 401 *ifmatch.ResponseError", err)
		}
		if errors.Is(err, inventory.ErrNotFound) || strings.Contains(err.Error(), "wrong") {
			t.Errorf("err = %v: want neither ErrNotFound nor the token in it", err)
		}
	})
}

// Concurrent adjustments through one shared Client (group commit) and
// through one Client per goroutine (as separate processes: every conflict
// is a 412 and a rebase).
func TestConcurrentAdjustments(t *testing.T) {
	for _, shared := range []bool{true, false} {
		name := map[bool]string{true: "shared client", false: "client per goroutine"}[shared]
		t.Run(name+"/320 - 32x10", func(t *testing.T) {
			ok, oos, final := adjustConcurrently(t, shared, 320, 32, 10)
			if ok != 320 || oos != 0 || final != 0 {
				t.Errorf("got %d committed, %d out of stock, final %d; want 320, 0, 0", ok, oos, final)
			}
		})
		t.Run(name+"/50 - 10x10", func(t *testing.T) {
			ok, oos, final := adjustConcurrently(t, shared, 50, 10, 10)
			if ok != 50 || oos != 50 || final != 0 {
				t.Errorf("got %d committed, %d out of stock, final %d; want 50, 50, 0", ok, oos, final)
			}
		})
	}
}

// adjustConcurrently takes one item out of a stock of start, writers x each
// times concurrently, and returns how many calls committed, how many were
// out of stock, and the final stock. Any other error fails the test.
func adjustConcurrently(t *testing.T, shared bool, start, writers, each int) (ok, oos int64, final int) {
	t.Helper()
	_, url := setup(t, map[string]string{"/items/B-2": `{"sku":"B-2","name":"Bolt","stock":` + strconv.Itoa(start) + `}`})
	one := newClient(url)
	var committed, outOfStock atomic.Int64
	var wg sync.WaitGroup
	for range writers {
		c := one
		if !shared {
			c = newClient(url)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				_, err := c.AdjustStock(context.Background(), "B-2", -1)
				var e *inventory.OutOfStockError
				switch {
				case err == nil:
					committed.Add(1)
				case errors.As(err, &e):
					outOfStock.Add(1)
				default:
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	it, err := one.Get(context.Background(), "B-2")
	if err != nil {
		t.Fatal(err)
	}
	return committed.Load(), outOfStock.Load(), it.Stock
}
