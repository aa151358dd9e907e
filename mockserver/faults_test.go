package mockserver_test

import (
	"errors"
	"fmt"
	"io"
	"syscall"
	"testing"
	"time"

	"github.com/ifmatch/ifmatch/mockserver"
)

func TestLatency(t *testing.T) {
	srv := setup(t, mockserver.Options{Faults: mockserver.Faults{Latency: time.Millisecond, LatencyJitter: time.Millisecond}})
	seed(t, srv, "/doc", `{}`)
	wantStatus(t, send(t, srv.Client(), "GET", srv.URL+"/doc", ""), 200)
	wantStatus(t, send(t, srv.Client(), "GET", srv.URL+"/_mock/stats", ""), 200)
	if got := srv.Stats().Faults.Delayed; got != 1 {
		t.Errorf("Delayed = %d, want 1 (admin requests are not delayed)", got)
	}
}

func TestCloseCutsLatencyShort(t *testing.T) {
	srv := mockserver.New(mockserver.Options{Faults: mockserver.Faults{Latency: time.Hour}})
	c := freshClient(t)
	done := make(chan error)
	go func() {
		_, err := try(c, "GET", srv.URL+"/doc", "")
		done <- err
	}()
	// wait until the request sleeps; Close must not wait for the hour
	for srv.Stats().Faults.Delayed == 0 {
		time.Sleep(time.Millisecond)
	}
	srv.Close()
	if err := <-done; err == nil {
		t.Errorf("GET during Close succeeded, want a transport error")
	}
	if got := srv.Stats().Requests["GET canceled"]; got != 1 {
		t.Errorf(`Requests["GET canceled"] = %d, want 1`, got)
	}
}

func TestErrorFault(t *testing.T) {
	tests := []struct {
		name       string
		faults     mockserver.Faults
		want       int
		retryAfter string
	}{
		{"default 503", mockserver.Faults{ErrorRate: 1}, 503, ""},
		{"429 with Retry-After rounded up", mockserver.Faults{ErrorRate: 1, ErrorStatus: 429, RetryAfter: 1500 * time.Millisecond}, 429, "2"},
		{"500 with whole seconds", mockserver.Faults{ErrorRate: 1, ErrorStatus: 500, RetryAfter: 3 * time.Second}, 500, "3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := setup(t, mockserver.Options{Faults: tt.faults})
			etag := seed(t, srv, "/doc", `{"n":1}`)
			r := send(t, srv.Client(), "PUT", srv.URL+"/doc", `{"n":2}`, "If-Match", etag)
			wantStatus(t, r, tt.want)
			if got := problemType(t, r); got != mockserver.ProblemInjectedFault {
				t.Errorf("problem type = %q, want %q", got, mockserver.ProblemInjectedFault)
			}
			if got := r.header.Get("Retry-After"); got != tt.retryAfter {
				t.Errorf("Retry-After = %q, want %q", got, tt.retryAfter)
			}
			wantDoc(t, srv, "/doc", `{"n":1}`)
			s := srv.Stats()
			if s.Faults.Errors != 1 || s.Commits != 0 || s.Requests[fmt.Sprintf("PUT %d", tt.want)] != 1 {
				t.Errorf("stats = %+v, want 1 error, no commit, PUT %d counted", s, tt.want)
			}
		})
	}
}

func TestResetFault(t *testing.T) {
	srv := setup(t, mockserver.Options{Faults: mockserver.Faults{ResetRate: 1}})
	etag := seed(t, srv, "/doc", `{"n":1}`)
	_, err := try(freshClient(t), "PUT", srv.URL+"/doc", `{"n":2}`, "If-Match", etag)
	if err == nil {
		t.Fatalf("PUT with ResetRate 1 succeeded, want a transport error")
	}
	if !errors.Is(err, syscall.ECONNRESET) {
		t.Logf("error %v is not ECONNRESET (acceptable: the client may see the reset as EOF)", err)
	}
	wantDoc(t, srv, "/doc", `{"n":1}`)
	s := srv.Stats()
	if s.Faults.Resets != 1 || s.Commits != 0 || s.Requests["PUT reset"] != 1 {
		t.Errorf("stats = %+v, want 1 reset, no commit, \"PUT reset\" counted", s)
	}
}

