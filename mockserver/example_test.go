package mockserver_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/ifmatch/ifmatch/mockserver"
)

// A test seeds a document, lets another writer change it, and sees its own
// write refused as stale.
func Example() {
	srv := mockserver.New(mockserver.Options{})
	defer srv.Close()

	etag, _ := srv.SetDoc("/counter", []byte(`{"n":1}`))
	_, _ = srv.SetDoc("/counter", []byte(`{"n":5}`)) // someone else writes

	req, _ := http.NewRequest(http.MethodPut, srv.URL+"/counter", strings.NewReader(`{"n":2}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("If-Match", etag)
	resp, err := srv.Client().Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	doc, _, _ := srv.Doc("/counter")
	fmt.Println(resp.StatusCode, string(doc), srv.Stats().Conflicts)
	// Output: 412 {"n":5} 1
}

// ConflictBody lets a client rebase from the conflict answer itself.
func ExampleOptions_conflictBody() {
	srv := mockserver.New(mockserver.Options{StaleStatus: 409, ConflictBody: true})
	defer srv.Close()
	_, _ = srv.SetDoc("/doc", []byte(`{"n":1}`))

	req, _ := http.NewRequest(http.MethodPut, srv.URL+"/doc", strings.NewReader(`{"n":2}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("If-Match", `"stale"`)
	resp, err := srv.Client().Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, resp.Header.Get("ETag") == srv.Version("/doc"), string(body))
	// Output: 409 true {"n":1}
}

// VersionField imitates CouchDB: the version is "_rev" in the document.
func ExampleOptions_versionField() {
	srv := mockserver.New(mockserver.Options{VersionField: "/_rev"})
	defer srv.Close()
	_, _ = srv.SetDoc("/db/doc", []byte(`{"n":1}`))
	rev := srv.Version("/db/doc")

	for _, body := range []string{`{"n":2}`, `{"_rev":"` + rev + `","n":2}`} {
		req, _ := http.NewRequest(http.MethodPut, srv.URL+"/db/doc", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := srv.Client().Do(req)
		if err != nil {
			fmt.Println(err)
			return
		}
		resp.Body.Close()
		fmt.Println(resp.StatusCode)
	}
	fmt.Println(strings.HasPrefix(srv.Version("/db/doc"), "2-"))
	// Output:
	// 409
	// 200
	// true
}

// Faults switch at run time; a dropped answer still commits.
func ExampleHandler_SetFaults() {
	srv := mockserver.New(mockserver.Options{})
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

	srv.SetFaults(mockserver.Faults{DropRate: 1})
	req, _ := http.NewRequest(http.MethodPut, srv.URL+"/doc", strings.NewReader(`{"n":1}`))
	req.Header.Set("Content-Type", "application/json")
	_, err := client.Do(req)
	doc, _, _ := srv.Doc("/doc")
	fmt.Println(err != nil, string(doc), srv.Stats().Faults.Drops)
	// Output: true {"n":1} 1
}
