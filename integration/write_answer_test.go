package integration

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/ifmatch/ifmatch"
)

// Many servers answer a successful PUT with a status body instead of the
// document: CouchDB and pouchdb-server ({"ok":true,"id":...,"rev":...}),
// others {"status":"updated"} or a text "Created". Modify promises the
// committed value, and Update's Response.Body the committed document as far
// as the answer tells it; neither may be the status body, and a write that
// committed must not be reported as an error.
func TestModifyReturnsCommittedValue(t *testing.T) {
	type doc struct {
		N int `json:"n"`
	}
	tests := []struct {
		name        string
		contentType string
		answer      string
	}{
		{"JSON status body", "application/json", `{"ok":true,"id":"doc","rev":"2-b"}`},
		{"text body", "text/plain; charset=utf-8", "Created"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testContext(t)
			// A minimal ETag server on loopback: one document, version 1,
			// and a PUT with If-Match: "1" stores it as version 2 and
			// answers with a status body.
			var mu sync.Mutex
			stored, etag := []byte(`{"n":1}`), `"1"`
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				defer mu.Unlock()
				switch r.Method {
				case http.MethodGet:
					w.Header().Set("Content-Type", "application/json")
					w.Header().Set("ETag", etag)
					w.Write(stored)
				case http.MethodPut:
					if r.Header.Get("If-Match") != etag {
						w.WriteHeader(http.StatusPreconditionFailed)
						return
					}
					stored, _ = io.ReadAll(r.Body)
					etag = `"2"`
					w.Header().Set("Content-Type", tt.contentType)
					w.Header().Set("ETag", etag)
					w.WriteHeader(http.StatusCreated)
					io.WriteString(w, tt.answer)
				default:
					w.WriteHeader(http.StatusMethodNotAllowed)
				}
			}))
			t.Cleanup(srv.Close)
			c := ifmatch.New(&ifmatch.Options{HTTPClient: plainClient(t)})

			got, err := ifmatch.Modify(ctx, c, srv.URL+"/doc", func(d *doc) error { d.N = 2; return nil })
			mu.Lock()
			committed := string(stored)
			mu.Unlock()
			var onServer doc
			if jerr := json.Unmarshal([]byte(committed), &onServer); jerr != nil || onServer.N != 2 {
				t.Fatalf("server holds %s, want n 2", committed)
			}
			if err != nil {
				t.Fatalf("Modify committed %s but returned the error %v", committed, err)
			}
			if got.N != 2 {
				t.Errorf("Modify returned %+v, want {N:2}, the committed value %s (the answer's body was %s)", *got, committed, tt.answer)
			}
		})
	}
}
