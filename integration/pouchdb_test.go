package integration

import (
	"context"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/ifmatch/ifmatch"
)

// pouchdb-server speaks the CouchDB API: the version is "_rev" in the body
// (or ?rev=), a stale or missing one is a 409, and If-Match is ignored. So
// the Client is told where the version lives (VersionField, VersionParam).
// A write's answer is {"ok":true,"id":...,"rev":...}, not the document, so
// the Client forgets the version and reads the document again before the
// next write.

// pouchOptions is how a domain SDK for CouchDB would configure ifmatch.
func pouchOptions(hc *http.Client) *ifmatch.Options {
	return &ifmatch.Options{HTTPClient: hc, VersionField: "/_rev", VersionParam: "rev", VersionInAnswer: "/rev"}
}

// pouchDoc returns the URL of a new, unique document id in the occ
// database.
func pouchDoc(t *testing.T) string {
	t.Helper()
	return peerURL(t, "POUCHDB_URL") + "/" + uniqueName(t)
}

func newPouchClient(t *testing.T) (*ifmatch.Client, *counter) {
	cnt := newCounter(loopbackTransport(t))
	return ifmatch.New(pouchOptions(&http.Client{Transport: cnt})), cnt
}

// pouchExternalUpdate changes the document as another program would: it
// reads the current _rev and writes with it.
func pouchExternalUpdate(t *testing.T, ctx context.Context, hc *http.Client, url string, set map[string]any) {
	t.Helper()
	d := readDoc(t, ctx, hc, url)
	if d == nil {
		t.Fatalf("external update: no document at %s", url)
	}
	for k, v := range set {
		d[k] = v
	}
	externalPut(t, ctx, hc, url, mustJSON(t, d))
}

// withoutMeta drops CouchDB's _id and _rev from a document.
func withoutMeta(d map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range d {
		if !strings.HasPrefix(k, "_") {
			out[k] = v
		}
	}
	return out
}

// pouchCounter is the counter document: the version travels in Rev.
type pouchCounter struct {
	ID  string `json:"_id,omitempty"`
	Rev string `json:"_rev,omitempty"`
	N   int    `json:"n"`
}

// 16 independent Clients increment one counter 50 times each with Modify:
// every increment must land exactly once.
func TestPouchDBCounter(t *testing.T) {
	const clients, perClient = 16, 50
	ctx := testContext(t)
	url := pouchDoc(t)
	hc := plainClient(t)
	externalPut(t, ctx, hc, url, []byte(`{"n":0}`))

	cnt := newCounter(loopbackTransport(t))
	f := runCounter(ctx, clients, perClient, *pouchOptions(nil), cnt,
		func(ctx context.Context, c *ifmatch.Client) error {
			_, err := ifmatch.Modify(ctx, c, url, func(d *pouchCounter) error {
				d.N++
				return nil
			})
			return err
		})
	d := readDoc(t, ctx, hc, url)
	final, _ := d["n"].(float64)
	f.check(t, "pouchdb", clients*perClient, int(final), cnt)
	if rev, _ := d["_rev"].(string); !strings.HasPrefix(rev, "801-") {
		t.Errorf("_rev = %q, want generation 801 (one create and 800 updates)", rev)
	}
}

