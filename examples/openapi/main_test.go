package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"testing"

	"github.com/ifmatch/ifmatch"
	"github.com/ifmatch/ifmatch/mockserver"
)

func TestConcurrentWritersLoseNothing(t *testing.T) {
	srv := newServer()
	t.Cleanup(srv.Close)
	const n = 30
	o, err := run(context.Background(), srv, n, true)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := o.final.Stock, 2*n-n; got != want {
		t.Errorf("final stock = %d, want %d", got, want)
	}
	if o.final.Name != o.wantName {
		t.Errorf("final name = %q, want %q", o.final.Name, o.wantName)
	}
	if o.final.Tags == nil || !slices.Equal(*o.final.Tags, []string{"blue", "metal"}) {
		t.Errorf("final tags = %v, want [blue metal]", o.final.Tags)
	}
	if o.lost() != 0 {
		t.Errorf("lost %d updates", o.lost())
	}
	if got, want := o.commits, int64(2*n); got != want {
		t.Errorf("server commits = %d, want %d (one per write)", got, want)
	}
}

// setup starts a server holding one item, and a generated client over a
// fresh ifmatch.Client made with opts.
func setup(t *testing.T, opts ifmatch.Options) (*mockserver.Server, *ClientWithResponses, *ifmatch.Client) {
	t.Helper()
	srv := mockserver.New(mockserver.Options{})
	t.Cleanup(srv.Close)
	if _, err := srv.SetDoc("/items/"+sku, []byte(`{"sku":"sku-1","name":"Widget","stock":10,"tags":["blue"]}`)); err != nil {
		t.Fatal(err)
	}
	opts.HTTPClient = srv.Client()
	c := ifmatch.New(&opts)
	api, err := NewClientWithResponses(srv.URL, WithHTTPClient(c))
	if err != nil {
		t.Fatal(err)
	}
	return srv, api, c
}

// read GETs the item through the generated client.
func read(t *testing.T, api *ClientWithResponses) *GetItemResponse {
	t.Helper()
	got, err := api.GetItemWithResponse(context.Background(), sku)
	if err != nil {
		t.Fatal(err)
	}
	if got.JSON200 == nil {
		t.Fatalf("GET: %s", got.Status())
	}
	return got
}

// interfere writes the item as another process would, between a read and
// a write.
func interfere(t *testing.T, srv *mockserver.Server, doc string) {
	t.Helper()
	if _, err := srv.SetDoc("/items/"+sku, []byte(doc)); err != nil {
		t.Fatal(err)
	}
}

func stored(t *testing.T, srv *mockserver.Server) Item {
	t.Helper()
	doc, _, _ := srv.Doc("/items/" + sku)
	var it Item
	if err := json.Unmarshal(doc, &it); err != nil {
		t.Fatal(err)
	}
	return it
}

func TestMergePatchIsRebased(t *testing.T) {
	srv, api, c := setup(t, ifmatch.Options{})
	stock := read(t, api).JSON200.Stock - 1
	interfere(t, srv, `{"sku":"sku-1","name":"Renamed","stock":10,"tags":["blue"]}`)

	resp, err := api.PatchItemWithApplicationMergePatchPlusJSONBodyWithResponse(context.Background(), sku, nil, ItemPatch{Stock: &stock})
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode() != http.StatusOK {
		t.Fatalf("PATCH status = %d, want 200", resp.StatusCode())
	}
	if got := stored(t, srv); got.Name != "Renamed" || got.Stock != 9 {
		t.Errorf("stored %+v, want name Renamed and stock 9", got)
	}
	if got := c.Stats().Rebases; got != 1 {
		t.Errorf("Rebases = %d, want 1", got)
	}
	if got := srv.Stats().Requests["PATCH 412"]; got != 1 {
		t.Errorf("PATCH 412 answers = %d, want 1", got)
	}
}

func TestThreeWayPutIsRebased(t *testing.T) {
	srv, api, c := setup(t, ifmatch.Options{ThreeWayPut: true})
	item := *read(t, api).JSON200
	interfere(t, srv, `{"sku":"sku-1","name":"Widget","stock":7,"tags":["blue"]}`)

	item.Name = "Gadget"
	resp, err := api.PutItemWithResponse(context.Background(), sku, nil, item)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode() != http.StatusOK {
		t.Fatalf("PUT status = %d, want 200", resp.StatusCode())
	}
	if got := stored(t, srv); got.Name != "Gadget" || got.Stock != 7 {
		t.Errorf("stored %+v, want name Gadget and stock 7 (the concurrent change kept)", got)
	}
	if got := resp.JSON200; got == nil || got.Name != "Gadget" || got.Stock != 7 {
		t.Errorf("PUT answered %+v, want the merged item", got)
	}
	if got := c.Stats().Rebases; got != 1 {
		t.Errorf("Rebases = %d, want 1", got)
	}
}

func TestThreeWayPutSameFieldIsConflict(t *testing.T) {
	srv, api, _ := setup(t, ifmatch.Options{ThreeWayPut: true})
	item := *read(t, api).JSON200
	interfere(t, srv, `{"sku":"sku-1","name":"Theirs","stock":10,"tags":["blue"]}`)

	item.Name = "Ours"
	_, err := api.PutItemWithResponse(context.Background(), sku, nil, item)
	var ce *ifmatch.ConflictError
	if !errors.As(err, &ce) {
		t.Fatalf("PUT error = %v, want a *ifmatch.ConflictError", err)
	}
	if !errors.Is(err, ifmatch.ErrMergeConflict) || !slices.Equal(ce.Pointers, []string{"/name"}) {
		t.Errorf("conflict = %v, pointers %v; want ErrMergeConflict on [/name]", err, ce.Pointers)
	}
	if got := stored(t, srv).Name; got != "Theirs" {
		t.Errorf("stored name = %q, want Theirs (never overwritten)", got)
	}
}

// A caller that sends the ETag it read as If-Match states its own
// precondition: Do sends it verbatim and returns a stale one as a 412
// answer, for the caller to handle.
func TestExplicitIfMatchIsKept(t *testing.T) {
	srv, api, c := setup(t, ifmatch.Options{ThreeWayPut: true})
	got := read(t, api)
	if got.Headers200 == nil || got.Headers200.ETag == nil {
		t.Fatal("GET answer has no ETag")
	}
	etag := *got.Headers200.ETag
	if _, want, _ := srv.Doc("/items/" + sku); etag != want {
		t.Fatalf("Headers200.ETag = %s, want %s verbatim", etag, want)
	}
	interfere(t, srv, `{"sku":"sku-1","name":"Widget","stock":3,"tags":["blue"]}`)

	stock := got.JSON200.Stock - 1
	resp, err := api.PatchItemWithApplicationMergePatchPlusJSONBodyWithResponse(context.Background(), sku,
		&PatchItemParams{IfMatch: &etag}, ItemPatch{Stock: &stock})
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode() != http.StatusPreconditionFailed {
		t.Errorf("PATCH with a stale If-Match: status %d, want 412", resp.StatusCode())
	}
	if got := stored(t, srv).Stock; got != 3 {
		t.Errorf("stored stock = %d, want 3 (untouched)", got)
	}
	if got := c.Stats().Rebases; got != 0 {
		t.Errorf("Rebases = %d, want 0", got)
	}
}
