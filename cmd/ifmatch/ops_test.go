package main

import (
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOpReader(t *testing.T) {
	base, _ := url.Parse("http://api.test/v1/")
	tests := []struct {
		name    string
		line    string
		wantURL string
		wantKey string
		wantErr string
		isPatch bool
	}{
		{name: "patch", line: `{"id":"a","url":"http://x.test/d","patch":[]}`, wantURL: "http://x.test/d", wantKey: `id:"a"`, isPatch: true},
		{name: "merge, numeric id", line: `{"id":12,"url":"http://x.test/d","merge":{"a":1}}`, wantURL: "http://x.test/d", wantKey: "id:12"},
		{name: "no id: the line", line: `{"url":"items/1","merge":null,"patch":[]}`, wantURL: "http://api.test/v1/items/1", wantKey: "line:1", isPatch: true},
		{name: "id spelled as the output spells it", line: `{"id":"a<b","url":"http://x.test/d","merge":{}}`, wantURL: "http://x.test/d", wantKey: `id:"a\u003cb"`},
		{name: "not JSON", line: `{"url"`, wantErr: "not an operation"},
		{name: "unknown field", line: `{"url":"http://x.test/d","pach":[]}`, wantErr: "unknown field"},
		{name: "both", line: `{"url":"http://x.test/d","patch":[],"merge":{}}`, wantErr: "exactly one"},
		{name: "neither", line: `{"url":"http://x.test/d"}`, wantErr: "exactly one"},
		{name: "patch not an array", line: `{"url":"http://x.test/d","patch":{}}`, wantErr: "array"},
		{name: "no url", line: `{"merge":{}}`, wantErr: `missing "url"`},
		{name: "object id", line: `{"id":{},"url":"http://x.test/d","merge":{}}`, wantErr: "string or a number"},
		{name: "two values", line: `{"url":"http://x.test/d","merge":{}} {}`, wantErr: "more than one"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newOpReader(strings.NewReader(tt.line+"\n"), base)
			o, err := r.next()
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantErr != "" {
				if o.err == nil || !strings.Contains(o.err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", o.err, tt.wantErr)
				}
				return
			}
			if o.err != nil {
				t.Fatal(o.err)
			}
			if o.url != tt.wantURL || o.key() != tt.wantKey || (o.patch != nil) != tt.isPatch {
				t.Errorf("url %q, key %q, patch %v; want %q, %q, %v", o.url, o.key(), o.patch != nil, tt.wantURL, tt.wantKey, tt.isPatch)
			}
			if _, err := r.next(); err != io.EOF {
				t.Errorf("then %v, want EOF", err)
			}
		})
	}
}

// Blank lines are skipped and counted, so that line numbers match the
// file's.
func TestOpReaderLineNumbers(t *testing.T) {
	r := newOpReader(strings.NewReader("\n  \n"+`{"url":"http://x.test/d","merge":{}}`), nil)
	o, err := r.next()
	if err != nil || o.line != 3 {
		t.Errorf("line %v, err %v; want 3", o, err)
	}
}

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://api.test/items/1", "https://api.test/items/1"},
		{"https://user:pw@api.test/items/1?key=s3cret&x=1#frag", "https://api.test/items/1?key=REDACTED&x=REDACTED"},
		{"%zz?key=s3cret", "%zz"},
	}
	for _, tt := range tests {
		if got := redact(tt.in); got != tt.want {
			t.Errorf("redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// The input is counted ahead, for the ETA: the operations this run will
// report, without those done before or left to other shards.
func TestCheckInputCounts(t *testing.T) {
	name := filepath.Join(t.TempDir(), "ops.jsonl")
	var lines []string
	for i := range 10 {
		lines = append(lines, fmt.Sprintf(`{"id":"op%d","url":"http://x.test/d%d","merge":{}}`, i, i))
	}
	lines = append(lines, "", "not json")
	if err := os.WriteFile(name, []byte(strings.Join(lines, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	rec := record{`id:"op0"`: {status: statusOK}, `id:"op1"`: {status: statusOK}}
	in, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	total, err := checkInput(in, nil, shard{0, 1}, rec, unknownSafe)
	if err != nil {
		t.Fatal(err)
	}
	if total != 9 { // 8 not done, and the invalid line
		t.Errorf("total %d, want 9", total)
	}
	// The input is then read from the start.
	if o, err := newOpReader(in, nil).next(); err != nil || o.line != 1 {
		t.Errorf("first operation %+v, %v; want line 1", o, err)
	}
	var sum int64
	for i := range 3 {
		if _, err := in.Seek(0, 0); err != nil {
			t.Fatal(err)
		}
		total, err := checkInput(in, nil, shard{i, 3}, rec, unknownSafe)
		if err != nil {
			t.Fatal(err)
		}
		sum += total
	}
	if sum != 9 {
		t.Errorf("shards count %d operations in all, want 9", sum)
	}
}
