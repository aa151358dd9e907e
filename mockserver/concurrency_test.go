package mockserver_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"testing"

	"github.com/ifmatch/ifmatch/mockserver"
)

// increment adds one to /counter with a read-modify-write loop that retries
// on a stale version, as a careful client without ifmatch would.
func increment(c *http.Client, url string) (attempts int, err error) {
	for {
		attempts++
		r, err := try(c, "GET", url, "")
		if err != nil {
			return attempts, err
		}
		if r.status == http.StatusServiceUnavailable {
			continue
		}
		var doc struct{ N int }
		if err := json.Unmarshal([]byte(r.body), &doc); err != nil {
			return attempts, fmt.Errorf("GET %d %s: %w", r.status, r.body, err)
		}
		w, err := try(c, "PUT", url, `{"n":`+strconv.Itoa(doc.N+1)+`}`, "If-Match", r.header.Get("ETag"))
		if err != nil {
			return attempts, err
		}
		switch w.status {
		case http.StatusOK:
			return attempts, nil
		case http.StatusPreconditionFailed, http.StatusServiceUnavailable:
			// stale, or refused before processing: read again
		default:
			return attempts, fmt.Errorf("PUT: %d %s", w.status, w.body)
		}
	}
}

func TestConcurrentIncrements(t *testing.T) {
	tests := []struct {
		name          string
		writers, each int
		faults        mockserver.Faults
	}{
		{"no faults", 32, 50, mockserver.Faults{}},
		// fewer writers: faults multiply the attempts per commit
		{"errors and interference", 8, 25, mockserver.Faults{ErrorRate: 0.05, InterfereRate: 0.1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			writers, each := tt.writers, tt.each
			srv := setup(t, mockserver.Options{Faults: tt.faults})
			seed(t, srv, "/counter", `{"n":0}`)
			srv.ResetStats()
			// one idle connection per writer, so that the test measures the
			// server and not connection churn
			tr := &http.Transport{MaxIdleConnsPerHost: writers}
			t.Cleanup(tr.CloseIdleConnections)
			c := &http.Client{Transport: tr}

			var wg sync.WaitGroup
			errs := make(chan error, writers)
			for range writers {
				wg.Go(func() {
					for range each {
						if _, err := increment(c, srv.URL+"/counter"); err != nil {
							errs <- err
							return
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}

			doc, _, _ := srv.Doc("/counter")
			s := srv.Stats()
			if want := fmt.Sprintf(`{"n":%d}`, writers*each); string(doc) != want {
				t.Errorf("counter = %s, want %s: updates were lost or duplicated", doc, want)
			}
			if s.Commits != int64(writers*each) || s.Requests["PUT 200"] != int64(writers*each) {
				t.Errorf("Commits = %d, PUT 200 = %d, want %d each", s.Commits, s.Requests["PUT 200"], writers*each)
			}
			if s.Conflicts != s.Requests["PUT 412"] {
				t.Errorf("Conflicts = %d, PUT 412 = %d, want them equal", s.Conflicts, s.Requests["PUT 412"])
			}
			t.Logf("%d commits, %d conflicts, %d interferences, %d errors", s.Commits, s.Conflicts, s.Faults.Interferences, s.Faults.Errors)
		})
	}
}
