package integration

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"reflect"
	"strconv"
	"testing"

	"github.com/ifmatch/ifmatch"
)

// lighttpd with mod_webdav: strong ETags, 412 on a stale If-Match or on
// If-None-Match: * over an existing file; only PUT writes (PATCH is 501), so
// only the default ApplyLocally strategy works.

// create writes the first version of a document through c.
func create(t *testing.T, ctx context.Context, c *ifmatch.Client, url string, doc []byte) {
	t.Helper()
	resp, err := c.Create(ctx, url, doc)
	if err != nil {
		t.Fatalf("Create %s: %v", url, err)
	}
	if resp.StatusCode/100 != 2 {
		t.Fatalf("Create %s: status %d", url, resp.StatusCode)
	}
}

// wantConflict fails the test unless err is an ErrConflict whose
// *ConflictError has the given status.
func wantConflict(t *testing.T, what string, err error, status int) {
	t.Helper()
	if !errors.Is(err, ifmatch.ErrConflict) {
		t.Fatalf("%s: err = %v, want ErrConflict", what, err)
	}
	var ce *ifmatch.ConflictError
	if !errors.As(err, &ce) {
		t.Fatalf("%s: err = %T (%v), want a *ConflictError", what, err, err)
	}
	if ce.StatusCode != status {
		t.Errorf("%s: ConflictError.StatusCode = %d, want %d (%v)", what, ce.StatusCode, status, err)
	}
}

// wantDoc fails the test unless the server holds want at url (read with a
// plain GET).
func wantDoc(t *testing.T, ctx context.Context, hc *http.Client, url string, want map[string]any) {
	t.Helper()
	got := readDoc(t, ctx, hc, url)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("server holds %v, want %v", got, want)
	}
}

func TestLighttpdChanges(t *testing.T) {
	type doc struct {
		N    int      `json:"n"`
		Tags []string `json:"tags,omitempty"`
	}
	tests := []struct {
		name   string
		change func(ctx context.Context, c *ifmatch.Client, url string) error
		want   map[string]any
	}{{
		name: "Patch",
		change: func(ctx context.Context, c *ifmatch.Client, url string) error {
			_, err := c.Patch(ctx, url, []byte(`[{"op":"test","path":"/n","value":1},{"op":"replace","path":"/n","value":2},{"op":"add","path":"/tags/-","value":"b"}]`))
			return err
		},
		want: map[string]any{"n": 2.0, "tags": []any{"a", "b"}, "keep": true},
	}, {
		name: "MergePatch",
		change: func(ctx context.Context, c *ifmatch.Client, url string) error {
			_, err := c.MergePatch(ctx, url, []byte(`{"n":3,"tags":null,"added":"x"}`))
			return err
		},
		want: map[string]any{"n": 3.0, "keep": true, "added": "x"},
	}, {
		name: "Update",
		change: func(ctx context.Context, c *ifmatch.Client, url string) error {
			_, err := c.Update(ctx, url, func(cur []byte) ([]byte, error) {
				var m map[string]any
				if err := json.Unmarshal(cur, &m); err != nil {
					return nil, err
				}
				m["n"] = m["n"].(float64) + 10
				delete(m, "keep")
				return json.Marshal(m)
			})
			return err
		},
		want: map[string]any{"n": 11.0, "tags": []any{"a"}},
	}, {
		name: "Modify",
		change: func(ctx context.Context, c *ifmatch.Client, url string) error {
			got, err := ifmatch.Modify(ctx, c, url, func(d *doc) error {
				d.N = 4
				d.Tags = append(d.Tags, "c")
				return nil
			})
			if err == nil && (got.N != 4 || !reflect.DeepEqual(got.Tags, []string{"a", "c"})) {
				return fmt.Errorf("Modify returned %+v, want n 4 and tags [a c]", *got)
			}
			return err
		},
		// "keep" is not a field of doc: Modify keeps it.
		want: map[string]any{"n": 4.0, "tags": []any{"a", "c"}, "keep": true},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testContext(t)
			url := lighttpd.doc(t)
			c, cnt := lighttpd.client(t)
			create(t, ctx, c, url, []byte(`{"n":1,"tags":["a"],"keep":true}`))
			if err := tt.change(ctx, c, url); err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			wantDoc(t, ctx, plainClient(t), url, tt.want)
			if n := cnt.count("PUT 412"); n != 0 {
				t.Errorf("%d stale writes with no other writer (requests: %s)", n, cnt)
			}
		})
	}
}