func TestDropFault(t *testing.T) {
	srv := setup(t, mockserver.Options{Faults: mockserver.Faults{DropRate: 1}})
	c := freshClient(t)
	etag := seed(t, srv, "/doc", `{"n":1}`)
	_, err := try(c, "PUT", srv.URL+"/doc", `{"n":2}`, "If-Match", etag)
	if err == nil {
		t.Fatalf("PUT with DropRate 1 succeeded, want a transport error")
	}
	if !errors.Is(err, io.EOF) && !errors.Is(err, syscall.ECONNRESET) {
		t.Logf("error %v: not EOF (acceptable)", err)
	}
	wantDoc(t, srv, "/doc", `{"n":2}`)

	// reads, and writes that commit nothing, are answered
	wantStatus(t, send(t, c, "GET", srv.URL+"/doc", ""), 200)
	wantStatus(t, send(t, c, "PUT", srv.URL+"/doc", `{"n":3}`, "If-Match", etag), 412)

	s := srv.Stats()
	if s.Faults.Drops != 1 || s.Commits != 1 || s.Requests["PUT dropped"] != 1 || s.Conflicts != 1 {
		t.Errorf("stats = %+v, want 1 drop, 1 commit, \"PUT dropped\" counted, 1 conflict", s)
	}
}

func TestInterferenceFault(t *testing.T) {
	t.Run("ETag", func(t *testing.T) {
		srv := setup(t, mockserver.Options{Faults: mockserver.Faults{InterfereRate: 1}})
		c := srv.Client()
		seed(t, srv, "/doc", `{"n":1}`)
		etag := send(t, c, "GET", srv.URL+"/doc", "").header.Get("ETag")
		r := send(t, c, "PUT", srv.URL+"/doc", `{"n":2}`, "If-Match", etag)
		wantStatus(t, r, 412)
		doc, now, _ := srv.Doc("/doc")
		if string(doc) != `{"n":1}` || now == etag {
			t.Errorf("after interference: %s %s, want {\"n\":1} with a new ETag (not %s)", doc, now, etag)
		}
		// an unconditional write has nothing to be stale against
		wantStatus(t, send(t, c, "PUT", srv.URL+"/doc", `{"n":3}`), 200)
		s := srv.Stats()
		if s.Faults.Interferences != 1 || s.ExternalWrites != 2 || s.Conflicts != 1 {
			t.Errorf("stats = %+v, want 1 interference, 2 external writes (SetDoc and it), 1 conflict", s)
		}
	})
	t.Run("VersionField", func(t *testing.T) {
		srv := setup(t, mockserver.Options{VersionField: "/_rev", Faults: mockserver.Faults{InterfereRate: 1}})
		seed(t, srv, "/doc", `{"n":1}`)
		rev := srv.Version("/doc")
		r := send(t, srv.Client(), "PUT", srv.URL+"/doc?rev="+rev, `{"n":2}`)
		wantStatus(t, r, 409)
		doc, _, _ := srv.Doc("/doc")
		now := srv.Version("/doc")
		if want := `{"_rev":"` + now + `","n":1}`; string(doc) != want || now[:2] != "2-" {
			t.Errorf("after interference: %s, want %s with generation 2", doc, want)
		}
	})
}

