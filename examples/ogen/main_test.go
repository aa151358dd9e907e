package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/ifmatch/ifmatch"
	"github.com/ifmatch/ifmatch/examples/ogen/api"
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
	if !slices.Equal(o.final.Tags, []string{"blue", "metal"}) {
		t.Errorf("final tags = %v, want [blue metal]", o.final.Tags)
	}
	if o.lost() != 0 {
		t.Errorf("lost %d updates", o.lost())
	}
	if got, want := o.commits, int64(2*n); got != want {
		t.Errorf("server commits = %d, want %d (one per write)", got, want)
	}
}

// setup starts a server holding one item, and a generated client over the
// StandardClient of a fresh ifmatch.Client made with opts.
func setup(t *testing.T, opts ifmatch.Options) (*mockserver.Server, *api.Client, *ifmatch.Client) {
	t.Helper()
	srv := mockserver.New(mockserver.Options{})
	t.Cleanup(srv.Close)
	if _, err := srv.SetDoc("/items/"+sku, []byte(`{"sku":"sku-1","name":"Widget","stock":10,"tags":["blue"]}`)); err != nil {
		t.Fatal(err)
	}
	opts.HTTPClient = srv.Client()
	c := ifmatch.New(&opts)
	t.Cleanup(c.CloseIdleConnections)
	var hc *http.Client = c.StandardClient() // what SDKs that take an *http.Client are given
	items, err := newAPI(srv.URL, hc)
	if err != nil {
		t.Fatal(err)
	}
	return srv, items, c
}

// read GETs the item through the generated client.
func read(t *testing.T, ctx context.Context, items *api.Client) *api.ItemHeaders {
	t.Helper()
	got, err := items.GetItem(ctx, api.GetItemParams{Sku: sku})
	if err != nil {
		t.Fatal(err)
	}
	item, ok := got.(*api.ItemHeaders)
	if !ok {
		t.Fatalf("GET answered %T", got)
	}
	return item
}

// interfere writes the item as another process would, between a read and
// a write.
func interfere(t *testing.T, srv *mockserver.Server, doc string) {
	t.Helper()
	if _, err := srv.SetDoc("/items/"+sku, []byte(doc)); err != nil {
		t.Fatal(err)
	}
}

func stored(t *testing.T, srv *mockserver.Server) api.Item {
	t.Helper()
	doc, _, _ := srv.Doc("/items/" + sku)
	var it api.Item
	if err := json.Unmarshal(doc, &it); err != nil {
		t.Fatal(err)
	}
	return it
}

func TestMergePatchIsRebased(t *testing.T) {
	srv, items, c := setup(t, ifmatch.Options{})
	op := ifmatch.TrackVersions(context.Background())
	stock := read(t, op, items).Response.Stock - 1
	interfere(t, srv, `{"sku":"sku-1","name":"Renamed","stock":10,"tags":["blue"]}`)

	resp, err := items.PatchItem(op, &api.ItemPatch{Stock: api.NewOptInt(stock)}, api.PatchItemParams{Sku: sku})
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := resp.(*api.ItemHeaders); !ok || got.Response.Stock != 9 {
		t.Fatalf("PATCH answered %#v, want the item with stock 9", resp)
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

// A patch computed from what the operation read ({"stock": n-1}) is not
// rebased when the stock itself moved: the conflict reaches the caller
// through the generated client as an error errors.As finds.
func TestPatchOfAChangedFieldIsConflict(t *testing.T) {
	srv, items, _ := setup(t, ifmatch.Options{})
	op := ifmatch.TrackVersions(context.Background())
	stock := read(t, op, items).Response.Stock - 1
	interfere(t, srv, `{"sku":"sku-1","name":"Widget","stock":4,"tags":["blue"]}`)

	_, err := items.PatchItem(op, &api.ItemPatch{Stock: api.NewOptInt(stock)}, api.PatchItemParams{Sku: sku})
	var ce *ifmatch.ConflictError
	if !errors.As(err, &ce) || !errors.Is(err, ifmatch.ErrFieldsChanged) {
		t.Fatalf("PATCH error = %v, want a *ifmatch.ConflictError matching ErrFieldsChanged", err)
	}
	if got := stored(t, srv).Stock; got != 4 {
		t.Errorf("stored stock = %d, want 4 (never overwritten)", got)
	}
}

func TestThreeWayPutIsRebased(t *testing.T) {
	srv, items, c := setup(t, ifmatch.Options{ThreeWayPut: true})
	op := ifmatch.TrackVersions(context.Background())
	item := read(t, op, items).Response
	interfere(t, srv, `{"sku":"sku-1","name":"Widget","stock":7,"tags":["blue"]}`)

	item.Name = "Gadget"
	resp, err := items.PutItem(op, &item, api.PutItemParams{Sku: sku})
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := resp.(*api.PutItemOK); !ok || got.Response.Name != "Gadget" || got.Response.Stock != 7 {
		t.Fatalf("PUT answered %#v, want the merged item", resp)
	}
	if got := stored(t, srv); got.Name != "Gadget" || got.Stock != 7 {
		t.Errorf("stored %+v, want name Gadget and stock 7 (the concurrent change kept)", got)
	}
	if got := c.Stats().Rebases; got != 1 {
		t.Errorf("Rebases = %d, want 1", got)
	}
}

// Without ThreeWayPut, a PUT of a stale read is refused, never written
// over the newer version: the generated client gets an error matching
// ifmatch.ErrConflict that names the fix (RetryOnConflict).
func TestStalePutIsRefused(t *testing.T) {
	srv, items, _ := setup(t, ifmatch.Options{})
	op := ifmatch.TrackVersions(context.Background())
	item := read(t, op, items).Response
	interfere(t, srv, `{"sku":"sku-1","name":"Widget","stock":7,"tags":["blue"]}`)

	item.Name = "Gadget"
	resp, err := items.PutItem(op, &item, api.PutItemParams{Sku: sku})
	if !errors.Is(err, ifmatch.ErrConflict) || !strings.Contains(err.Error(), "RetryOnConflict") {
		t.Fatalf("PUT of a stale read: %#v, %v; want an error matching ErrConflict that names RetryOnConflict", resp, err)
	}
	if got := stored(t, srv); got.Name != "Widget" || got.Stock != 7 {
		t.Errorf("stored %+v, want the concurrent version untouched", got)
	}
}

// 16 goroutines decrement one item through the generated client: wrapped in
// RetryOnConflict, all land once; without a scope, none is lost and every
// failure names the fix.
func TestDecrements(t *testing.T) {
	for _, helper := range []bool{true, false} {
		srv := newServer()
		t.Cleanup(srv.Close)
		d, err := runDecrements(context.Background(), srv, 16, 10, helper)
		if err != nil {
			t.Fatal(err)
		}
		if d.lost() != 0 {
			t.Errorf("%s: stock %d, want %d: %d decrements lost silently or doubled", d.mode, d.final, d.startStock-d.ok, d.lost())
		}
		if helper && len(d.failed) > 0 {
			t.Errorf("%s: %d decrements failed with an error, first: %v", d.mode, len(d.failed), d.failed[0])
		}
		if d.unnamed() > 0 {
			t.Errorf("%s: %d failures do not name the fix", d.mode, d.unnamed())
		}
	}
}
