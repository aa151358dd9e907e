package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ifmatch/ifmatch/mockserver"
)

// A stop (the first signal) with writes stuck at the server: after -grace
// the writes in flight are canceled and reported unknown, the operations
// not started are not reported, and the exit status is 3.
func TestApplyStopCancelsInFlightAfterGrace(t *testing.T) {
	h := mockserver.NewHandler(mockserver.Options{})
	arrived, release := make(chan struct{}, 10), make(chan struct{})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			arrived <- struct{}{}
			<-release
		}
		h.ServeHTTP(w, r)
	}))
	defer ts.Close()
	defer close(release) // before ts.Close: the stuck handlers finish
	var lines []string
	for i := range 6 {
		p := fmt.Sprintf("/s/%d", i)
		if _, err := h.SetDoc(p, []byte(`{"ops":[]}`)); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, appendOp(fmt.Sprintf("op%d", i), ts.URL+p))
	}

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	type ran struct {
		code     int
		out, err string
	}
	done := make(chan ran)
	go func() {
		code, out, errOut := invoke(t, ctx, strings.Join(lines, "\n"), "apply", "-concurrency", "3", "-grace", "20ms", "-retries", "-1")
		done <- ran{code, out, errOut}
	}()
	for range 3 {
		<-arrived
	}
	stop()
	r := <-done

	results := parseResults(t, r.out)
	if len(results) != 3 {
		t.Fatalf("%d results, want the 3 in flight:\n%s", len(results), r.out)
	}
	for _, res := range results {
		if res.Status != statusUnknown || !strings.Contains(res.Error, "interrupted") {
			t.Errorf("result %+v, want unknown, interrupted", res)
		}
	}
	if r.code != exitUnknown {
		t.Errorf("exit %d, want %d", r.code, exitUnknown)
	}
	if !strings.Contains(r.err, "interrupted") {
		t.Errorf("stderr does not say it was interrupted:\n%s", r.err)
	}
}

// -rate gates the start of every operation: at about one an hour, the
// first starts at once (the limiter's burst) and the others wait, until a
// stop, which leaves them not started and not reported.
func TestApplyRateGatesStarts(t *testing.T) {
	srv := newServer(t, mockserver.Options{})
	var lines []string
	for i := range 3 {
		p := fmt.Sprintf("/rate/%d", i)
		if _, err := srv.SetDoc(p, []byte(`{"ops":[]}`)); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, appendOp(fmt.Sprintf("op%d", i), srv.URL+p))
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	pr, pw := io.Pipe()
	var errOut bytes.Buffer
	codes := make(chan int, 1)
	go func() {
		codes <- run(ctx, []string{"apply", "-rate", "0.0003", "-concurrency", "3"}, strings.NewReader(strings.Join(lines, "\n")), pw, &errOut)
		pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	var out []string
	for sc.Scan() {
		out = append(out, sc.Text())
		stop() // after the first result
	}
	if code := <-codes; code != exitInterrupted {
		t.Errorf("exit %d, want 130 (interrupted); stderr:\n%s", code, errOut.String())
	}
	if len(out) != 1 || !strings.Contains(out[0], `"status":"ok"`) {
		t.Errorf("results %q, want the first operation's alone", out)
	}
}
