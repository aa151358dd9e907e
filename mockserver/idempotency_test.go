package mockserver_test

import (
	"testing"

	"github.com/ifmatch/ifmatch/mockserver"
)

func TestIdempotency(t *testing.T) {
	tests := []struct {
		name        string
		opts        mockserver.Options
		header      string
		second      string // body of the second request
		want        int    // status of the second request
		wantType    string
		wantCommits int64
		wantReplays int64
	}{
		{name: "replay", opts: mockserver.Options{Idempotency: true}, header: "Idempotency-Key",
			second: `{"n":2}`, want: 200, wantCommits: 1, wantReplays: 1},
		{name: "reused for another request", opts: mockserver.Options{Idempotency: true}, header: "Idempotency-Key",
			second: `{"n":3}`, want: 422, wantType: mockserver.ProblemIdempotencyKeyReused, wantCommits: 1},
		{name: "custom header", opts: mockserver.Options{Idempotency: true, IdempotencyHeader: "X-Request-Id"}, header: "X-Request-Id",
			second: `{"n":2}`, want: 200, wantCommits: 1, wantReplays: 1},
		{name: "other header is not a key", opts: mockserver.Options{Idempotency: true, IdempotencyHeader: "X-Request-Id"}, header: "Idempotency-Key",
			second: `{"n":2}`, want: 412, wantCommits: 1},
		{name: "disabled", opts: mockserver.Options{}, header: "Idempotency-Key",
			second: `{"n":2}`, want: 412, wantCommits: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := setup(t, tt.opts)
			c := srv.Client()
			etag := seed(t, srv, "/doc", `{"n":1}`)
			first := send(t, c, "PUT", srv.URL+"/doc", `{"n":2}`, "If-Match", etag, tt.header, "k1")
			wantStatus(t, first, 200)

			r := send(t, c, "PUT", srv.URL+"/doc", tt.second, "If-Match", etag, tt.header, "k1")
			wantStatus(t, r, tt.want)
			if tt.wantType != "" {
				if got := problemType(t, r); got != tt.wantType {
					t.Errorf("problem type = %q, want %q", got, tt.wantType)
				}
			}
			if tt.wantReplays > 0 {
				if r.body != first.body || r.header.Get("ETag") != first.header.Get("ETag") {
					t.Errorf("replay = %s %s, want the first answer %s %s", r.body, r.header.Get("ETag"), first.body, first.header.Get("ETag"))
				}
				if got := r.header.Get("Idempotent-Replayed"); got != "true" {
					t.Errorf("Idempotent-Replayed = %q, want true", got)
				}
			}
			s := srv.Stats()
			if s.Commits != tt.wantCommits || s.IdempotentReplays != tt.wantReplays {
				t.Errorf("Commits, IdempotentReplays = %d, %d, want %d, %d", s.Commits, s.IdempotentReplays, tt.wantCommits, tt.wantReplays)
			}
			wantDoc(t, srv, "/doc", `{"n":2}`)
		})
	}
}

func TestIdempotencyReplaysFailures(t *testing.T) {
	// an answer that was processed is stored, whatever its status
	srv := setup(t, mockserver.Options{Idempotency: true})
	c := srv.Client()
	seed(t, srv, "/doc", `{"n":1}`)
	wantStatus(t, send(t, c, "PUT", srv.URL+"/doc", `{"n":2}`, "If-Match", `"0"`, "Idempotency-Key", "k"), 412)
	r := send(t, c, "PUT", srv.URL+"/doc", `{"n":2}`, "If-Match", `"0"`, "Idempotency-Key", "k")
	wantStatus(t, r, 412)
	if got := r.header.Get("Idempotent-Replayed"); got != "true" {
		t.Errorf("Idempotent-Replayed = %q, want true", got)
	}
	if s := srv.Stats(); s.Conflicts != 1 || s.IdempotentReplays != 1 {
		t.Errorf("Conflicts, IdempotentReplays = %d, %d, want 1, 1", s.Conflicts, s.IdempotentReplays)
	}
}

func TestIdempotencyAfterDrop(t *testing.T) {
	// the ambiguous case the header exists for: the first answer is lost
	// after the commit, the retry learns what happened
	srv := setup(t, mockserver.Options{Idempotency: true, Faults: mockserver.Faults{DropRate: 1}})
	c := freshClient(t)
	if _, err := try(c, "PUT", srv.URL+"/doc", `{"n":1}`, "Idempotency-Key", "k"); err == nil {
		t.Fatalf("PUT with DropRate 1 succeeded, want a transport error")
	}
	wantDoc(t, srv, "/doc", `{"n":1}`)

	// a replay commits nothing, so it is never dropped
	r := send(t, c, "PUT", srv.URL+"/doc", `{"n":1}`, "Idempotency-Key", "k")
	wantStatus(t, r, 201)
	s := srv.Stats()
	if s.Commits != 1 || s.IdempotentReplays != 1 || s.Faults.Drops != 1 {
		t.Errorf("Commits, IdempotentReplays, Drops = %d, %d, %d, want 1, 1, 1", s.Commits, s.IdempotentReplays, s.Faults.Drops)
	}
}

func TestIdempotencyNotStoredForInjectedErrors(t *testing.T) {
	srv := setup(t, mockserver.Options{Idempotency: true, Faults: mockserver.Faults{ErrorRate: 1}})
	c := srv.Client()
	wantStatus(t, send(t, c, "PUT", srv.URL+"/doc", `{"n":1}`, "Idempotency-Key", "k"), 503)
	srv.SetFaults(mockserver.Faults{})
	r := send(t, c, "PUT", srv.URL+"/doc", `{"n":1}`, "Idempotency-Key", "k")
	wantStatus(t, r, 201)
	if got := r.header.Get("Idempotent-Replayed"); got != "" {
		t.Errorf("Idempotent-Replayed = %q, want none: the error was never processed", got)
	}
}
