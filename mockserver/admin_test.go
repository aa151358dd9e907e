package mockserver_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/ifmatch/ifmatch/mockserver"
)

func TestAdminStats(t *testing.T) {
	srv := setup(t, mockserver.Options{})
	c := srv.Client()
	send(t, c, "PUT", srv.URL+"/doc", `{}`)
	send(t, c, "PUT", srv.URL+"/doc", `{}`, "If-None-Match", "*")

	r := send(t, c, "GET", srv.URL+"/_mock/stats", "")
	wantStatus(t, r, 200)
	var s mockserver.Stats
	if err := json.Unmarshal([]byte(r.body), &s); err != nil {
		t.Fatalf("stats %s: %v", r.body, err)
	}
	if s.Commits != 1 || s.Conflicts != 1 || s.Requests["PUT 201"] != 1 || s.Requests["PUT 412"] != 1 {
		t.Errorf("stats = %s, want 1 commit, 1 conflict, PUT 201 and PUT 412 counted", r.body)
	}
	var raw map[string]any
	_ = json.Unmarshal([]byte(r.body), &raw)
	for _, k := range []string{"requests", "commits", "conflicts", "external_writes", "idempotent_replays", "faults"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("stats JSON %s lacks %q", r.body, k)
		}
	}
	if f, _ := raw["faults"].(map[string]any); f["stale_reads"] == nil || f["drops"] == nil {
		t.Errorf("stats JSON faults %v lack stale_reads or drops", raw["faults"])
	}

	wantStatus(t, send(t, c, "DELETE", srv.URL+"/_mock/stats", ""), 204)
	if got := srv.Stats(); got.Commits != 0 || len(got.Requests) != 0 {
		t.Errorf("after DELETE /_mock/stats: %+v, want zero (admin requests are not counted)", got)
	}
	wantStatus(t, send(t, c, "POST", srv.URL+"/_mock/stats", ""), 405)
}

func TestAdminFaults(t *testing.T) {
	srv := setup(t, mockserver.Options{})
	c := srv.Client()
	seed(t, srv, "/doc", `{}`)

	r := send(t, c, "PUT", srv.URL+"/_mock/faults", `{"error_rate":1,"error_status":429,"retry_after":"2s","latency":"1ms"}`)
	wantStatus(t, r, 200)
	want := mockserver.Faults{ErrorRate: 1, ErrorStatus: 429, RetryAfter: 2 * time.Second, Latency: time.Millisecond}
	if got := srv.Faults(); got != want {
		t.Errorf("Faults() = %+v, want %+v", got, want)
	}
	var echoed mockserver.Faults
	if err := json.Unmarshal([]byte(r.body), &echoed); err != nil || echoed != want {
		t.Errorf("PUT /_mock/faults answered %s (%v), want %+v", r.body, err, want)
	}

	g := send(t, c, "GET", srv.URL+"/doc", "")
	wantStatus(t, g, 429)
	if got := g.header.Get("Retry-After"); got != "2" {
		t.Errorf("Retry-After = %q, want 2", got)
	}

	r = send(t, c, "GET", srv.URL+"/_mock/faults", "")
	wantStatus(t, r, 200)
	const wantJSON = `{"latency":"1ms","latency_jitter":"0s","error_rate":1,"error_status":429,"retry_after":"2s",` +
		`"reset_rate":0,"drop_rate":0,"interfere_rate":0,"stale_read_rate":0}` + "\n"
	if r.body != wantJSON {
		t.Errorf("GET /_mock/faults = %s, want %s", r.body, wantJSON)
	}

	// fields left out are zero: this switches every fault off
	wantStatus(t, send(t, c, "PUT", srv.URL+"/_mock/faults", `{}`), 200)
	wantStatus(t, send(t, c, "GET", srv.URL+"/doc", ""), 200)

	for _, bad := range []string{`{"error_rate":2}`, `{"eror_rate":1}`, `{"latency":"soon"}`, `{"error_status":404}`, `[`} {
		r := send(t, c, "PUT", srv.URL+"/_mock/faults", bad)
		wantStatus(t, r, 400)
		if got := problemType(t, r); got != mockserver.ProblemBadRequest {
			t.Errorf("PUT /_mock/faults %s: problem type %q, want %q", bad, got, mockserver.ProblemBadRequest)
		}
	}
	if got := srv.Faults(); got != (mockserver.Faults{}) {
		t.Errorf("Faults() after rejected PUTs = %+v, want none", got)
	}
}

func TestFaultsJSONAcceptsNanoseconds(t *testing.T) {
	var f mockserver.Faults
	if err := json.Unmarshal([]byte(`{"latency":5000000}`), &f); err != nil || f.Latency != 5*time.Millisecond {
		t.Errorf("Unmarshal nanoseconds = %v, %v, want 5ms", f.Latency, err)
	}
}

func TestAdminDocs(t *testing.T) {
	srv := setup(t, mockserver.Options{Faults: mockserver.Faults{ErrorRate: 1}})
	c := srv.Client()

	r := send(t, c, "PUT", srv.URL+"/_mock/docs/counter", `{"n": 1}`)
	wantStatus(t, r, 201)
	if r.body != `{"n":1}` || r.header.Get("ETag") == "" {
		t.Errorf("PUT /_mock/docs/counter = %s %q, want {\"n\":1} with an ETag", r.body, r.header.Get("ETag"))
	}
	wantDoc(t, srv, "/counter", `{"n":1}`)
	r = send(t, c, "PUT", srv.URL+"/_mock/docs/counter", `{"n":2}`)
	wantStatus(t, r, 200)

	// admin reads bypass the faults that hit /counter itself
	wantStatus(t, send(t, c, "GET", srv.URL+"/counter", ""), 503)
	g := send(t, c, "GET", srv.URL+"/_mock/docs/counter", "")
	wantStatus(t, g, 200)
	if g.body != `{"n":2}` || g.header.Get("ETag") != r.header.Get("ETag") {
		t.Errorf("GET /_mock/docs/counter = %s %s, want {\"n\":2} %s", g.body, g.header.Get("ETag"), r.header.Get("ETag"))
	}

	wantStatus(t, send(t, c, "PUT", srv.URL+"/_mock/docs/deep/er", `{}`), 201)
	wantDoc(t, srv, "/deep/er", `{}`)
	wantStatus(t, send(t, c, "PUT", srv.URL+"/_mock/docs/counter", `{`), 400)
	wantStatus(t, send(t, c, "GET", srv.URL+"/_mock/docs/missing", ""), 404)
	wantStatus(t, send(t, c, "DELETE", srv.URL+"/_mock/docs/counter", ""), 204)
	wantStatus(t, send(t, c, "DELETE", srv.URL+"/_mock/docs/counter", ""), 404)
	wantStatus(t, send(t, c, "PATCH", srv.URL+"/_mock/docs/counter", "{}"), 405)
	wantStatus(t, send(t, c, "GET", srv.URL+"/_mock/nothing", ""), 404)
	wantStatus(t, send(t, c, "PUT", srv.URL+"/_mock", "{}"), 404)

	if got := srv.Stats().ExternalWrites; got != 4 {
		t.Errorf("ExternalWrites = %d, want 4 (three PUTs, one DELETE)", got)
	}
}