func TestStaleReadFault(t *testing.T) {
	tests := []struct {
		name    string
		history int
		want    []string // bodies a GET may see
	}{
		{"default history", 0, []string{`{"v":1}`, `{"v":2}`}},
		{"one kept", 1, []string{`{"v":2}`}},
		{"none kept", -1, []string{`{"v":3}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := setup(t, mockserver.Options{History: tt.history, Faults: mockserver.Faults{StaleReadRate: 1}})
			c := srv.Client()
			etags := map[string]string{}
			for _, doc := range []string{`{"v":1}`, `{"v":2}`, `{"v":3}`} {
				etags[doc] = seed(t, srv, "/doc", doc)
			}
			for range 8 {
				r := send(t, c, "GET", srv.URL+"/doc", "")
				if !contains(tt.want, r.body) {
					t.Fatalf("GET = %s, want one of %v", r.body, tt.want)
				}
				if got := r.header.Get("ETag"); got != etags[r.body] {
					t.Errorf("ETag of %s = %s, want that version's %s", r.body, got, etags[r.body])
				}
			}
			wantStale := int64(8)
			if tt.history < 0 {
				wantStale = 0
			}
			if got := srv.Stats().Faults.StaleReads; got != wantStale {
				t.Errorf("StaleReads = %d, want %d", got, wantStale)
			}
		})
	}
}

func TestStaleReadIfNoneMatch(t *testing.T) {
	srv := setup(t, mockserver.Options{History: 1, Faults: mockserver.Faults{StaleReadRate: 1}})
	old := seed(t, srv, "/doc", `{"v":1}`)
	seed(t, srv, "/doc", `{"v":2}`)
	r := send(t, srv.Client(), "GET", srv.URL+"/doc", "", "If-None-Match", old)
	wantStatus(t, r, 304)
	if got := r.header.Get("ETag"); got != old {
		t.Errorf("ETag = %s, want the replica's %s", got, old)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestSetFaultsAtRunTime(t *testing.T) {
	srv := setup(t, mockserver.Options{})
	c := srv.Client()
	seed(t, srv, "/doc", `{}`)
	wantStatus(t, send(t, c, "GET", srv.URL+"/doc", ""), 200)

	f := mockserver.Faults{ErrorRate: 1, ErrorStatus: 502}
	srv.SetFaults(f)
	if got := srv.Faults(); got != f {
		t.Errorf("Faults() = %+v, want %+v", got, f)
	}
	wantStatus(t, send(t, c, "GET", srv.URL+"/doc", ""), 502)
	// admin endpoints are never faulted
	wantStatus(t, send(t, c, "GET", srv.URL+"/_mock/stats", ""), 200)

	srv.SetFaults(mockserver.Faults{})
	wantStatus(t, send(t, c, "GET", srv.URL+"/doc", ""), 200)

	defer func() {
		if recover() == nil {
			t.Errorf("SetFaults with a rate of 2 did not panic")
		}
	}()
	srv.SetFaults(mockserver.Faults{ResetRate: 2})
}

func TestSeededFaultsAreDeterministic(t *testing.T) {
	faults := mockserver.Faults{ErrorRate: 0.5, StaleReadRate: 0.5}
	run := func(seed int64) string {
		srv := setup(t, mockserver.Options{Seed: seed, Faults: faults})
		c := srv.Client()
		for i := range 4 {
			if _, err := srv.SetDoc("/doc", []byte(fmt.Sprint(i))); err != nil {
				t.Fatal(err)
			}
		}
		var seq []byte
		for range 64 {
			r := send(t, c, "GET", srv.URL+"/doc", "")
			if r.status == 200 {
				seq = append(seq, r.body...)
			} else {
				seq = append(seq, 'E')
			}
		}
		return string(seq)
	}
	a, b, other := run(7), run(7), run(8)
	if a != b {
		t.Errorf("seed 7 gave %s then %s, want the same sequence", a, b)
	}
	if a == other {
		t.Errorf("seeds 7 and 8 both gave %s, want different sequences", a)
	}
	if zero, one := run(0), run(1); zero != one {
		t.Errorf("seed 0 gave %s, want seed 1's %s", zero, one)
	}
}