// An external writer commits between the Client's read and its write: the
// Client's stale write is refused (412) and its change is applied again on
// top of the external one.
func TestLighttpdRebasesOverExternalWriter(t *testing.T) {
	type doc struct {
		Mine string `json:"mine"`
	}
	tests := []struct {
		name   string
		change func(ctx context.Context, c *ifmatch.Client, url string) error
	}{{
		name: "Patch",
		change: func(ctx context.Context, c *ifmatch.Client, url string) error {
			_, err := c.Patch(ctx, url, []byte(`[{"op":"add","path":"/mine","value":"set"}]`))
			return err
		},
	}, {
		name: "MergePatch",
		change: func(ctx context.Context, c *ifmatch.Client, url string) error {
			_, err := c.MergePatch(ctx, url, []byte(`{"mine":"set"}`))
			return err
		},
	}, {
		name: "Update",
		change: func(ctx context.Context, c *ifmatch.Client, url string) error {
			_, err := c.Update(ctx, url, func(cur []byte) ([]byte, error) {
				var m map[string]any
				if err := json.Unmarshal(cur, &m); err != nil {
					return nil, err
				}
				m["mine"] = "set"
				return json.Marshal(m)
			})
			return err
		},
	}, {
		name: "Modify",
		change: func(ctx context.Context, c *ifmatch.Client, url string) error {
			_, err := ifmatch.Modify(ctx, c, url, func(d *doc) error {
				d.Mine = "set"
				return nil
			})
			return err
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testContext(t)
			url := lighttpd.doc(t)
			c, cnt := lighttpd.client(t)
			hc := plainClient(t)
			create(t, ctx, c, url, []byte(`{"n":1}`))
			if _, err := c.Get(ctx, url); err != nil {
				t.Fatal(err)
			}
			externalPut(t, ctx, hc, url, []byte(`{"n":1,"external":"set"}`))

			if err := tt.change(ctx, c, url); err != nil {
				t.Fatalf("%s after an external write: %v", tt.name, err)
			}
			wantDoc(t, ctx, hc, url, map[string]any{"n": 1.0, "external": "set", "mine": "set"})
			if cnt.count("PUT 412") < 1 {
				t.Errorf("no stale write was refused, so nothing was rebased (requests: %s)", cnt)
			}
		})
	}
}

func TestLighttpdPutAfterExternalChangeRefused(t *testing.T) {
	ctx := testContext(t)
	url := lighttpd.doc(t)
	c, _ := lighttpd.client(t)
	hc := plainClient(t)
	create(t, ctx, c, url, []byte(`{"n":1}`))
	if _, err := c.Get(ctx, url); err != nil {
		t.Fatal(err)
	}
	externalPut(t, ctx, hc, url, []byte(`{"n":2,"external":true}`))

	_, err := c.Put(ctx, url, []byte(`{"n":100}`))
	wantConflict(t, "Put over an external change", err, http.StatusPreconditionFailed)
	wantDoc(t, ctx, hc, url, map[string]any{"n": 2.0, "external": true})

	// The refused version is forgotten: a second Put must not guess one.
	if _, err := c.Put(ctx, url, []byte(`{"n":100}`)); !errors.Is(err, ifmatch.ErrNoVersion) {
		t.Errorf("Put after the conflict: err = %v, want ErrNoVersion", err)
	}
	// Read again, and the same Put is accepted.
	if _, err := c.Get(ctx, url); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Put(ctx, url, []byte(`{"n":100}`)); err != nil {
		t.Fatalf("Put after a fresh Get: %v", err)
	}
	wantDoc(t, ctx, hc, url, map[string]any{"n": 100.0})
}

func TestLighttpdDeleteStaleRefused(t *testing.T) {
	ctx := testContext(t)
	url := lighttpd.doc(t)
	c, _ := lighttpd.client(t)
	hc := plainClient(t)
	create(t, ctx, c, url, []byte(`{"n":1}`))
	externalPut(t, ctx, hc, url, []byte(`{"n":2}`))

	_, err := c.Delete(ctx, url)
	wantConflict(t, "Delete of a stale version", err, http.StatusPreconditionFailed)
	wantDoc(t, ctx, hc, url, map[string]any{"n": 2.0})

	if _, err := c.Get(ctx, url); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Delete(ctx, url); err != nil {
		t.Fatalf("Delete of the current version: %v", err)
	}
	if got := readDoc(t, ctx, hc, url); got != nil {
		t.Errorf("after Delete the server still holds %v", got)
	}
}

// counterDoc is the counter document on lighttpd and Apache.
type counterDoc struct {
	N int `json:"n"`
}

// incrementAtRandom adds one to the counter at url with Update or Modify,
// chosen at random.
func incrementAtRandom(url string) func(context.Context, *ifmatch.Client) error {
	return func(ctx context.Context, c *ifmatch.Client) error {
		if rand.N(2) == 0 {
			_, err := c.Update(ctx, url, func(cur []byte) ([]byte, error) {
				var d counterDoc
				if err := json.Unmarshal(cur, &d); err != nil {
					return nil, err
				}
				return []byte(`{"n":` + strconv.Itoa(d.N+1) + `}`), nil
			})
			return err
		}
		_, err := ifmatch.Modify(ctx, c, url, func(d *counterDoc) error {
			d.N++
			return nil
		})
		return err
	}
}

// 16 independent Clients increment one counter 50 times each, each time
// with Update or Modify at random: every increment must land exactly once.
func TestLighttpdCounter(t *testing.T) {
	const clients, perClient = 16, 50
	ctx := testContext(t)
	url := lighttpd.doc(t)
	hc := plainClient(t)
	externalPut(t, ctx, hc, url, []byte(`{"n":0}`))

	cnt := newCounter(loopbackTransport(t))
	f := runCounter(ctx, clients, perClient, ifmatch.Options{}, cnt,
		incrementAtRandom(url))
	final, _ := readDoc(t, ctx, hc, url)["n"].(float64)
	f.check(t, "lighttpd", clients*perClient, int(final), cnt)
}
