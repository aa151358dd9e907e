package mockserver_test

import (
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ifmatch/ifmatch/internal/jsontest"
	"github.com/ifmatch/ifmatch/mockserver"
)

// TestMergePatchKeysAreBounded sends merge patches of many keys. The merge
// is linear in them, and a body holds at most 100,000 object members,
// counted before any work: a 400,000-key patch used to run for minutes.
func TestMergePatchKeysAreBounded(t *testing.T) {
	const mp = "application/merge-patch+json"
	srv := setup(t, mockserver.Options{})
	seed(t, srv, "/doc", jsontest.Flat(1000, `0`))
	c := srv.Client()

	var r reply
	n := allocated(func() { r = send(t, c, "PATCH", srv.URL+"/doc", jsontest.Flat(400_000, `1`), "Content-Type", mp) })
	wantStatus(t, r, http.StatusBadRequest)
	if !strings.Contains(r.body, "has 400000 object members; the limit is 100000") {
		t.Errorf("body %s does not name the member limit", r.body)
	}
	t.Logf("a 400,000-key merge patch: %d, allocated %.1f MB", r.status, float64(n)/(1<<20))

	r = send(t, c, "PATCH", srv.URL+"/doc", jsontest.Flat(50_000, `"v"`), "Content-Type", mp)
	wantStatus(t, r, http.StatusOK)
	doc, _, _ := srv.Doc("/doc")
	if got := strings.Count(string(doc), ":"); got != 50_000 || !strings.HasPrefix(string(doc), `{"k0":"v","k1":"v"`) {
		t.Errorf("after a 50,000-key patch the document has %d members (%.40s...), want 50000", got, doc)
	}

	r = send(t, c, "PUT", srv.URL+"/doc", jsontest.Flat(100_001, `0`))
	wantStatus(t, r, http.StatusBadRequest)
}

// BenchmarkReadsDuringBigMergePatch measures GETs of one document while
// 50,000-key merge patches of another run back to back: the p50 and p99
// latencies of the GETs, and how long each patch took. It once took 28 s
// per patch, and the GETs waited for it.
func BenchmarkReadsDuringBigMergePatch(b *testing.B) {
	const mp = "application/merge-patch+json"
	srv := mockserver.New(mockserver.Options{})
	defer srv.Close()
	if _, err := srv.SetDoc("/other", []byte(`{"n":1}`)); err != nil {
		b.Fatal(err)
	}
	patch := jsontest.Flat(50_000, `"v"`)
	c := srv.Client()
	var (
		mu        sync.Mutex
		latencies []time.Duration
		patches   []time.Duration
	)
	for b.Loop() {
		if _, err := srv.SetDoc("/big", []byte(`{}`)); err != nil {
			b.Fatal(err)
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				start := time.Now()
				r, err := try(c, "GET", srv.URL+"/other", "")
				if err != nil || r.status != http.StatusOK {
					b.Errorf("GET /other: %v %d", err, r.status)
					return
				}
				mu.Lock()
				latencies = append(latencies, time.Since(start))
				mu.Unlock()
			}
		})
		start := time.Now()
		r, err := try(c, "PATCH", srv.URL+"/big", patch, "Content-Type", mp)
		patches = append(patches, time.Since(start))
		close(stop)
		wg.Wait()
		if err != nil || r.status != http.StatusOK {
			b.Fatalf("PATCH: %v %d", err, r.status)
		}
	}
	slices.Sort(latencies)
	slices.Sort(patches)
	if len(latencies) > 0 {
		b.ReportMetric(float64(latencies[len(latencies)/2].Microseconds())/1000, "p50-get-ms")
		b.ReportMetric(float64(latencies[len(latencies)*99/100].Microseconds())/1000, "p99-get-ms")
		b.ReportMetric(float64(len(latencies))/float64(b.N), "gets/patch")
	}
	b.ReportMetric(float64(patches[len(patches)/2].Microseconds())/1000, "patch-ms")
}
