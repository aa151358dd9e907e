package inventory_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/ifmatch/ifmatch/examples/domainsdk/inventory"
	"github.com/ifmatch/ifmatch/mockserver"
)

func Example() {
	srv := mockserver.New(mockserver.Options{})
	defer srv.Close()
	srv.SetDoc("/items/A-1", []byte(`{"sku":"A-1","name":"Anvil","stock":3}`))

	inv := inventory.New(srv.URL, "token")
	ctx := context.Background()

	it, err := inv.AdjustStock(ctx, "A-1", -2)
	fmt.Println(it.Stock, err)

	it, err = inv.Rename(ctx, "A-1", "Anvil, large")
	fmt.Println(it.Name, it.Stock, err)

	_, err = inv.AdjustStock(ctx, "A-1", -2)
	var oos *inventory.OutOfStockError
	fmt.Println(errors.As(err, &oos), oos.Stock)

	_, err = inv.Get(ctx, "Z-9")
	fmt.Println(errors.Is(err, inventory.ErrNotFound))
	// Output:
	// 1 <nil>
	// Anvil, large 1 <nil>
	// true 1
	// true
}
