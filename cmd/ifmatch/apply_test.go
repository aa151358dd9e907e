package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/ifmatch/ifmatch/mockserver"
)

// 2,000 operations over 500 documents (JSON Patches and merge patches),
// plus 300 patches to 5 hot documents, at -concurrency 16: every
// operation is reported exactly once, ok, and the documents end exactly
// as the operations say.
func TestApplyManyDocumentsAndHotOnes(t *testing.T) {
	srv := newServer(t, mockserver.Options{})
	type want struct {
		ops    []string
		fields map[string]string
	}
	wants := map[string]*want{}
	var lines []string
	addDoc := func(path string) {
		if _, err := srv.SetDoc(path, []byte(`{"ops":[]}`)); err != nil {
			t.Fatal(err)
		}
		wants[path] = &want{fields: map[string]string{}}
	}
	for d := range 500 {
		path := fmt.Sprintf("/docs/%d", d)
		addDoc(path)
		for j := range 4 {
			id := fmt.Sprintf("d%d-%d", d, j)
			if j%2 == 0 {
				lines = append(lines, appendOp(id, srv.URL+path))
				wants[path].ops = append(wants[path].ops, id)
				continue
			}
			field := fmt.Sprintf("f%d", j)
			lines = append(lines, fmt.Sprintf(`{"id":%q,"url":%q,"merge":{%q:%q}}`, id, srv.URL+path, field, id))
			wants[path].fields[field] = id
		}
	}
	for h := range 300 {
		path := fmt.Sprintf("/hot/%d", h%5)
		if wants[path] == nil {
			addDoc(path)
		}
		id := fmt.Sprintf("h%d", h)
		lines = append(lines, appendOp(id, srv.URL+path))
		wants[path].ops = append(wants[path].ops, id)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	rng.Shuffle(len(lines), func(i, j int) { lines[i], lines[j] = lines[j], lines[i] })

	code, out, errOut := invoke(t, context.Background(), strings.Join(lines, "\n")+"\n", "apply", "-concurrency", "16")
	if code != exitOK {
		t.Fatalf("exit %d, want 0; stderr:\n%s", code, errOut)
	}
	results := parseResults(t, out)
	if len(results) != len(lines) {
		t.Errorf("%d results, want %d", len(results), len(lines))
	}
	seen := map[string]bool{}
	for _, r := range results {
		if seen[string(r.ID)] {
			t.Errorf("%s reported twice", r.ID)
		}
		seen[string(r.ID)] = true
		if r.Status != statusOK || r.ETag == "" || r.Attempts < 1 {
			t.Errorf("result %+v, want ok with an etag and attempts", r)
		}
	}
	for path, w := range wants {
		doc, _, _ := srv.Doc(path)
		var got map[string]any
		if err := json.Unmarshal(doc, &got); err != nil {
			t.Fatal(err)
		}
		var gotOps []string
		for _, v := range got["ops"].([]any) {
			gotOps = append(gotOps, v.(string))
		}
		if !reflect.DeepEqual(sorted(gotOps), sorted(w.ops)) {
			t.Errorf("%s: ops %v, want %v", path, sorted(gotOps), sorted(w.ops))
		}
		delete(got, "ops")
		gotFields := map[string]string{}
		for k, v := range got {
			gotFields[k], _ = v.(string)
		}
		if !reflect.DeepEqual(gotFields, w.fields) {
			t.Errorf("%s: fields %v, want %v", path, gotFields, w.fields)
		}
	}
	if !strings.Contains(errOut, fmt.Sprintf("%d operations", len(lines))) || !strings.Contains(errOut, "0 failed, 0 unknown") {
		t.Errorf("summary:\n%s", errOut)
	}
}
