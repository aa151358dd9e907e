package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ifmatch/ifmatch/mockserver"
)

// The Indexed Job of examples/k8s-job, on one machine: three processes of
// the built binary, each with its JOB_COMPLETION_INDEX and -shards 3, run
// one input against one server at once. Across the three outputs every
// operation is reported exactly once, each document is written by one
// shard only, and every operation is applied once. Then the runbook:
// the operator fixes what made the guarded operations fail and resumes
// from all the shards' outputs on one machine, which runs exactly the
// failures.
func TestApplyShardProcesses(t *testing.T) {
	bin := ifmatchBinary(t)
	const shards = 3
	srv := newServer(t, mockserver.Options{})
	paths := seedDocs(t, srv, "/sh/", 60)
	var lines, ids []string
	for i := range 480 {
		id := fmt.Sprintf("op%d", i)
		ids, lines = append(ids, id), append(lines, appendOp(id, srv.URL+paths[i%len(paths)]))
	}
	// Guarded operations that fail until the documents are "ready".
	for j := range 12 {
		id := fmt.Sprintf("g%d", j)
		ids = append(ids, id)
		lines = append(lines, fmt.Sprintf(`{"id":%q,"url":%q,"patch":[{"op":"test","path":"/ready","value":true},{"op":"add","path":"/ops/-","value":%q}]}`,
			id, srv.URL+paths[j*5], id))
	}
	dir := t.TempDir()
	ops := filepath.Join(dir, "ops.jsonl")
	if err := os.WriteFile(ops, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	outs := make([]string, shards)
	codes := make([]int, shards)
	stderrs := make([]strings.Builder, shards)
	var wg sync.WaitGroup
	for i := range shards {
		outs[i] = filepath.Join(dir, fmt.Sprintf("out-%d.jsonl", i))
		f, err := os.Create(outs[i])
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bin, "apply", "-shards", fmt.Sprint(shards), "-concurrency", "4", "-quiet", "-resume", outs[i], ops)
		cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%d", envShardIndex, i))
		cmd.Stdout, cmd.Stderr = f, &stderrs[i]
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			codes[i] = exitCode(t, cmd.Wait())
			f.Close()
		})
	}
	wg.Wait()

	reportedBy := map[string]int{} // id -> shard
	writer := map[string]int{}     // document -> shard
	failed := 0
	for i := range shards {
		if codes[i] != exitOK && codes[i] != exitFailed {
			t.Errorf("shard %d: exit %d; stderr:\n%s", i, codes[i], stderrs[i].String())
		}
		b, err := os.ReadFile(outs[i])
		if err != nil {
			t.Fatal(err)
		}
		rs := parseResults(t, string(b))
		if len(rs) == 0 {
			t.Errorf("shard %d ran nothing", i)
		}
		for _, r := range rs {
			var id string
			json.Unmarshal(r.ID, &id)
			if prev, dup := reportedBy[id]; dup {
				t.Errorf("%s reported by shards %d and %d", id, prev, i)
			}
			reportedBy[id] = i
			if prev, seen := writer[r.URL]; seen && prev != i {
				t.Errorf("%s written by shards %d and %d", r.URL, prev, i)
			}
			writer[r.URL] = i
			switch {
			case r.Status == statusFailed && strings.HasPrefix(id, "g"):
				failed++
			case r.Status != statusOK:
				t.Errorf("%s: %s, %s", id, r.Status, r.Error)
			}
		}
	}
	if len(reportedBy) != len(ids) || failed != 12 {
		t.Errorf("%d operations reported, %d guarded ones failed; want %d and 12", len(reportedBy), failed, len(ids))
	}

	// The runbook: make the guarded documents ready, then resume on one
	// machine from every shard's output.
	for j := range 12 {
		p := paths[j*5]
		doc, _, _ := srv.Doc(p)
		var d map[string]any
		if err := json.Unmarshal(doc, &d); err != nil {
			t.Fatal(err)
		}
		d["ready"] = true
		b, _ := json.Marshal(d)
		if _, err := srv.SetDoc(p, b); err != nil {
			t.Fatal(err)
		}
	}
	args := []string{"apply", "-quiet"}
	for _, o := range outs {
		args = append(args, "-resume", o)
	}
	cmd := exec.Command(bin, append(args, ops)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if code := exitCode(t, err); code != exitOK {
		t.Errorf("resume: exit %d; stderr:\n%s", code, stderr.String())
	}
	resumed := statusByID(t, string(out))
	if len(resumed) != 12 {
		t.Errorf("resume ran %d operations, want the 12 failures: %v", len(resumed), resumed)
	}
	for id, s := range resumed {
		if !strings.HasPrefix(id, "g") || s != statusOK {
			t.Errorf("resume: %s %s, want only the guarded ones, ok", id, s)
		}
	}
	applied := opsIn(t, srv, paths)
	for _, id := range ids {
		if applied[id] != 1 {
			t.Errorf("%s applied %d times, want once", id, applied[id])
		}
	}
}
