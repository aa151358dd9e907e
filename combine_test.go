package ifmatch

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"github.com/ifmatch/ifmatch/internal/merge3"
)

// mergeSequence applies the merge patches one after the other, as the
// server would if each were sent alone.
func mergeSequence(t testing.TB, doc []byte, patches [][]byte) ([]byte, error) {
	t.Helper()
	for _, p := range patches {
		out, err := jsonpatch.MergePatch(doc, p)
		if err != nil {
			return nil, err
		}
		doc = out
	}
	return doc, nil
}

// checkCombined checks that whatever prefix of patches the batch accepts
// means, applied to doc as one patch, what applying that prefix in order
// means.
func checkCombined(t testing.TB, doc []byte, patches [][]byte) {
	t.Helper()
	b := newPatchBatch(contentMergePatch, -1)
	n := 0
	for _, p := range patches {
		if !b.add(p) {
			break
		}
		n++
	}
	if n == 0 {
		t.Fatalf("the first patch must always join")
	}
	want, werr := mergeSequence(t, doc, patches[:n])
	got, gerr := jsonpatch.MergePatch(doc, b.body())
	if (werr == nil) != (gerr == nil) {
		t.Fatalf("doc %s, patches %q combined as %s: error in sequence %v, combined %v", doc, patches[:n], b.body(), werr, gerr)
	}
	if werr != nil {
		return
	}
	wv, _ := merge3.Decode(want)
	gv, _ := merge3.Decode(got)
	if !merge3.Equal(wv, gv) {
		t.Fatalf("doc %s, patches %q combined as %s: in sequence %s, combined %s", doc, patches[:n], b.body(), want, got)
	}
}

func TestMergeCombine(t *testing.T) {
	tests := []struct {
		name    string
		doc     string
		patches []string
		joined  int // how many the batch takes
	}{
		{"disjoint members", `{"a":1,"b":2}`, []string{`{"a":3}`, `{"b":4}`}, 2},
		{"later scalar wins", `{"a":1}`, []string{`{"a":2}`, `{"a":3}`}, 2},
		{"nested objects combine", `{"o":{"x":1,"y":2}}`, []string{`{"o":{"x":5}}`, `{"o":{"y":null,"z":3}}`}, 2},
		{"object then null deletes", `{"o":{"x":1}}`, []string{`{"o":{"y":2}}`, `{"o":null}`}, 2},
		{"null then object replaces whole: not combined", `{"o":{"x":1}}`, []string{`{"o":null}`, `{"o":{"y":2}}`}, 1},
		{"scalar then object: not combined", `{"o":{"x":1}}`, []string{`{"o":7}`, `{"o":{"y":2}}`}, 1},
		{"array then object: not combined", `{"o":{"x":1}}`, []string{`{"o":[1]}`, `{"o":{"y":2}}`}, 1},
		{"object then array", `{"o":{"x":1}}`, []string{`{"o":{"y":2}}`, `{"o":[1]}`}, 2},
		{"non-object patch alone", `{"a":1}`, []string{`[1,2]`, `{"a":2}`}, 1},
		{"non-object after an object: not combined", `{"a":1}`, []string{`{"a":2}`, `"x"`}, 1},
		{"three in a row", `{}`, []string{`{"a":{"b":1}}`, `{"a":{"c":2}}`, `{"a":{"b":null}}`}, 3},
		{"numbers kept exact", `{}`, []string{`{"a":12345678901234567890}`, `{"b":1.50}`}, 2},
		{"html kept as is", `{}`, []string{`{"a":"<&>"}`, `{"b":1}`}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newPatchBatch(contentMergePatch, -1)
			n := 0
			for _, p := range tt.patches {
				if !b.add([]byte(p)) {
					break
				}
				n++
			}
			if n != tt.joined {
				t.Fatalf("joined %d patches, want %d", n, tt.joined)
			}
			ps := make([][]byte, len(tt.patches))
			for i, p := range tt.patches {
				ps[i] = []byte(p)
			}
			checkCombined(t, []byte(tt.doc), ps)
			if tt.name == "html kept as is" && !bytes.Contains(b.body(), []byte("<&>")) {
				t.Errorf("body %s escapes HTML", b.body())
			}
		})
	}
}

