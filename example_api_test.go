package ifmatch_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/ifmatch/ifmatch"
	"github.com/ifmatch/ifmatch/mockserver"
)

func ExampleClient_StandardClient() {
	srv := mockserver.New(mockserver.Options{})
	defer srv.Close()
	srv.SetDoc("/items/1", []byte(`{"name":"lamp","stock":3}`))

	// Code that takes an *http.Client (an ogen or openapi-generator
	// client, an SDK's WithHTTPClient option) gets the Client's.
	c := ifmatch.New(nil)
	var hc *http.Client = c.StandardClient()

	op := ifmatch.TrackVersions(context.Background())
	get, _ := http.NewRequestWithContext(op, http.MethodGet, srv.URL+"/items/1", nil)
	resp, err := hc.Do(get)
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()

	srv.SetDoc("/items/1", []byte(`{"name":"desk lamp","stock":3}`)) // another writer

	// A merge patch without If-Match: the Client adds the version the
	// operation read and, on the 412, rebases the patch.
	patch, _ := http.NewRequestWithContext(op, http.MethodPatch, srv.URL+"/items/1", strings.NewReader(`{"stock":2}`))
	patch.Header.Set("Content-Type", "application/merge-patch+json")
	resp, err = hc.Do(patch)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, string(body))
	// Output: 200 {"name":"desk lamp","stock":2}
}

func ExampleMaxAttempts() {
	srv := mockserver.New(mockserver.Options{})
	defer srv.Close()
	srv.SetDoc("/items/1", []byte(`{"stock":3}`))

	// The Client retries conflicts for up to 30 s; this call may write
	// twice at most, and gives up after a second.
	c := ifmatch.New(nil)
	_, err := c.MergePatch(context.Background(), srv.URL+"/items/1", []byte(`{"stock":2}`),
		ifmatch.MaxAttempts(2), ifmatch.MaxElapsed(time.Second))
	fmt.Println(err)
	// Output: <nil>
}

func ExampleWithCallOptions() {
	srv := mockserver.New(mockserver.Options{})
	defer srv.Close()
	srv.SetDoc("/items/1", []byte(`{"stock":3}`))

	// A generated client passes a context but no CallOption: the context
	// carries them to the Client.
	c := ifmatch.New(nil)
	ctx := ifmatch.WithCallOptions(context.Background(), ifmatch.IfMatch(`"stale"`))
	req, _ := http.NewRequestWithContext(ctx, http.MethodPut, srv.URL+"/items/1", strings.NewReader(`{"stock":0}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.StandardClient().Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode)
	// Output: 412
}

func ExampleOptions_Validate() {
	// Options read from a config file: check them before New, which
	// panics on a mistake.
	opts := &ifmatch.Options{VersionField: "_rev", VersionParam: "rev"}
	if err := opts.Validate(); err != nil {
		fmt.Println(err)
	}
	// Output: ifmatch: invalid options: VersionField "_rev" is not a JSON Pointer (RFC 6901) to a member (did you mean "/_rev"?)
}

func ExampleErrNotFound() {
	srv := mockserver.New(mockserver.Options{})
	defer srv.Close()

	var c ifmatch.Client // the zero Client works
	_, err := c.Get(context.Background(), srv.URL+"/items/404")
	fmt.Println(errors.Is(err, ifmatch.ErrNotFound))
	fmt.Println(strings.Replace(err.Error(), srv.URL, "http://server", 1))
	// Output:
	// true
	// ifmatch: GET http://server/items/404: 404 Not Found: no document at /items/404
}
