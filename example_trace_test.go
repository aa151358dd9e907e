package ifmatch_test

import (
	"context"
	"fmt"
	"net/http"

	"github.com/ifmatch/ifmatch"
	"github.com/ifmatch/ifmatch/mockserver"
)

// printTracer prints each call and each request it sends. The module
// github.com/ifmatch/ifmatch/otelifmatch records them as OpenTelemetry
// spans instead.
type printTracer struct{}

func (printTracer) StartCall(ctx context.Context, call ifmatch.CallInfo) (context.Context, func(ifmatch.CallEnd)) {
	fmt.Println("call", call.Name)
	return ctx, func(e ifmatch.CallEnd) { fmt.Println("end", call.Name, e.StatusCode, "attempts", e.Attempts) }
}

func (printTracer) StartRequest(ctx context.Context, req *http.Request, info ifmatch.RequestInfo) (context.Context, func(int, error)) {
	return ctx, func(status int, err error) { fmt.Println("  ", info.Method, status) }
}

func ExampleTracer() {
	srv := mockserver.New(mockserver.Options{})
	defer srv.Close()
	srv.SetDoc("/items/1", []byte(`{"stock":3}`))

	c := ifmatch.New(&ifmatch.Options{Tracer: printTracer{}})
	c.MergePatch(context.Background(), srv.URL+"/items/1", []byte(`{"stock":2}`))
	// Output:
	// call MergePatch
	//    GET 200
	//    PUT 200
	// end MergePatch 200 attempts 1
}