func TestJSONPatchCombine(t *testing.T) {
	tests := []struct {
		name    string
		patches []string
		limit   int64
		want    string
		joined  int
	}{
		{"one as it came", []string{` [ {"op":"add","path":"/a","value":1} ] `}, -1, ` [ {"op":"add","path":"/a","value":1} ] `, 1},
		{"concatenated", []string{`[{"op":"add","path":"/a","value":1}]`, `[{"op":"remove","path":"/b"}]`}, -1,
			`[{"op":"add","path":"/a","value":1},{"op":"remove","path":"/b"}]`, 2},
		{"empty patches skipped", []string{`[]`, `[{"op":"remove","path":"/b"}]`, `[ ]`}, -1, `[{"op":"remove","path":"/b"}]`, 3},
		{"limit", []string{`[{"op":"remove","path":"/a"}]`, `[{"op":"remove","path":"/b"}]`}, 40, `[{"op":"remove","path":"/a"}]`, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newPatchBatch(contentJSONPatch, tt.limit)
			n := 0
			for _, p := range tt.patches {
				if !b.add([]byte(p)) {
					break
				}
				n++
			}
			if n != tt.joined || string(b.body()) != tt.want {
				t.Errorf("joined %d, body %s; want %d, %s", n, b.body(), tt.joined, tt.want)
			}
		})
	}
}

// randomJSON builds a small JSON value whose objects reuse few keys, so
// that patches collide.
func randomJSON(r *rand.Rand, depth int, patch bool) any {
	k := r.IntN(7)
	if depth <= 0 && k >= 5 {
		k = r.IntN(5)
	}
	switch k {
	case 0:
		if patch {
			return nil
		}
		return r.IntN(3)
	case 1:
		return r.IntN(3)
	case 2:
		return []string{"s", "t"}[r.IntN(2)]
	case 3:
		return r.IntN(2) == 0
	case 4:
		return []any{r.IntN(2)}
	default:
		m := map[string]any{}
		for range r.IntN(4) {
			m[[]string{"a", "b", "c"}[r.IntN(3)]] = randomJSON(r, depth-1, patch)
		}
		return m
	}
}

// TestMergeCombineRandom is the property: combining never changes what a
// run of merge patches means, on random documents and patches.
func TestMergeCombineRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		doc, _ := json.Marshal(map[string]any{"a": randomJSON(r, 3, false), "b": randomJSON(r, 3, false)})
		var ps [][]byte
		for range 1 + r.IntN(4) {
			p := randomJSON(r, 3, true)
			if r.IntN(8) != 0 {
				m := map[string]any{}
				for range 1 + r.IntN(3) {
					m[[]string{"a", "b", "c"}[r.IntN(3)]] = randomJSON(r, 2, true)
				}
				p = m
			}
			b, _ := json.Marshal(p)
			ps = append(ps, b)
		}
		checkCombined(t, doc, ps)
	}
}

// FuzzMergeCombine checks the same property on any input.
func FuzzMergeCombine(f *testing.F) {
	f.Add([]byte(`{"o":{"x":1}}`), []byte(`{"o":{"y":2}}`), []byte(`{"o":null}`))
	f.Add([]byte(`{"o":{"x":1}}`), []byte(`{"o":null}`), []byte(`{"o":{"y":2}}`))
	f.Add([]byte(`{}`), []byte(`{"a":{"b":null}}`), []byte(`{"a":{"c":[]}}`))
	f.Fuzz(func(t *testing.T, doc, p1, p2 []byte) {
		if !json.Valid(doc) || !json.Valid(p1) || !json.Valid(p2) {
			return
		}
		var v any
		if json.Unmarshal(doc, &v) != nil {
			return
		}
		if _, ok := v.(map[string]any); !ok {
			return
		}
		checkCombined(t, doc, [][]byte{p1, p2})
	})
}
