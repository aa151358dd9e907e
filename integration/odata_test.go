package integration

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ifmatch/ifmatch"
)

// An OData V4 service, SAP CAP (scripts/peers/odata.sh): weak ETags from
// the modification time, 428 for a write without If-Match, merge patches
// as application/json only, a PUT that keeps the properties it omits, and
// write answers carrying the stored entity with its annotations. The
// settings a user needs: MergePatchContentType for SendPatch; nothing else.

// odataOptions is how a user configures ifmatch for an OData V4 service.
func odataOptions(hc *http.Client) ifmatch.Options {
	return ifmatch.Options{HTTPClient: hc, PatchStrategy: ifmatch.SendPatch, MergePatchContentType: "application/json"}
}

// odataEntity creates a new entity with body and returns its URL.
func odataEntity(t *testing.T, ctx context.Context, body string) string {
	t.Helper()
	url := peerURL(t, "ODATA_URL") + "('" + uniqueName(t) + "')"
	c := ifmatch.New(&ifmatch.Options{HTTPClient: plainClient(t)})
	if _, err := c.Create(ctx, url, []byte(body)); err != nil {
		t.Fatalf("Create %s: %v", url, err)
	}
	return url
}

// odataCounter is the counter entity's data.
type odataCounter struct {
	N int `json:"n"`
}

// 8 independent Clients increment one entity 25 times each through Update,
// Modify, and MergePatch sent as PATCH: every increment lands exactly once.
func TestODataCounter(t *testing.T) {
	const clients, perClient = 8, 25
	incr := []struct {
		name string
		fn   func(ctx context.Context, c *ifmatch.Client, url string) error
	}{
		{"Update", func(ctx context.Context, c *ifmatch.Client, url string) error {
			_, err := c.Update(ctx, url, func(cur []byte) ([]byte, error) {
				var m map[string]any
				if err := json.Unmarshal(cur, &m); err != nil {
					return nil, err
				}
				// Annotations and server-managed fields go back as they
				// came; the service ignores them.
				m["n"] = m["n"].(float64) + 1
				return json.Marshal(m)
			})
			return err
		}},
		{"Modify", func(ctx context.Context, c *ifmatch.Client, url string) error {
			_, err := ifmatch.Modify(ctx, c, url, func(d *odataCounter) error { d.N++; return nil })
			return err
		}},
		{"MergePatch SendPatch", func(ctx context.Context, c *ifmatch.Client, url string) error {
			// A patch computed from what was read: sent on that version
			// (TrackVersions), read again when n changed since.
			for range counterMaxAttempts {
				op := ifmatch.TrackVersions(ctx)
				resp, err := c.Get(op, url)
				if err != nil {
					return err
				}
				var d odataCounter
				if err := json.Unmarshal(resp.Body, &d); err != nil {
					return err
				}
				_, err = c.MergePatch(op, url, fmt.Appendf(nil, `{"n":%d}`, d.N+1))
				if !errors.Is(err, ifmatch.ErrFieldsChanged) {
					return err
				}
			}
			return errors.New("n changed under every read")
		}},
	}
	for _, tt := range incr {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testContext(t)
			url := odataEntity(t, ctx, `{"n":0,"note":"counter"}`)
			cnt := newCounter(loopbackTransport(t))
			f := runCounter(ctx, clients, perClient, odataOptions(nil), cnt,
				func(ctx context.Context, c *ifmatch.Client) error { return tt.fn(ctx, c, url) })
			d := readDoc(t, ctx, plainClient(t), url)
			final, _ := d["n"].(float64)
			f.check(t, "odata "+tt.name, clients*perClient, int(final), cnt)
			if d["note"] != "counter" {
				t.Errorf("note = %v, want it kept", d["note"])
			}
		})
	}
}

