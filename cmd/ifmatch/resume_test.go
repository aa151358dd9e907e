package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ifmatch/ifmatch/mockserver"
)

// recordLine is an output line for the operation on input line n, as an
// earlier run would have written it.
func recordLine(t *testing.T, opLine string, n int, status string) string {
	t.Helper()
	r := newOpReader(strings.NewReader(opLine), nil)
	o, err := r.next()
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(result{ID: o.id, Line: n, URL: redact(o.url), Status: status, Hash: o.hash})
	if err != nil {
		t.Fatal(err)
	}
	return string(b) + "\n"
}

// appendFile appends s to the file name.
func appendFile(t *testing.T, name, s string) {
	t.Helper()
	f, err := os.OpenFile(name, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
}

// seedDocs creates n documents {"ops":[]} at prefix0..prefix(n-1).
func seedDocs(t *testing.T, srv *mockserver.Server, prefix string, n int) []string {
	t.Helper()
	var paths []string
	for i := range n {
		p := fmt.Sprintf("%s%d", prefix, i)
		if _, err := srv.SetDoc(p, []byte(`{"ops":[]}`)); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

// -resume, run after run with each output appended to one file, as the
// usage text says: what is ok is skipped, what failed runs again, and an
// operation reported unknown runs again only if it is idempotent (the
// merge patch m0) or -rerun-unknown says so; otherwise (the array append
// a2) it is skipped and reported unknown again, or with -skip-unknown
// skipped and taken as done. In the end each operation is applied once.
func TestApplyResume(t *testing.T) {
	srv := newServer(t, mockserver.Options{})
	paths := seedDocs(t, srv, "/r/", 6)
	lines := []string{
		appendOp("a0", srv.URL+paths[0]), appendOp("a1", srv.URL+paths[1]),
		appendOp("a2", srv.URL+paths[2]), appendOp("a3", srv.URL+paths[3]),
		fmt.Sprintf(`{"id":"m0","url":%q,"merge":{"m0":true}}`, srv.URL+paths[4]),
		fmt.Sprintf(`{"id":"m1","url":%q,"merge":{"m1":true}}`, srv.URL+paths[5]),
	}
	input := strings.Join(lines, "\n")
	out := filepath.Join(t.TempDir(), "out.jsonl")

	// The earlier run: a0 and a1 ok; its record also says a2 and m0 were
	// unknown (they did not in fact run) and a3 failed.
	code, out1, errOut := invoke(t, context.Background(), strings.Join(lines[:2], "\n"), "apply")
	if code != exitOK {
		t.Fatalf("first run: exit %d; stderr:\n%s", code, errOut)
	}
	appendFile(t, out, out1+recordLine(t, lines[2], 3, statusUnknown)+recordLine(t, lines[3], 4, statusFailed)+
		recordLine(t, lines[4], 5, statusUnknown)+`{"id":"a9","li`+"\n") // and a line cut short

	type want struct {
		code   int
		status map[string]string // id -> status reported; others not reported
		stderr string
	}
	steps := []struct {
		name string
		args []string
		want want
	}{
		{"default", nil, want{exitUnknown, map[string]string{"a2": "unknown skipped", "a3": "ok", "m0": "ok rerun", "m1": "ok"},
			"1 reported unknown were not run again"}},
		{"again: a2 stays unknown", nil, want{exitUnknown, map[string]string{"a2": "unknown skipped"}, "5 skipped, reported done"}},
		{"-skip-unknown", []string{"-skip-unknown"}, want{exitOK, map[string]string{}, "6 skipped, reported done"}},
		{"-rerun-unknown", []string{"-rerun-unknown"}, want{exitOK, map[string]string{"a2": "ok rerun"}, "1 reported unknown ran again"}},
	}
	for i, step := range steps {
		args := append([]string{"apply", "-resume", out}, step.args...)
		code, stdout, errOut := invoke(t, context.Background(), input, args...)
		if code != step.want.code {
			t.Errorf("%s: exit %d, want %d; stderr:\n%s", step.name, code, step.want.code, errOut)
		}
		got := statusByID(t, stdout)
		if fmt.Sprint(got) != fmt.Sprint(step.want.status) {
			t.Errorf("%s: reported %v, want %v", step.name, got, step.want.status)
		}
		if !strings.Contains(errOut, step.want.stderr) {
			t.Errorf("%s: stderr lacks %q:\n%s", step.name, step.want.stderr, errOut)
		}
		if i == 0 && !strings.Contains(errOut, "1 lines are not results") {
			t.Errorf("the cut line is not noted:\n%s", errOut)
		}
		if step.name != "-skip-unknown" { // its run is taken as done, not recorded
			appendFile(t, out, stdout)
		}
	}
	applied := opsIn(t, srv, paths)
	for _, id := range []string{"a0", "a1", "a2", "a3"} {
		if applied[id] != 1 {
			t.Errorf("%s applied %d times, want once", id, applied[id])
		}
	}
	for i, id := range []string{"m0", "m1"} {
		if doc, _, _ := srv.Doc(paths[4+i]); !strings.Contains(string(doc), `"`+id+`":true`) {
			t.Errorf("%s not applied: %s", id, doc)
		}
	}
}

// Two operations under one id are refused before anything is sent (run
// as it was, the second would be skipped by -resume as done, and lost).
func TestApplyRefusesDuplicateIDs(t *testing.T) {
	srv := newServer(t, mockserver.Options{})
	paths := seedDocs(t, srv, "/dup/", 3)
	input := strings.Join([]string{
		appendOp("x", srv.URL+paths[0]), appendOp("y", srv.URL+paths[1]), appendOp("x", srv.URL+paths[2]),
	}, "\n")
	code, out, errOut := invoke(t, context.Background(), input, "apply")
	if code != exitUsage || out != "" {
		t.Errorf("exit %d, stdout %q; want 2 and nothing", code, out)
	}
	for _, want := range []string{"nothing was sent", `lines 1 and 3: two operations with id "x"`} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if n := srv.Stats().Requests; len(n) != 0 {
		t.Errorf("requests sent: %v", n)
	}
}

// An id (or, without ids, a line) that the earlier output reports for
// another operation is an error before anything is sent, not a skip.
func TestApplyResumeChangedOperation(t *testing.T) {
	srv := newServer(t, mockserver.Options{})
	paths := seedDocs(t, srv, "/chg/", 2)
	tests := []struct {
		name           string
		before, after  string
		wantInMessages string
	}{
		{"same id, another patch", appendOp("x", srv.URL+paths[0]), appendOp("x", srv.URL+paths[1]), `another operation under id "x"`},
		{"no id, another line 1", `{"url":"` + srv.URL + paths[0] + `","merge":{"a":1}}`, `{"url":"` + srv.URL + paths[0] + `","merge":{"a":2}}`, "another operation under line 1"},
		// The same line with another -base is another document.
		{"same line, another -base", `{"id":"r","url":"http://elsewhere.test` + paths[0] + `","merge":{"a":1}}`, `{"id":"r","url":"` + paths[0] + `","merge":{"a":1}}`, `another operation under id "r"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out.jsonl")
			appendFile(t, out, recordLine(t, tt.before, 1, statusOK))
			srv.ResetStats()
			code, stdout, errOut := invoke(t, context.Background(), tt.after, "apply", "-base", srv.URL, "-resume", out)
			if code != exitUsage || stdout != "" {
				t.Errorf("exit %d, stdout %q; want 2 and nothing", code, stdout)
			}
			if !strings.Contains(errOut, tt.wantInMessages) || !strings.Contains(errOut, out+":1") {
				t.Errorf("stderr lacks %q and the record's line:\n%s", tt.wantInMessages, errOut)
			}
			if n := srv.Stats().Requests; len(n) != 0 {
				t.Errorf("requests sent: %v", n)
			}
		})
	}
}

// Two outputs that report different operations under one id are not one
// input's record.
func TestLoadRecordConflict(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.jsonl"), filepath.Join(dir, "b.jsonl")
	appendFile(t, a, recordLine(t, appendOp("x", "http://x.test/1"), 1, statusUnknown))
	appendFile(t, b, recordLine(t, appendOp("x", "http://x.test/2"), 1, statusOK))
	if _, _, err := loadRecord([]string{a, b}); err == nil || !strings.Contains(err.Error(), "two different operations") {
		t.Errorf("err = %v, want two different operations", err)
	}
	// One operation in both: ok wins over unknown.
	c := filepath.Join(dir, "c.jsonl")
	appendFile(t, c, recordLine(t, appendOp("x", "http://x.test/1"), 1, statusOK))
	rec, _, err := loadRecord([]string{a, c})
	if err != nil || rec[`id:"x"`].status != statusOK {
		t.Errorf("record %v, %v; want x ok", rec[`id:"x"`], err)
	}
}

// An idempotent operation run again after an unknown outcome that now
// fails (its test no longer passes: maybe because the earlier write
// committed) stays unknown: failed would say nothing was written.
func TestApplyRerunFailureStaysUnknown(t *testing.T) {
	srv := newServer(t, mockserver.Options{})
	if _, err := srv.SetDoc("/g", []byte(`{"n":2}`)); err != nil {
		t.Fatal(err)
	}
	line := `{"id":"g","url":"` + srv.URL + `/g","patch":[{"op":"test","path":"/n","value":1},{"op":"replace","path":"/n","value":2}]}`
	out := filepath.Join(t.TempDir(), "out.jsonl")
	appendFile(t, out, recordLine(t, line, 1, statusUnknown))
	code, stdout, errOut := invoke(t, context.Background(), line, "apply", "-resume", out)
	rs := parseResults(t, stdout)
	if code != exitUnknown || len(rs) != 1 || rs[0].Status != statusUnknown || !rs[0].Rerun || !strings.Contains(rs[0].Error, "test failed") {
		t.Errorf("exit %d, results %+v; want 3 and g unknown after a rerun; stderr:\n%s", code, rs, errOut)
	}
}

// A JSON Patch guarded by its own test runs again after an unknown
// outcome, and its test settles it: the one whose earlier write did
// commit (ga) fails its test and stays unknown, applied once; the one whose
// write did not (gb) is applied now, once.
func TestApplyResumeGuarded(t *testing.T) {
	srv := newServer(t, mockserver.Options{})
	var paths, lines []string
	for _, id := range []string{"ga", "gb"} {
		p := "/guard/" + id
		if _, err := srv.SetDoc(p, []byte(`{"ops":[],"todo":true}`)); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
		lines = append(lines, fmt.Sprintf(`{"id":%q,"url":%q,"patch":[{"op":"test","path":"/todo","value":true},{"op":"remove","path":"/todo"},{"op":"add","path":"/ops/-","value":%q}]}`, id, srv.URL+p, id))
	}
	if code, _, errOut := invoke(t, context.Background(), lines[0], "apply"); code != exitOK {
		t.Fatalf("ga: exit %d; stderr:\n%s", code, errOut)
	}
	out := filepath.Join(t.TempDir(), "out.jsonl")
	appendFile(t, out, recordLine(t, lines[0], 1, statusUnknown)+recordLine(t, lines[1], 2, statusUnknown))
	code, stdout, errOut := invoke(t, context.Background(), strings.Join(lines, "\n"), "apply", "-resume", out)
	got := statusByID(t, stdout)
	if want := map[string]string{"ga": "unknown rerun", "gb": "ok rerun"}; fmt.Sprint(got) != fmt.Sprint(want) || code != exitUnknown {
		t.Errorf("exit %d, reported %v; want 3, %v; stderr:\n%s", code, got, want, errOut)
	}
	if applied := opsIn(t, srv, paths); applied["ga"] != 1 || applied["gb"] != 1 {
		t.Errorf("applied %v, want each once", applied)
	}
}

// Which operations reported unknown may run again: the idempotent ones,
// and JSON Patches guarded by their own test.
func TestSafeToRerun(t *testing.T) {
	patch := func(ops string) string { return `{"url":"http://x.test/d","patch":[` + ops + `]}` }
	tests := []struct {
		name, line string
		want       bool
	}{
		{"merge patch", `{"url":"http://x.test/d","merge":{"a":{"b":null},"c":[1]}}`, true},
		{"test and replace", patch(`{"op":"test","path":"/n","value":1},{"op":"replace","path":"/n","value":2}`), true},
		{"add and remove members", patch(`{"op":"add","path":"/a/b","value":1},{"op":"remove","path":"/c"}`), true},
		{"add the root", patch(`{"op":"add","path":"","value":{}}`), true},
		{"replace an element", patch(`{"op":"replace","path":"/items/0","value":1}`), true},
		{"append", patch(`{"op":"add","path":"/ops/-","value":1}`), false},
		{"insert", patch(`{"op":"add","path":"/ops/0","value":1}`), false},
		{"remove an element", patch(`{"op":"remove","path":"/ops/3"}`), false},
		{"copy", patch(`{"op":"copy","from":"/a","path":"/b"}`), false},
		{"move", patch(`{"op":"move","from":"/a","path":"/b"}`), false},
		// Guarded by their own test: a second run fails the test.
		{"guarded append", patch(`{"op":"test","path":"/v","value":3},{"op":"add","path":"/ops/-","value":"x"},{"op":"replace","path":"/v","value":4}`), true},
		{"guarded by a remove", patch(`{"op":"test","path":"/todo","value":true},{"op":"remove","path":"/todo"},{"op":"add","path":"/ops/-","value":"x"}`), true},
		{"guard inside an element", patch(`{"op":"test","path":"/a/1/v","value":3},{"op":"replace","path":"/a/1/v","value":4},{"op":"add","path":"/ops/-","value":1}`), true},
		{"test without a write", patch(`{"op":"test","path":"/v","value":3},{"op":"add","path":"/ops/-","value":"x"}`), false},
		{"writes the tested value", patch(`{"op":"test","path":"/v","value":3},{"op":"add","path":"/ops/-","value":"x"},{"op":"replace","path":"/v","value":3.0}`), false},
		{"written before the test", patch(`{"op":"replace","path":"/v","value":3},{"op":"test","path":"/v","value":3},{"op":"add","path":"/ops/-","value":"x"},{"op":"replace","path":"/v","value":4}`), false},
		{"written back", patch(`{"op":"test","path":"/v","value":3},{"op":"replace","path":"/v","value":4},{"op":"add","path":"/ops/-","value":"x"},{"op":"replace","path":"/v","value":3}`), false},
		{"its container replaced", patch(`{"op":"test","path":"/m/v","value":3},{"op":"replace","path":"/m/v","value":4},{"op":"add","path":"/ops/-","value":"x"},{"op":"add","path":"/m","value":{"v":3}}`), false},
		{"shifted by a remove beside it", patch(`{"op":"test","path":"/a/1/v","value":3},{"op":"replace","path":"/a/1/v","value":4},{"op":"remove","path":"/a/0"}`), false},
		{"removed element as the write", patch(`{"op":"test","path":"/a/0","value":1},{"op":"remove","path":"/a/0"},{"op":"add","path":"/ops/-","value":"x"}`), false},
		{"moved away", patch(`{"op":"test","path":"/v","value":3},{"op":"replace","path":"/v","value":4},{"op":"move","from":"/v","path":"/w"},{"op":"add","path":"/ops/-","value":"x"}`), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := newOpReader(strings.NewReader(tt.line), nil).next()
			if err != nil || o.err != nil {
				t.Fatalf("%s: %v %v", tt.line, err, o.err)
			}
			if got, what := safeToRerun(o); got != tt.want {
				t.Errorf("safe to rerun: %v (%s), want %v", got, what, tt.want)
			}
		})
	}
}
