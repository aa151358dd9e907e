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

// The operations engineer's run: 2% of write answers dropped after commit,
// no idempotency keys, then -resume with the first run's output. Half the
// operations append their id to an array (not idempotent: the document
// counts how often each was applied), half set a field of their own by
// merge patch (idempotent). Every operation must be applied at most once
// (an append found once; a merge patch may run again, which changes
// nothing), every one not settled must be reported unknown by the resumed
// run, and the counts must add up: the resumed run reruns exactly the
// merge patches reported unknown, skips and reports exactly the appends
// reported unknown, and writes nothing else.
func TestApplyDroppedAnswersThenResume(t *testing.T) {
	srv := newServer(t, mockserver.Options{Seed: 11})
	paths := seedDocs(t, srv, "/dr/", 50)
	var lines []string
	isAppend := map[string]bool{}
	for i := range 2000 {
		id, url := fmt.Sprintf("op%d", i), srv.URL+paths[i%len(paths)]
		if i%2 == 0 {
			lines, isAppend[id] = append(lines, appendOp(id, url)), true
		} else {
			lines = append(lines, fmt.Sprintf(`{"id":%q,"url":%q,"merge":{%q:true}}`, id, url, id))
		}
	}
	dir := t.TempDir()
	ops, out := filepath.Join(dir, "ops.jsonl"), filepath.Join(dir, "out.jsonl")
	if err := os.WriteFile(ops, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	common := []string{"apply", "-concurrency", "16", "-retry-wait-min", "1ms", "-retry-wait-max", "5ms", "-quiet"}

	srv.SetFaults(mockserver.Faults{DropRate: 0.02})
	code1, out1, errOut := invoke(t, context.Background(), "", append(common, ops)...)
	srv.SetFaults(mockserver.Faults{})
	if err := os.WriteFile(out, []byte(out1), 0o600); err != nil {
		t.Fatal(err)
	}
	first := statusByID(t, out1)
	var unknownAppends, unknownMerges, failed []string
	for id, s := range first {
		switch {
		case s == statusUnknown && isAppend[id]:
			unknownAppends = append(unknownAppends, id)
		case s == statusUnknown:
			unknownMerges = append(unknownMerges, id)
		case s == statusFailed:
			failed = append(failed, id)
		}
	}
	drops := srv.Stats().Faults.Drops
	t.Logf("run 1: exit %d, %d answers dropped, %d appends and %d merge patches unknown, %d failed", code1, drops, len(unknownAppends), len(unknownMerges), len(failed))
	if len(first) != len(lines) || code1 != exitUnknown {
		t.Fatalf("run 1: %d results, exit %d; want %d and 3; stderr:\n%s", len(first), code1, len(lines), errOut)
	}
	if len(unknownAppends) == 0 || len(unknownMerges) == 0 {
		t.Fatalf("the drops left no append or no merge patch unknown: the test proves nothing")
	}

	srv.ResetStats()
	code2, out2, errOut := invoke(t, context.Background(), "", append(common, "-resume", out, ops)...)
	second := statusByID(t, out2)
	st := srv.Stats()
	t.Logf("run 2: exit %d, %d results, %d commits; %s", code2, len(second), st.Commits, lastLine(errOut))
	if code2 != exitUnknown {
		t.Errorf("run 2: exit %d, want 3 (appends left unknown)", code2)
	}
	want := map[string]string{}
	for _, id := range unknownAppends {
		want[id] = "unknown skipped"
	}
	for _, id := range unknownMerges {
		want[id] = "ok rerun"
	}
	for _, id := range failed {
		want[id] = "ok"
	}
	if len(second) != len(want) {
		t.Errorf("run 2 reported %d operations, want %d", len(second), len(want))
	}
	for id, w := range want {
		if second[id] != w {
			t.Errorf("run 2: %s reported %q, want %q", id, second[id], w)
		}
	}
	if st.Commits > int64(len(unknownMerges)+len(failed)) {
		t.Errorf("run 2 committed %d writes; only the %d merge patches rerun and %d failures may write", st.Commits, len(unknownMerges), len(failed))
	}

	// The documents: every append at most once (here exactly once: a
	// drop comes after the commit), every merge patch's field set.
	applied := opsIn(t, srv, paths)
	for id := range isAppend {
		if applied[id] != 1 {
			t.Errorf("%s applied %d times, want once", id, applied[id])
		}
	}
	for i, line := range lines {
		id := fmt.Sprintf("op%d", i)
		if isAppend[id] {
			continue
		}
		if doc, _, _ := srv.Doc(paths[i%len(paths)]); !strings.Contains(string(doc), `"`+id+`":true`) {
			t.Errorf("%s (%s) not applied", id, line)
		}
	}
}

// statusByID reads an output into id -> status, with " skipped" and
// " rerun" added where the result says so; an id reported twice fails.
func statusByID(t *testing.T, out string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, r := range parseResults(t, out) {
		var id string
		if err := json.Unmarshal(r.ID, &id); err != nil {
			t.Fatalf("result without a string id: %+v", r)
		}
		if _, dup := m[id]; dup {
			t.Errorf("%s reported twice", id)
		}
		s := r.Status
		if r.Skipped {
			s += " skipped"
		}
		if r.Rerun {
			s += " rerun"
		}
		m[id] = s
	}
	return m
}