// The service stores something other than what a write sends: after a PUT
// of {"n":5}, it holds the omitted note and a new modifiedAt. The next
// Update's function sees that, not the body sent.
func TestODataStoredDocument(t *testing.T) {
	ctx := testContext(t)
	url := odataEntity(t, ctx, `{"n":1,"note":"kept"}`)
	c := ifmatch.New(&ifmatch.Options{HTTPClient: plainClient(t)})
	if _, err := c.Get(ctx, url); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Put(ctx, url, []byte(`{"n":5}`)); err != nil {
		t.Fatalf("Put: %v", err)
	}
	var first map[string]any
	_, err := c.Update(ctx, url, func(cur []byte) ([]byte, error) {
		if first == nil {
			if err := json.Unmarshal(cur, &first); err != nil {
				return nil, err
			}
		}
		return nil, ifmatch.ErrNoChange
	})
	if err != nil {
		t.Fatal(err)
	}
	stored := readDoc(t, ctx, plainClient(t), url)
	for _, k := range []string{"n", "note", "modifiedAt", "@odata.etag"} {
		if fmt.Sprint(first[k]) != fmt.Sprint(stored[k]) {
			t.Errorf("Update saw %s = %v, the service holds %v", k, first[k], stored[k])
		}
	}
}

// Do with nothing cached: the service's 428 is answered by reading the
// version and sending the request again with it.
func TestODataDoPreconditionRequired(t *testing.T) {
	for _, method := range []string{http.MethodPatch, http.MethodDelete} {
		t.Run(method, func(t *testing.T) {
			ctx := testContext(t)
			url := odataEntity(t, ctx, `{"n":1}`)
			cnt := newCounter(loopbackTransport(t))
			c := ifmatch.New(&ifmatch.Options{HTTPClient: &http.Client{Transport: cnt}})
			var body *strings.Reader
			if method == http.MethodPatch {
				body = strings.NewReader(`{"n":2}`)
			} else {
				body = strings.NewReader("")
			}
			req, _ := http.NewRequestWithContext(ctx, method, url, body)
			req.Header.Set("Content-Type", "application/json")
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode/100 != 2 || cnt.count(method+" 428") != 1 {
				t.Errorf("%s: %d, requests %s; want a 428, a read, then 2xx", method, resp.StatusCode, cnt)
			}
		})
	}
}

// MergePatch with the RFC media type meets the service's 415: the setting
// is needed, and its absence is a *ResponseError, not a retry loop.
func TestODataMergePatchMediaType(t *testing.T) {
	ctx := testContext(t)
	url := odataEntity(t, ctx, `{"n":1}`)
	c := ifmatch.New(&ifmatch.Options{HTTPClient: plainClient(t), PatchStrategy: ifmatch.SendPatch})
	_, err := c.MergePatch(ctx, url, []byte(`{"n":2}`))
	var re *ifmatch.ResponseError
	if !errors.As(err, &re) || re.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("MergePatch as application/merge-patch+json: %v, want a 415", err)
	}
	c = ifmatch.New(&ifmatch.Options{HTTPClient: plainClient(t), PatchStrategy: ifmatch.SendPatch, MergePatchContentType: "application/json"})
	if _, err := c.MergePatch(ctx, url, []byte(`{"n":2}`)); err != nil {
		t.Fatalf("MergePatch as application/json: %v", err)
	}
	if d := readDoc(t, ctx, plainClient(t), url); d["n"] != 2.0 {
		t.Errorf("n = %v, want 2", d["n"])
	}
}

// SAP CAP answers a Create (If-None-Match: *) of an entity that exists
// with a 500: after the transport retries, Create reports the outcome as
// unknown, with the 500 inside, as the README says.
func TestODataCreateExisting(t *testing.T) {
	ctx := testContext(t)
	url := odataEntity(t, ctx, `{"n":1}`)
	c := ifmatch.New(&ifmatch.Options{HTTPClient: plainClient(t), RetryWaitMin: time.Millisecond, RetryWaitMax: 5 * time.Millisecond})
	_, err := c.Create(ctx, url, []byte(`{"n":2}`))
	var re *ifmatch.ResponseError
	if !errors.Is(err, ifmatch.ErrOutcomeUnknown) || !errors.As(err, &re) || re.StatusCode != http.StatusInternalServerError {
		t.Errorf("Create of an existing entity: %v, want ErrOutcomeUnknown holding a 500", err)
	}
	if d := readDoc(t, ctx, plainClient(t), url); d["n"] != 1.0 {
		t.Errorf("n = %v, want 1: the entity was overwritten", d["n"])
	}
}
