package mergepatch

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	jsonpatch "github.com/evanphx/json-patch/v5"

	"github.com/ifmatch/ifmatch/internal/jsonscan"
	"github.com/ifmatch/ifmatch/internal/jsontest"
)

func TestApply(t *testing.T) {
	tests := []struct {
		name, doc, patch, want string
		err                    error
	}{
		// RFC 7396 appendix A
		{"replace", `{"a":"b"}`, `{"a":"c"}`, `{"a":"c"}`, nil},
		{"add", `{"a":"b"}`, `{"b":"c"}`, `{"a":"b","b":"c"}`, nil},
		{"remove", `{"a":"b"}`, `{"a":null}`, `{}`, nil},
		{"remove one", `{"a":"b","b":"c"}`, `{"a":null}`, `{"b":"c"}`, nil},
		{"array replaces", `{"a":["b"]}`, `{"a":"c"}`, `{"a":"c"}`, nil},
		{"by an array", `{"a":"c"}`, `{"a":["b"]}`, `{"a":["b"]}`, nil},
		{"nested", `{"a":{"b":"c"}}`, `{"a":{"b":"d","c":null}}`, `{"a":{"b":"d"}}`, nil},
		{"array of objects", `{"a":[{"b":"c"}]}`, `{"a":[1]}`, `{"a":[1]}`, nil},
		{"arrays", `["a","b"]`, `["c","d"]`, `["c","d"]`, nil},
		{"object by array", `{"a":"b"}`, `["c"]`, `["c"]`, nil},
		{"null patch", `{"a":"foo"}`, `null`, `null`, nil},
		{"string patch", `{"a":"foo"}`, `"bar"`, `"bar"`, nil},
		{"null member kept", `{"e":null}`, `{"a":1}`, `{"e":null,"a":1}`, nil},
		{"array by object", `[1,2]`, `{"a":"b","c":null}`, `{"a":"b"}`, nil},
		{"new nested", `{}`, `{"a":{"bb":{"ccc":null}}}`, `{"a":{"bb":{}}}`, nil},
		// json-patch's choices, kept so that the SDK and the server agree
		{"nulls pruned in a new array", `{}`, `{"a":[{"b":null,"c":1}]}`, `{"a":[{"c":1}]}`, nil},
		{"null member set", `{"a":null}`, `{"a":{"b":null}}`, `{"a":{}}`, nil},
		{"null document", `null`, `{"a":1}`, ``, ErrDocument},
		{"not JSON", `{`, `{}`, ``, ErrDocument},
		{"patch not JSON", `{}`, `{`, ``, ErrPatch},
		// order: the document's members in place, new ones in the patch's order
		{"order kept", `{"z":1,"a":2,"m":3}`, `{"y":9,"a":null,"b":8,"m":{"x":1}}`, `{"z":1,"m":{"x":1},"y":9,"b":8}`, nil},
		{"repeated patch key", `{"a":1}`, `{"b":{"x":1},"b":{"y":2},"a":3,"a":null}`, `{"b":{"y":2}}`, nil},
		{"escaped keys", `{"a\"b":1,"\u00e9":2}`, `{"é":null,"a\"b":{"c":true}}`, `{"a\"b":{"c":true}}`, nil},
		{"whitespace", " { \"a\" : [ 1 , 2 ] } ", "{ \"b\" : { \"c\" : \"d e\" } }", `{"a":[1,2],"b":{"c":"d e"}}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Apply([]byte(tt.doc), []byte(tt.patch))
			if !errors.Is(err, tt.err) || string(got) != tt.want {
				t.Errorf("Apply(%s, %s) = %s, %v, want %s, %v", tt.doc, tt.patch, got, err, tt.want, tt.err)
			}
			if tt.err == nil {
				if ref, err := jsonpatch.MergePatch([]byte(tt.doc), []byte(tt.patch)); err != nil || !sameJSON(ref, got) {
					t.Errorf("json-patch makes %s (%v), Apply %s", ref, err, got)
				}
			}
		})
	}
}

// sameJSON reports whether a and b decode to the same value, numbers
// compared as written.
func sameJSON(a, b []byte) bool {
	va, ea := decode(a)
	vb, eb := decode(b)
	return ea == nil && eb == nil && reflect.DeepEqual(va, vb)
}

func decode(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	return v, err
}

// repeatsKey reports whether an object anywhere in v repeats a key, where
// json-patch keeps a removed member as null (see the package docs).
func repeatsKey(v []byte) bool {
	var buf bytes.Buffer
	if json.Compact(&buf, v) != nil {
		return false
	}
	var walk func(v []byte) bool
	walk = func(v []byte) bool {
		switch kind(v) {
		case '{':
			seen := map[string]bool{}
			for _, m := range jsonscan.Members(v) {
				if seen[m.Key] || walk(m.Value) {
					return true
				}
				seen[m.Key] = true
			}
		case '[':
			for _, e := range jsonscan.Elements(v) {
				if walk(e) {
					return true
				}
			}
		}
		return false
	}
	return walk(buf.Bytes())
}

// FuzzApply checks Apply against json-patch's MergePatch: the same
// document, or both refuse.
func FuzzApply(f *testing.F) {
	for _, s := range [][2]string{
		{`{"a":"b"}`, `{"a":"c"}`}, {`{"a":{"b":"c"}}`, `{"a":{"b":"d","c":null}}`}, {`[1,2]`, `{"a":"b","c":null}`},
		{`{}`, `{"a":[{"b":null}]}`}, {`{"a":null}`, `{"a":{"b":null}}`}, {`{"a":1}`, `null`}, {`null`, `{}`},
		{`{"a":[1]}`, `[{"x":null}]`}, {`{"a":{"b":[{"c":null}]}}`, `{"a":{"b":{"d":[null]}}}`}, {`{"a":1}`, `{"a":1,"a":null}`},
		{`"s"`, `{"x":{"y":null}}`}, {`{"k":{"l":{}}}`, `{"k":{"l":{"m":null,"n":[{"o":null}]}}}`},
	} {
		f.Add([]byte(s[0]), []byte(s[1]))
	}
	f.Fuzz(func(t *testing.T, doc, patch []byte) {
		if !json.Valid(doc) || !json.Valid(patch) || repeatsKey(doc) || repeatsKey(patch) {
			return
		}
		got, err := Apply(doc, patch)
		ref, refErr := jsonpatch.MergePatch(doc, patch)
		switch {
		case (err != nil) != (refErr != nil):
			t.Fatalf("Apply(%s, %s) = %s, %v; json-patch %s, %v", doc, patch, got, err, ref, refErr)
		case err == nil && !sameJSON(got, ref):
			t.Fatalf("Apply(%s, %s) = %s; json-patch %s", doc, patch, got, ref)
		}
		if err == nil && !json.Valid(got) {
			t.Fatalf("Apply(%s, %s) = %s: not JSON", doc, patch, got)
		}
	})
}

// TestApplyWideObjects merges patches of many keys, half of them new, and
// checks the result against json-patch.
func TestApplyWideObjects(t *testing.T) {
	for _, n := range []int{1, 100, 2_000} {
		doc, patch := []byte(jsontest.Flat(n, `1`)), []byte(jsontest.Flat(2*n, `{"x":null,"y":2}`))
		got, err := Apply(doc, patch)
		ref, _ := jsonpatch.MergePatch(doc, patch)
		if err != nil || !sameJSON(got, ref) {
			t.Errorf("%d keys: Apply = %.80s (%v), json-patch %.80s", n, got, err, ref)
		}
	}
}

// BenchmarkApply50kKeys is the merge patch that took json-patch 28 s.
func BenchmarkApply50kKeys(b *testing.B) {
	doc, patch := []byte(jsontest.Flat(50_000, `1`)), []byte(jsontest.Flat(50_000, `"v"`))
	b.SetBytes(int64(len(patch)))
	for b.Loop() {
		if _, err := Apply(doc, patch); err != nil {
			b.Fatal(err)
		}
	}
}
