package main

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/ifmatch/ifmatch/mockserver"
)

func TestResolveShard(t *testing.T) {
	tests := []struct {
		name    string
		flag    string
		count   int
		env     string
		want    shard
		wantErr string
		warns   bool
	}{
		{name: "none", want: shard{0, 1}},
		{name: "flag", flag: "2/5", want: shard{2, 5}},
		{name: "flag and matching count", flag: "2/5", count: 5, env: "4", want: shard{2, 5}},
		{name: "indexed job", count: 3, env: "1", want: shard{1, 3}},
		{name: "index without count", env: "1", want: shard{0, 1}, warns: true},
		{name: "count without index", count: 3, wantErr: "JOB_COMPLETION_INDEX"},
		{name: "index out of range", count: 3, env: "3", wantErr: "want 0 <= index"},
		{name: "index not a number", count: 3, env: "x", wantErr: "want 0 <= index"},
		{name: "flag out of range", flag: "5/5", wantErr: "0 <= i < n"},
		{name: "flag malformed", flag: "1-5", wantErr: "i/n"},
		{name: "flag and count disagree", flag: "1/5", count: 4, wantErr: "disagree"},
		{name: "negative count", count: -1, wantErr: "positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			warned := false
			got, err := resolveShard(tt.flag, tt.count, func(string) string { return tt.env }, func(string) { warned = true })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want || warned != tt.warns {
				t.Errorf("got %v, %v, warned %v; want %v, nil, %v", got, err, warned, tt.want, tt.warns)
			}
		})
	}
}

// Three shards run the same input: each operation runs in exactly one,
// every operation on one document in the same one, and the shards share
// the work.
func TestApplyShards(t *testing.T) {
	srv := newServer(t, mockserver.Options{})
	var lines []string
	for i := range 120 {
		p := fmt.Sprintf("/sh/%d", i%30)
		if i < 30 {
			if _, err := srv.SetDoc(p, []byte(`{"ops":[]}`)); err != nil {
				t.Fatal(err)
			}
		}
		url := srv.URL + p
		if i%2 == 1 { // another spelling of the same document
			url = strings.Replace(url, "http://", "HTTP://", 1)
		}
		lines = append(lines, appendOp(fmt.Sprintf("op%d", i), url))
	}
	input := strings.Join(lines, "\n")
	shardOf := map[string]int{} // op id -> shard
	docShard := map[string]int{}
	t.Setenv(envShardIndex, "")
	for i := range 3 {
		t.Setenv(envShardIndex, fmt.Sprint(i))
		code, out, errOut := invoke(t, context.Background(), input, "apply", "-shards", "3")
		if code != exitOK {
			t.Fatalf("shard %d: exit %d; stderr:\n%s", i, code, errOut)
		}
		rs := parseResults(t, out)
		if len(rs) == 0 || len(rs) == len(lines) {
			t.Errorf("shard %d ran %d of %d operations", i, len(rs), len(lines))
		}
		for _, r := range rs {
			if prev, dup := shardOf[string(r.ID)]; dup {
				t.Errorf("%s ran in shards %d and %d", r.ID, prev, i)
			}
			shardOf[string(r.ID)] = i
			doc := strings.ToLower(r.URL)
			if prev, seen := docShard[doc]; seen && prev != i {
				t.Errorf("%s written by shards %d and %d", doc, prev, i)
			}
			docShard[doc] = i
		}
		if !strings.Contains(errOut, fmt.Sprintf("shard %d/3", i)) {
			t.Errorf("shard %d: summary lacks the shard:\n%s", i, errOut)
		}
	}
	if len(shardOf) != len(lines) {
		t.Errorf("%d operations ran, want %d", len(shardOf), len(lines))
	}
}
