package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
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

// -resume skips what an earlier output reports ok, reruns the rest (the
// unknown ones too, with a warning), and tolerates a cut last line.
func TestApplyResume(t *testing.T) {
	srv := newServer(t, mockserver.Options{})
	var paths, ids, lines []string
	for i := range 40 {
		p := fmt.Sprintf("/r/%d", i%8)
		if i < 8 {
			if _, err := srv.SetDoc(p, []byte(`{"ops":[]}`)); err != nil {
				t.Fatal(err)
			}
			paths = append(paths, p)
		}
		id := fmt.Sprintf("op%d", i)
		ids, lines = append(ids, id), append(lines, appendOp(id, srv.URL+p))
	}
	code, out1, errOut := invoke(t, context.Background(), strings.Join(lines[:25], "\n"), "apply")
	if code != exitOK {
		t.Fatalf("first run: exit %d; stderr:\n%s", code, errOut)
	}
	first := parseResults(t, out1)
	// The earlier output also says op30 was unknown (it was not run), and
	// ends with a line cut short.
	log := out1 + `{"id":"op30","line":31,"url":"x","status":"unknown","attempts":1}` + "\n" + `{"id":"op31","li`
	resume := filepath.Join(t.TempDir(), "out.jsonl")
	if err := os.WriteFile(resume, []byte(log), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out2, errOut := invoke(t, context.Background(), strings.Join(lines, "\n"), "apply", "-resume", resume)
	if code != exitOK {
		t.Fatalf("resumed run: exit %d; stderr:\n%s", code, errOut)
	}
	second := parseResults(t, out2)
	if len(second) != 15 {
		t.Errorf("resumed run reported %d operations, want the 15 not ok before", len(second))
	}
	ok, failed, unknown := checkLedger(t, ids, [][]result{first, second}, opsIn(t, srv, paths))
	if ok != len(ids) || failed != 0 || unknown != 0 {
		t.Errorf("ok %d, failed %d, unknown %d; want %d ok", ok, failed, unknown, len(ids))
	}
	for id, n := range opsIn(t, srv, paths) {
		if n != 1 {
			t.Errorf("%s applied %d times, want once", id, n)
		}
	}
	for _, want := range []string{"25 skipped", "1 lines of", "1 operations unknown: they run again"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}

	// With -skip-unknown, the operation reported unknown is skipped too.
	code, out3, errOut := invoke(t, context.Background(), strings.Join(lines, "\n"), "apply", "-resume", resume, "-skip-unknown")
	if code != exitOK {
		t.Fatalf("third run: exit %d; stderr:\n%s", code, errOut)
	}
	if got := parseResults(t, out3); len(got) != 14 {
		t.Errorf("with -skip-unknown: %d operations ran, want 14", len(got))
	}
	if !strings.Contains(errOut, "26 skipped") {
		t.Errorf("stderr lacks the 26 skipped:\n%s", errOut)
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
	if code := <-codes; code != exitFailed {
		t.Errorf("exit %d, want 1 (interrupted); stderr:\n%s", code, errOut.String())
	}
	if len(out) != 1 || !strings.Contains(out[0], `"status":"ok"`) {
		t.Errorf("results %q, want the first operation's alone", out)
	}
}