// A typed document whose struct carries the version: Modify reads _rev into
// it, writes it back, and keeps fields the struct does not declare.
func TestPouchDBModifyTyped(t *testing.T) {
	type item struct {
		ID   string `json:"_id,omitempty"`
		Rev  string `json:"_rev"`
		Name string `json:"name"`
		N    int    `json:"n"`
	}
	ctx := testContext(t)
	url := pouchDoc(t)
	c, _ := newPouchClient(t)
	hc := plainClient(t)
	create(t, ctx, c, url, []byte(`{"name":"a","n":1,"keep":"x"}`))

	var sawRev string
	got, err := ifmatch.Modify(ctx, c, url, func(it *item) error {
		sawRev = it.Rev
		it.Name, it.N = "b", it.N+1
		return nil
	})
	if err != nil {
		t.Fatalf("Modify: %v", err)
	}
	if !strings.HasPrefix(sawRev, "1-") {
		t.Errorf("mutate saw _rev %q, want the first revision", sawRev)
	}
	d := readDoc(t, ctx, hc, url)
	if want := map[string]any{"name": "b", "n": 2.0, "keep": "x"}; !reflect.DeepEqual(withoutMeta(d), want) {
		t.Errorf("server holds %v, want %v", d, want)
	}
	if rev, _ := d["_rev"].(string); !strings.HasPrefix(rev, "2-") {
		t.Errorf("_rev = %q, want the second revision", rev)
	}
	// Modify returns the committed value.
	if got == nil || got.Name != "b" || got.N != 2 {
		t.Errorf("Modify returned %+v, want name b and n 2 (the committed value)", got)
	}

	// Another program writes; Modify's stale write is refused (409) and
	// rebased onto it.
	pouchExternalUpdate(t, ctx, hc, url, map[string]any{"external": true})
	if _, err := ifmatch.Modify(ctx, c, url, func(it *item) error { it.N += 10; return nil }); err != nil {
		t.Fatalf("Modify after an external write: %v", err)
	}
	if want := map[string]any{"name": "b", "n": 12.0, "keep": "x", "external": true}; !reflect.DeepEqual(withoutMeta(readDoc(t, ctx, hc, url)), want) {
		t.Errorf("after the rebase the server holds %v, want %v", readDoc(t, ctx, hc, url), want)
	}
}

// A merge patch rebased over an external writer, in body-version mode.
func TestPouchDBMergePatchRebases(t *testing.T) {
	ctx := testContext(t)
	url := pouchDoc(t)
	c, cnt := newPouchClient(t)
	hc := plainClient(t)
	create(t, ctx, c, url, []byte(`{"n":1}`))
	if _, err := c.Get(ctx, url); err != nil {
		t.Fatal(err)
	}
	pouchExternalUpdate(t, ctx, hc, url, map[string]any{"external": "set"})
	if _, err := c.MergePatch(ctx, url, []byte(`{"mine":"set"}`)); err != nil {
		t.Fatalf("MergePatch after an external write: %v", err)
	}
	if want := map[string]any{"n": 1.0, "external": "set", "mine": "set"}; !reflect.DeepEqual(withoutMeta(readDoc(t, ctx, hc, url)), want) {
		t.Errorf("server holds %v, want %v", readDoc(t, ctx, hc, url), want)
	}
	if cnt.count("PUT 409") < 1 {
		t.Errorf("no stale write was refused, so nothing was rebased (requests: %s)", cnt)
	}
}

func TestPouchDBCreateExistingConflicts(t *testing.T) {
	ctx := testContext(t)
	url := pouchDoc(t)
	a, _ := newPouchClient(t)
	b, _ := newPouchClient(t)
	create(t, ctx, a, url, []byte(`{"owner":"a"}`))
	_, err := b.Create(ctx, url, []byte(`{"owner":"b"}`))
	wantConflict(t, "Create of an existing document", err, http.StatusConflict)
	if got := withoutMeta(readDoc(t, ctx, plainClient(t), url)); !reflect.DeepEqual(got, map[string]any{"owner": "a"}) {
		t.Errorf("server holds %v, want owner a", got)
	}
}

func TestPouchDBDeleteStaleRefused(t *testing.T) {
	ctx := testContext(t)
	url := pouchDoc(t)
	c, _ := newPouchClient(t)
	hc := plainClient(t)
	create(t, ctx, c, url, []byte(`{"n":1}`))
	if _, err := c.Get(ctx, url); err != nil {
		t.Fatal(err)
	}
	pouchExternalUpdate(t, ctx, hc, url, map[string]any{"n": 2})

	_, err := c.Delete(ctx, url)
	wantConflict(t, "Delete with a stale _rev", err, http.StatusConflict)
	if got := withoutMeta(readDoc(t, ctx, hc, url)); !reflect.DeepEqual(got, map[string]any{"n": 2.0}) {
		t.Errorf("server holds %v, want n 2", got)
	}

	if _, err := c.Get(ctx, url); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Delete(ctx, url); err != nil {
		t.Fatalf("Delete of the current revision: %v", err)
	}
	if got := readDoc(t, ctx, hc, url); got != nil {
		t.Errorf("after Delete the server still holds %v", got)
	}
}
