package ifmatch_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/ifmatch/ifmatch"
	"github.com/ifmatch/ifmatch/mockserver"
)

// An OData V4 service takes a merge patch only as application/json and
// stores something other than what a write sends (annotations dropped,
// ModifiedAt set by the service). The mock server's OData mode plays one.
func ExampleOptions_odata() {
	srv := mockserver.New(mockserver.ODataOptions())
	defer srv.Close()
	srv.SetDoc("/Products(1)", []byte(`{"name":"lamp","stock":3}`))
	url := srv.URL + "/Products(1)"

	c := ifmatch.New(&ifmatch.Options{
		PatchStrategy:         ifmatch.SendPatch,  // PATCH, applied by the service
		MergePatchContentType: "application/json", // OData's media type for a merge patch
	})
	ctx := context.Background()

	// PATCH application/json with If-Match, rebased on a 412.
	resp, err := c.MergePatch(ctx, url, []byte(`{"stock":2}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	// The answer is the stored entity, annotations and all.
	fmt.Println(resp.StatusCode, strings.HasPrefix(resp.ETag, `W/"`), strings.Contains(string(resp.Body), `"@odata.etag"`))

	// Modify decodes the entity (annotations ignored) and PUTs it back.
	type product struct {
		Name  string `json:"name"`
		Stock int    `json:"stock"`
	}
	p, err := ifmatch.Modify(ctx, c, url, func(p *product) error { p.Stock--; return nil })
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.Name, p.Stock)
	// Output:
	// 200 true true
	// lamp 1
}
