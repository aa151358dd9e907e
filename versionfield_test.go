package ifmatch

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// couch is a tiny CouchDB-like document: the version is _rev in the body
// (or ?rev=), a stale one is 409, and a write answers {"ok":true,"rev":...}.
type couch struct {
	mu   sync.Mutex
	gen  int
	doc  map[string]any
	reqs []string
}

func (c *couch) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reqs = append(c.reqs, r.Method)
	rev := fmt.Sprintf("%d-abc", c.gen)
	switch r.Method {
	case http.MethodGet:
		c.doc["_rev"] = rev
		json.NewEncoder(w).Encode(c.doc)
	case http.MethodPut:
		var in map[string]any
		b, _ := io.ReadAll(r.Body)
		json.Unmarshal(b, &in)
		if in["_rev"] != rev || r.URL.Query().Get("rev") != rev {
			w.WriteHeader(http.StatusConflict)
			io.WriteString(w, `{"error":"conflict","reason":"Document update conflict"}`)
			return
		}
		c.gen++
		c.doc = in
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"ok":true,"id":"d","rev":"%d-abc"}`, c.gen)
	}
}

func TestVersionInAnswer(t *testing.T) {
	for _, tt := range []struct {
		name     string
		inAnswer string
		want     []string
	}{
		{"learned from the answer", "/rev", []string{"GET", "PUT", "PUT"}},
		{"not learned", "", []string{"GET", "PUT", "GET", "PUT"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			db := &couch{gen: 1, doc: map[string]any{"n": 0.0}}
			srv := httptest.NewServer(db)
			defer srv.Close()
			c := New(&Options{VersionField: "/_rev", VersionParam: "rev", VersionInAnswer: tt.inAnswer})
			type doc struct {
				Rev string `json:"_rev"`
				N   int    `json:"n"`
			}
			for range 2 {
				if _, err := Modify(context.Background(), c, srv.URL+"/db/d", func(d *doc) error { d.N++; return nil }); err != nil {
					t.Fatal(err)
				}
			}
			db.mu.Lock()
			defer db.mu.Unlock()
			if fmt.Sprint(db.reqs) != fmt.Sprint(tt.want) || db.doc["n"] != 2.0 {
				t.Errorf("requests %v, n %v; want %v and n 2", db.reqs, db.doc["n"], tt.want)
			}
		})
	}
}
