package mockserver_test

import (
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/ifmatch/ifmatch/mockserver"
)

// TestRestartedServerNeverRepeatsAVersion plays a client that outlives a
// restarted server: every version the first server handed out for /doc,
// sent to a new server holding different content at /doc, must be stale.
// When ETags restarted at "1", the new server answered 304 to a GET and let
// a PUT overwrite content its client had never seen.
func TestRestartedServerNeverRepeatsAVersion(t *testing.T) {
	tests := []struct {
		name string
		opts mockserver.Options
	}{
		{"strong ETags", mockserver.Options{}},
		{"weak ETags", mockserver.Options{WeakETags: true}},
		{"version field", mockserver.Options{VersionField: "/_rev"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const writes = 5
			old := mockserver.New(tt.opts)
			var seen []string // what a client of the old server saw
			for i := range writes {
				seen = append(seen, writeVersion(t, old, tt.opts.VersionField != "", i))
			}
			old.Close()

			srv := setup(t, tt.opts)
			for i := range writes {
				current := writeVersion(t, srv, tt.opts.VersionField != "", 100+i)
				for _, v := range seen {
					if v == current {
						t.Fatalf("the new server handed out %s for other content, as the old one did", v)
					}
				}
			}
			c := srv.Client()
			for _, v := range seen {
				if tt.opts.VersionField != "" {
					r := send(t, c, "PUT", srv.URL+"/doc?rev="+url.QueryEscape(v), `{"n":-1}`)
					wantStatus(t, r, http.StatusConflict)
					continue
				}
				r := send(t, c, "GET", srv.URL+"/doc", "", "If-None-Match", v)
				wantStatus(t, r, http.StatusOK)
				r = send(t, c, "PUT", srv.URL+"/doc", `{"n":-1}`, "If-Match", v)
				wantStatus(t, r, http.StatusPreconditionFailed)
			}
		})
	}
}

// writeVersion stores {"n":n} at /doc and returns the version a client
// would send back for it.
func writeVersion(t *testing.T, srv *mockserver.Server, versionField bool, n int) string {
	t.Helper()
	doc := `{"n":` + strconv.Itoa(n) + `}`
	if v := srv.Version("/doc"); v != "" && versionField {
		r := send(t, srv.Client(), "PUT", srv.URL+"/doc?rev="+url.QueryEscape(v), doc)
		wantStatus(t, r, http.StatusOK)
	} else {
		r := send(t, srv.Client(), "PUT", srv.URL+"/doc", doc)
		if r.status != http.StatusOK && r.status != http.StatusCreated {
			t.Fatalf("PUT /doc = %d %s", r.status, r.body)
		}
	}
	return srv.Version("/doc")
}
