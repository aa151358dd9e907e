package integration

import (
	"context"
	"net/http"
	"reflect"
	"testing"

	"github.com/ifmatch/ifmatch"
	"github.com/ifmatch/ifmatch/mockserver"
)

// ifmatch relies on the server to refuse a stale write. A server that
// ignores If-Match lets the last writer win, and no client can prevent the
// lost update. These tests show it, and show the check that tells such a
// server apart.

// startMock starts a mockserver on loopback for the test.
func startMock(t *testing.T, opts mockserver.Options) *mockserver.Server {
	srv := mockserver.New(opts)
	t.Cleanup(srv.Close)
	return srv
}

// A deliberately stale write: Get with client A, an external change, Put
// with client A. A correct server refuses it; one that ignores If-Match
// takes it and the external change is lost.
func TestServerIgnoringIfMatchLosesUpdates(t *testing.T) {
	tests := []struct {
		name        string
		opts        mockserver.Options
		wantRefused bool
	}{
		{"honors If-Match", mockserver.Options{}, true},
		{"ignores If-Match", mockserver.Options{IgnorePreconditions: true}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testContext(t)
			srv := startMock(t, tt.opts)
			url := srv.URL + "/" + uniqueName(t)
			hc := plainClient(t)
			externalPut(t, ctx, hc, url, []byte(`{"n":1}`))
			a := ifmatch.New(&ifmatch.Options{HTTPClient: plainClient(t)})
			if _, err := a.Get(ctx, url); err != nil {
				t.Fatal(err)
			}
			externalPut(t, ctx, hc, url, []byte(`{"n":1,"external":true}`))

			_, err := a.Put(ctx, url, []byte(`{"n":2}`))
			got := readDoc(t, ctx, hc, url)
			if tt.wantRefused {
				wantConflict(t, "stale Put", err, http.StatusPreconditionFailed)
				if want := map[string]any{"n": 1.0, "external": true}; !reflect.DeepEqual(got, want) {
					t.Errorf("server holds %v, want the external change %v", got, want)
				}
				return
			}
			if err != nil {
				t.Fatalf("stale Put on a server that ignores If-Match: %v, want it accepted", err)
			}
			// The lost update ifmatch cannot prevent on such a server.
			if want := map[string]any{"n": 2.0}; !reflect.DeepEqual(got, want) {
				t.Errorf("server holds %v, want %v (the external change overwritten)", got, want)
			}
			t.Logf("server ignoring If-Match: the stale Put was accepted and the external change lost: %v", got)
		})
	}
}

// ifMatchProbe is the documented check: on a scratch resource, a PUT with
// an If-Match that cannot match must be refused with 412. A 2xx means the
// server ignores If-Match. It returns the probe's status.
func ifMatchProbe(t *testing.T, ctx context.Context, hc *http.Client, url string, body []byte) int {
	t.Helper()
	status, _, b := plainDo(t, ctx, hc, http.MethodPut, url,
		http.Header{"If-Match": {`"definitely-not-current"`}}, body)
	if len(b) > 100 {
		b = append(b[:100], "..."...)
	}
	t.Logf("PUT %s with If-Match: \"definitely-not-current\": %d %q", url, status, b)
	return status
}

func TestDetectServerIgnoringIfMatch(t *testing.T) {
	type server struct {
		name string
		// url returns a scratch resource that exists, and the body of the
		// probe's PUT.
		setup        func(t *testing.T, ctx context.Context, hc *http.Client) (url string, body []byte)
		wantHonoured bool
	}
	scratch := func(base func(t *testing.T) string, suffix string) func(*testing.T, context.Context, *http.Client) (string, []byte) {
		return func(t *testing.T, ctx context.Context, hc *http.Client) (string, []byte) {
			url := base(t) + "/" + uniqueName(t) + suffix
			externalPut(t, ctx, hc, url, []byte(`{"probe":1}`))
			return url, []byte(`{"probe":2}`)
		}
	}
	mock := func(opts mockserver.Options) func(*testing.T) string {
		return func(t *testing.T) string { return startMock(t, opts).URL }
	}
	servers := []server{{
		name:         "mockserver",
		setup:        scratch(mock(mockserver.Options{}), ""),
		wantHonoured: true,
	}, {
		name:         "mockserver IgnorePreconditions",
		setup:        scratch(mock(mockserver.Options{IgnorePreconditions: true}), ""),
		wantHonoured: false,
	}, {
		name:         "lighttpd",
		setup:        scratch(func(t *testing.T) string { return peerURL(t, "LIGHTTPD_URL") }, ".json"),
		wantHonoured: true,
	}, {
		name:         "apache",
		setup:        scratch(func(t *testing.T) string { return peerURL(t, "APACHE_URL") }, ".json"),
		wantHonoured: true,
	}, {
		// CouchDB's version is _rev; the probe sends the current one in the
		// body, so that only If-Match can refuse the write. It does not.
		name: "pouchdb-server",
		setup: func(t *testing.T, ctx context.Context, hc *http.Client) (string, []byte) {
			url := peerURL(t, "POUCHDB_URL") + "/" + uniqueName(t)
			externalPut(t, ctx, hc, url, []byte(`{"probe":1}`))
			d := readDoc(t, ctx, hc, url)
			d["probe"] = 2
			return url, mustJSON(t, d)
		},
		wantHonoured: false,
	}}
	for _, s := range servers {
		t.Run(s.name, func(t *testing.T) {
			ctx := testContext(t)
			hc := plainClient(t)
			url, body := s.setup(t, ctx, hc)
			status := ifMatchProbe(t, ctx, hc, url, body)
			switch {
			case status == http.StatusPreconditionFailed:
				if !s.wantHonoured {
					t.Errorf("%s refused the probe (412): it honors If-Match, want it to ignore it", s.name)
				}
			case status/100 == 2:
				if s.wantHonoured {
					t.Errorf("%s accepted the probe (%d): it ignores If-Match, and ifmatch cannot prevent lost updates there", s.name, status)
				}
			default:
				t.Errorf("%s answered the probe with %d: neither 412 nor 2xx, inconclusive", s.name, status)
			}
		})
	}
}
