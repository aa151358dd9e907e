package ifmatch_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/ifmatch/ifmatch"
	"github.com/ifmatch/ifmatch/mockserver"
)

func ExampleClient_Patch() {
	srv := mockserver.New(mockserver.Options{})
	defer srv.Close()
	srv.SetDoc("/items/1", []byte(`{"name":"lamp","stock":3}`))

	c := ifmatch.New(nil)
	resp, err := c.Patch(context.Background(), srv.URL+"/items/1",
		[]byte(`[{"op":"replace","path":"/stock","value":2}]`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.StatusCode, string(resp.Body))
	// Output: 200 {"name":"lamp","stock":2}
}

func ExampleClient_Patch_testFailed() {
	srv := mockserver.New(mockserver.Options{})
	defer srv.Close()
	srv.SetDoc("/items/1", []byte(`{"name":"lamp","stock":0}`))

	// Take one from stock, but only if the stock is still 1.
	c := ifmatch.New(nil)
	_, err := c.Patch(context.Background(), srv.URL+"/items/1", []byte(`[
		{"op":"test","path":"/stock","value":1},
		{"op":"replace","path":"/stock","value":0}]`))
	fmt.Println(errors.Is(err, ifmatch.ErrTestFailed), errors.Is(err, ifmatch.ErrConflict))
	// Output: true true
}

func ExampleClient_MergePatch() {
	srv := mockserver.New(mockserver.Options{})
	defer srv.Close()
	srv.SetDoc("/items/1", []byte(`{"name":"lamp","color":"red","stock":3}`))

	c := ifmatch.New(nil)
	resp, err := c.MergePatch(context.Background(), srv.URL+"/items/1", []byte(`{"color":null,"stock":4}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(resp.Body))
	// Output: {"name":"lamp","stock":4}
}

func ExampleClient_Update() {
	srv := mockserver.New(mockserver.Options{})
	defer srv.Close()
	srv.SetDoc("/notes/1", []byte(`{"text":"hello"}`))

	c := ifmatch.New(nil)
	resp, err := c.Update(context.Background(), srv.URL+"/notes/1", func(current []byte) ([]byte, error) {
		// Called once per attempt with the current document: no side effects.
		return []byte(`{"text":"hello, world"}`), nil
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(resp.Body), resp.Attempts)
	// Output: {"text":"hello, world"} 1
}

func ExampleModify() {
	srv := mockserver.New(mockserver.Options{})
	defer srv.Close()
	srv.SetDoc("/accounts/7", []byte(`{"owner":"ada","balance":100,"audit":"kept"}`))

	type account struct {
		Owner   string `json:"owner"`
		Balance int    `json:"balance"`
	}
	c := ifmatch.New(nil)
	acct, err := ifmatch.Modify(context.Background(), c, srv.URL+"/accounts/7", func(a *account) error {
		if a.Balance < 30 {
			return errors.New("insufficient funds")
		}
		a.Balance -= 30
		return nil
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	doc, _, _ := srv.Doc("/accounts/7")
	fmt.Println(acct.Balance)
	fmt.Println(string(doc)) // fields that account does not declare are kept
	// Output:
	// 70
	// {"owner":"ada","balance":70,"audit":"kept"}
}

func ExampleClient_Create() {
	srv := mockserver.New(mockserver.Options{})
	defer srv.Close()

	c := ifmatch.New(nil)
	ctx := context.Background()
	resp, err := c.Create(ctx, srv.URL+"/users/ada", []byte(`{"name":"Ada"}`))
	fmt.Println(resp.StatusCode, err)
	_, err = c.Create(ctx, srv.URL+"/users/ada", []byte(`{"name":"Impostor"}`))
	fmt.Println(errors.Is(err, ifmatch.ErrConflict))
	// Output:
	// 201 <nil>
	// true
}

func ExampleClient_Put() {
	srv := mockserver.New(mockserver.Options{})
	defer srv.Close()
	srv.SetDoc("/config", []byte(`{"mode":"a"}`))

	c := ifmatch.New(nil)
	ctx := context.Background()
	c.Get(ctx, srv.URL+"/config") // Put replaces the version its caller read
	srv.SetDoc("/config", []byte(`{"mode":"b"}`))
	_, err := c.Put(ctx, srv.URL+"/config", []byte(`{"mode":"c"}`))
	var ce *ifmatch.ConflictError
	if errors.As(err, &ce) {
		fmt.Println("refused:", ce.StatusCode)
	}
	doc, _, _ := srv.Doc("/config")
	fmt.Println(string(doc))
	// Output:
	// refused: 412
	// {"mode":"b"}
}

// Goroutines that share a Client and Put what they read say which version
// they read: each Put then replaces exactly that version, and the one that
// read an older one is refused instead of writing over the other.
func ExampleIfMatch() {
	srv := mockserver.New(mockserver.Options{})
	defer srv.Close()
	srv.SetDoc("/config", []byte(`{"mode":"a","level":1}`))
	c := ifmatch.New(nil) // shared
	ctx := context.Background()

	readA, _ := c.Get(ctx, srv.URL+"/config") // goroutine A reads
	readB, _ := c.Get(ctx, srv.URL+"/config") // goroutine B reads the same version

	_, errA := c.Put(ctx, srv.URL+"/config", []byte(`{"mode":"b","level":1}`), ifmatch.IfMatch(readA.ETag))
	_, errB := c.Put(ctx, srv.URL+"/config", []byte(`{"mode":"a","level":2}`), ifmatch.IfMatch(readB.ETag))
	fmt.Println(errA, errors.Is(errB, ifmatch.ErrConflict))
	doc, _, _ := srv.Doc("/config")
	fmt.Println(string(doc))
	// Output:
	// <nil> true
	// {"mode":"b","level":1}
}

func ExampleClient_Get() {
	srv := mockserver.New(mockserver.Options{})
	defer srv.Close()
	srv.SetDoc("/items/1", []byte(`{"name":"lamp"}`))

	c := ifmatch.New(nil)
	ctx := context.Background()
	c.Get(ctx, srv.URL+"/items/1")
	resp, _ := c.Get(ctx, srv.URL+"/items/1") // revalidated: 304, answered from the cache
	fmt.Println(resp.StatusCode, string(resp.Body), srv.Stats().Requests["GET 304"])
	// Output: 200 {"name":"lamp"} 1
}

func ExampleClient_Delete() {
	srv := mockserver.New(mockserver.Options{})
	defer srv.Close()
	srv.SetDoc("/items/1", []byte(`{"name":"lamp"}`))

	c := ifmatch.New(nil)
	ctx := context.Background()
	_, err := c.Delete(ctx, srv.URL+"/items/1")
	fmt.Println(errors.Is(err, ifmatch.ErrNoVersion))
	c.Get(ctx, srv.URL+"/items/1")
	resp, err := c.Delete(ctx, srv.URL+"/items/1")
	fmt.Println(resp.StatusCode, err)
	// Output:
	// true
	// 204 <nil>
}

func ExampleClient_Do() {
	srv := mockserver.New(mockserver.Options{})
	defer srv.Close()
	srv.SetDoc("/items/1", []byte(`{"stock":3}`))

	// A request built elsewhere, as a generated client would: Do adds
	// If-Match and rebases the patch on a conflict.
	c := ifmatch.New(nil)
	req, _ := http.NewRequest(http.MethodPatch, srv.URL+"/items/1", strings.NewReader(`{"stock":2}`))
	req.Header.Set("Content-Type", "application/merge-patch+json")
	resp, err := c.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	fmt.Println(resp.StatusCode, resp.Header.Get("ETag") != "")
	// Output: 200 true
}

func ExampleTrackVersions() {
	srv := mockserver.New(mockserver.Options{})
	defer srv.Close()
	srv.SetDoc("/items/1", []byte(`{"name":"lamp","stock":3}`))
	c := ifmatch.New(nil) // shared by every goroutine

	// One operation reads, then writes back what it read, through Do (as
	// a generated client would).
	op := ifmatch.TrackVersions(context.Background())
	get, _ := http.NewRequestWithContext(op, http.MethodGet, srv.URL+"/items/1", nil)
	resp, _ := c.Do(get)
	resp.Body.Close()

	// Meanwhile another goroutine takes one from stock through the same Client.
	c.MergePatch(context.Background(), srv.URL+"/items/1", []byte(`{"stock":2}`))

	put, _ := http.NewRequestWithContext(op, http.MethodPut, srv.URL+"/items/1",
		strings.NewReader(`{"name":"desk lamp","stock":3}`))
	put.Header.Set("Content-Type", "application/json")
	_, err := c.Do(put)
	// Based on what op read: refused, nothing lost. RetryOnConflict would
	// run the read and the write again.
	fmt.Println(errors.Is(err, ifmatch.ErrConflict))
	// Output: true
}

func ExampleWithHeader() {
	srv := mockserver.New(mockserver.Options{})
	defer srv.Close()
	srv.SetDoc("/me", []byte(`{"theme":"dark"}`))

	// Credentials per call: the cache keeps each principal's versions apart.
	c := ifmatch.New(nil)
	resp, err := c.Get(context.Background(), srv.URL+"/me", ifmatch.WithHeader("Authorization", "Bearer alice-token"))
	fmt.Println(resp.StatusCode, err)
	// Output: 200 <nil>
}

func ExampleClient_Stats() {
	srv := mockserver.New(mockserver.Options{})
	defer srv.Close()
	srv.SetDoc("/counter", []byte(`{"n":0}`))

	c := ifmatch.New(&ifmatch.Options{
		OnConflict: func(_ context.Context, i ifmatch.ConflictInfo) { /* count i.StatusCode in your metrics */ },
	})
	type counter struct {
		N int `json:"n"`
	}
	ctx := context.Background()
	ifmatch.Modify(ctx, c, srv.URL+"/counter", func(v *counter) error { v.N++; return nil })
	srv.SetDoc("/counter", []byte(`{"n":10}`)) // another writer
	ifmatch.Modify(ctx, c, srv.URL+"/counter", func(v *counter) error { v.N++; return nil })
	s := c.Stats()
	fmt.Println(s.Writes, s.Conflicts, s.Rebases, s.ConflictErrors)
	// Output: 2 1 1 0
}

func ExampleNew() {
	// A Client for an API that keeps versions in the body (CouchDB), with
	// idempotency keys and a bound on each call's conflict retries.
	c := ifmatch.New(&ifmatch.Options{
		VersionField:    "/_rev",
		VersionParam:    "rev",
		IdempotencyKeys: true,
		MaxAttempts:     10,
	})
	defer c.CloseIdleConnections()
	fmt.Println(c.Stats().Writes)
	// Output: 0
}

func ExampleRetryOnConflict() {
	srv := mockserver.New(mockserver.Options{})
	defer srv.Close()
	srv.SetDoc("/items/1", []byte(`{"name":"lamp","stock":3}`))
	c := ifmatch.New(nil)
	hc := c.StandardClient() // what a generated client is given

	// A generated client's read-compute-write, which knows nothing of
	// versions: GET the item, PUT it back with one less in stock.
	takeOne := func(ctx context.Context) error {
		get, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/items/1", nil)
		resp, err := hc.Do(get)
		if err != nil {
			return err
		}
		var item struct {
			Name  string `json:"name"`
			Stock int    `json:"stock"`
		}
		err = json.NewDecoder(resp.Body).Decode(&item)
		resp.Body.Close()
		if err != nil {
			return err
		}
		item.Stock--
		body, _ := json.Marshal(item)
		put, _ := http.NewRequestWithContext(ctx, http.MethodPut, srv.URL+"/items/1", bytes.NewReader(body))
		put.Header.Set("Content-Type", "application/json")
		resp, err = hc.Do(put)
		if err != nil {
			return err // a conflict: RetryOnConflict runs takeOne again
		}
		resp.Body.Close()
		return nil
	}

	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			if err := ifmatch.RetryOnConflict(context.Background(), c, takeOne); err != nil {
				fmt.Println(err)
			}
		})
	}
	wg.Wait()
	doc, _, _ := srv.Doc("/items/1")
	fmt.Println(string(doc))
	// Output: {"name":"lamp","stock":0}
}
