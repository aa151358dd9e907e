package patchfix

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	jsonpatch "github.com/evanphx/json-patch/v5"
)

// rfcOptions are the callers' options: RFC 6902 as written.
func rfcOptions() *jsonpatch.ApplyOptions {
	o := jsonpatch.NewApplyOptions()
	o.SupportNegativeIndices = false
	o.EscapeHTML = false
	return o
}

type suiteCase struct {
	Comment  string          `json:"comment"`
	Doc      json.RawMessage `json:"doc"`
	Patch    json.RawMessage `json:"patch"`
	Expected json.RawMessage `json:"expected"`
	Error    string          `json:"error"`
	Disabled bool            `json:"disabled"`
}

// TestSuite runs the vendored JSON Patch suite through Apply and through
// the strict path alone, so that the strict path is proven on every case,
// not only on those Apply routes to it.
func TestSuite(t *testing.T) {
	var cases []suiteCase
	for _, f := range []string{"tests.json", "spec_tests.json"} {
		data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "conformance", f))
		if err != nil {
			t.Fatal(err)
		}
		var all []suiteCase
		if err := json.Unmarshal(data, &all); err != nil {
			t.Fatal(err)
		}
		for _, c := range all {
			if c.Patch != nil && !c.Disabled {
				cases = append(cases, c)
			}
		}
	}
	if len(cases) != 108 {
		t.Fatalf("%d enabled cases, want 108", len(cases))
	}
	appliers := []struct {
		name  string
		apply func(jsonpatch.Patch, []byte, *jsonpatch.ApplyOptions) ([]byte, error)
	}{
		{"Apply", Apply},
		{"strict", applyStrict},
	}
	for _, a := range appliers {
		t.Run(a.name, func(t *testing.T) {
			for i, c := range cases {
				t.Run(fmt.Sprintf("%03d %s", i, c.Comment), func(t *testing.T) {
					p, err := jsonpatch.DecodePatch(c.Patch)
					if err != nil {
						if c.Error != "" {
							return
						}
						t.Fatal(err)
					}
					out, err := a.apply(p, c.Doc, rfcOptions())
					if c.Error != "" {
						if err == nil {
							t.Fatalf("got %s, want an error (%s)", out, c.Error)
						}
						return
					}
					want := c.Expected
					if want == nil {
						want = c.Doc
					}
					if err != nil || !sameJSON(out, want) {
						t.Fatalf("got %s, %v; want %s", out, err, want)
					}
				})
			}
		})
	}
}

func TestApply(t *testing.T) {
	tests := []struct {
		name, doc, patch string
		want             string // "" for an error
		is               error  // the sentinel an error must wrap
	}{
		{"empty key test", `{"":1}`, `[{"op":"test","path":"/","value":1}]`, `{"":1}`, nil},
		{"empty key test of the parent fails", `{"":1}`, `[{"op":"test","path":"/","value":{"":1}}]`, "", jsonpatch.ErrTestFailed},
		{"empty key copy", `{"":1}`, `[{"op":"copy","from":"/","path":"/x"}]`, `{"":1,"x":1}`, nil},
		{"empty key inside", `{"a":{"":{"b":1}}}`, `[{"op":"replace","path":"/a//b","value":2}]`, `{"a":{"":{"b":2}}}`, nil},
		{"empty key on an array", `[1]`, `[{"op":"test","path":"/","value":[1]}]`, "", jsonpatch.ErrTestFailed},
		{"leading zero", `["foo","bar"]`, `[{"op":"test","path":"/01","value":"bar"}]`, "", jsonpatch.ErrTestFailed},
		{"leading zero remove", `["foo","bar"]`, `[{"op":"remove","path":"/00"}]`, "", jsonpatch.ErrInvalidIndex},
		{"plus", `["foo","bar"]`, `[{"op":"remove","path":"/+1"}]`, "", jsonpatch.ErrInvalidIndex},
		{"negative zero", `["foo","bar"]`, `[{"op":"remove","path":"/-0"}]`, "", jsonpatch.ErrInvalidIndex},
		{"leading zero as a member name", `{"01":1}`, `[{"op":"replace","path":"/01","value":2}]`, `{"01":2}`, nil},
		{"bad escape", `{"a~2":1}`, `[{"op":"remove","path":"/a~2"}]`, "", jsonpatch.ErrInvalid},
		{"no leading slash", `{"a":1}`, `[{"op":"remove","path":"a"}]`, "", nil},
		{"member order kept by replace", `{"z":1,"":2,"a":3}`, `[{"op":"replace","path":"/","value":0}]`, `{"z":1,"":0,"a":3}`, nil},
		{"numbers as written", `{"":1.50,"n":1e2}`, `[{"op":"test","path":"/","value":1.5}]`, `{"":1.50,"n":1e2}`, nil},
		{"missing target of a test", `{"":1}`, `[{"op":"test","path":"//x","value":null}]`, "", jsonpatch.ErrTestFailed},
		{"move into itself", `{"":{"a":1}}`, `[{"op":"move","from":"/","path":"//a/b"}]`, "", jsonpatch.ErrInvalid},
		{"move to the same place", `{"":1}`, `[{"op":"move","from":"/","path":"/"}]`, `{"":1}`, nil},
		{"copy the whole document onto itself", `{"a":1}`, `[{"op":"copy","from":"","path":""}]`, `{"a":1}`, nil},
		{"copy the whole document after a change", `{"a":1}`, `[{"op":"add","path":"/b","value":2},{"op":"copy","from":"","path":"/c"}]`, `{"a":1,"b":2,"c":{"a":1,"b":2}}`, nil},
		{"add to the end", `{"":[1]}`, `[{"op":"add","path":"//-","value":2}]`, `{"":[1,2]}`, nil},
		{"html kept", `{"":"<&>"}`, `[{"op":"add","path":"/","value":"<a>"}]`, `{"":"<a>"}`, nil},
		{"replace the whole document", `{"":1}`, `[{"op":"test","path":"/","value":1},{"op":"replace","path":"","value":[]}]`, `[]`, nil},
		{"remove the whole document", `{"":1}`, `[{"op":"remove","path":"/"},{"op":"remove","path":""}]`, "", jsonpatch.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := jsonpatch.DecodePatch([]byte(tt.patch))
			if err != nil {
				t.Fatal(err)
			}
			got, err := Apply(p, []byte(tt.doc), rfcOptions())
			if tt.want == "" {
				if err == nil || tt.is != nil && !errors.Is(err, tt.is) {
					t.Fatalf("Apply = %s, %v; want an error matching %v", got, err, tt.is)
				}
				return
			}
			if err != nil || string(got) != tt.want {
				t.Fatalf("Apply = %s, %v; want %s", got, err, tt.want)
			}
		})
	}
}

func TestCopySizeLimit(t *testing.T) {
	opts := rfcOptions()
	opts.AccumulatedCopySizeLimit = 10
	p, _ := jsonpatch.DecodePatch([]byte(`[{"op":"copy","from":"/","path":"/a"},{"op":"copy","from":"/","path":"/b"}]`))
	_, err := Apply(p, []byte(`{"":"12345678"}`), opts)
	var ce *jsonpatch.AccumulatedCopySizeError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v, want an AccumulatedCopySizeError", err)
	}
}

func TestNeedsStrict(t *testing.T) {
	tests := []struct {
		patch string
		want  bool
	}{
		{`[{"op":"add","path":"/a/0/b","value":1}]`, false},
		{`[{"op":"add","path":"","value":1}]`, false},
		{`[{"op":"add","path":"/a/-","value":1}]`, false},
		{`[{"op":"add","path":"/a/10","value":1}]`, false},
		{`[{"op":"add","path":"/a~0~1b","value":1}]`, false},
		{`[{"op":"add","path":"/a/-x","value":1}]`, false},
		{`[{"op":"add","path":"/","value":1}]`, true},
		{`[{"op":"add","path":"/a/","value":1}]`, true},
		{`[{"op":"add","path":"/a//b","value":1}]`, true},
		{`[{"op":"add","path":"/a/00","value":1}]`, true},
		{`[{"op":"add","path":"/a/+1","value":1}]`, true},
		{`[{"op":"add","path":"/a/-0","value":1}]`, true},
		{`[{"op":"add","path":"a","value":1}]`, true},
		{`[{"op":"add","path":"/a~","value":1}]`, true},
		{`[{"op":"add","path":"/a~2","value":1}]`, true},
		{`[{"op":"add","path":"/a\/b","value":1}]`, true},
		{`[{"op":"copy","from":"/","path":"/a"}]`, true},
		{`[{"op":"test","path":"/a"}]`, true},
		{`[{"op":"copy","from":"","path":"/a"}]`, true},
		{`[{"op":"remove","path":""}]`, true},
		{`[{"op":"replace","path":"","value":1}]`, false},
		{`[{"op":"remove","path":"/a"}]`, false},
		{`[{"op":"test","path":"/a","value":1},{"op":"move","from":"/01","path":"/b"}]`, true},
	}
	for _, tt := range tests {
		t.Run(tt.patch, func(t *testing.T) {
			p, err := jsonpatch.DecodePatch([]byte(tt.patch))
			if err != nil {
				t.Fatal(err)
			}
			if got := needsStrict(p); got != tt.want {
				t.Fatalf("needsStrict = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestUpstreamStillBroken fails once json-patch/v5 reads these pointers
// as RFC 6901 does: then the strict path (and this package) can go.
func TestUpstreamStillBroken(t *testing.T) {
	for _, c := range []struct{ doc, patch string }{
		{`{"":1}`, `[{"op":"test","path":"/","value":1}]`},
		{`["foo","bar"]`, `[{"op":"test","path":"/01","value":"bar"}]`},
	} {
		p, _ := jsonpatch.DecodePatch([]byte(c.patch))
		_, libErr := p.ApplyWithOptions([]byte(c.doc), rfcOptions())
		_, strictErr := applyStrict(p, []byte(c.doc), rfcOptions())
		if (libErr == nil) == (strictErr == nil) {
			t.Errorf("json-patch/v5 now agrees with RFC 6901 on %s applied to %s: drop internal/patchfix", c.patch, c.doc)
		}
	}
}

// FuzzApply checks that the strict path never panics, and that on patches
// Apply leaves to the library, both agree whenever both succeed.
func FuzzApply(f *testing.F) {
	f.Add(`{"":1,"a":[1,2]}`, `[{"op":"test","path":"/","value":1}]`)
	f.Add(`{"a":{"b":[1,{"c":2}]}}`, `[{"op":"move","from":"/a/b/1","path":"/a/x"},{"op":"copy","from":"/a","path":"/y"}]`)
	f.Add(`["foo","bar"]`, `[{"op":"add","path":"/1","value":"x"},{"op":"remove","path":"/0"},{"op":"replace","path":"/-","value":1}]`)
	f.Fuzz(func(t *testing.T, doc, patch string) {
		p, err := jsonpatch.DecodePatch([]byte(patch))
		if err != nil || !json.Valid([]byte(doc)) {
			return
		}
		strict, err := applyStrict(p, []byte(doc), rfcOptions())
		if err != nil {
			return
		}
		if !json.Valid(strict) {
			t.Fatalf("strict result is not JSON: %s", strict)
		}
		if needsStrict(p) {
			return
		}
		lib, err := func() (out []byte, err error) {
			defer func() {
				if recover() != nil {
					err = errors.New("panic")
				}
			}()
			return p.ApplyWithOptions([]byte(doc), rfcOptions())
		}()
		if err == nil && !sameJSON(lib, strict) {
			t.Fatalf("library %s, strict %s", lib, strict)
		}
	})
}

func sameJSON(a, b []byte) bool {
	var va, vb any
	if json.Unmarshal(a, &va) != nil || json.Unmarshal(b, &vb) != nil {
		return false
	}
	return reflect.DeepEqual(va, vb)
}

// BenchmarkApply measures what the routing check adds to the library's
// apply, on a patch that goes to the library and one that does not.
func BenchmarkApply(b *testing.B) {
	doc := []byte(`{"":0,"counter":1,"items":[1,2,3],"name":"` + string(make([]byte, 0)) + `x","nested":{"a":{"b":{"c":[{"d":1},{"d":2}]}}}}`)
	for _, bc := range []struct{ name, patch string }{
		{"library", `[{"op":"test","path":"/counter","value":1},{"op":"replace","path":"/counter","value":2},{"op":"add","path":"/nested/a/b/c/-","value":{"d":3}}]`},
		{"strict", `[{"op":"test","path":"/","value":0},{"op":"replace","path":"/counter","value":2},{"op":"add","path":"/nested/a/b/c/-","value":{"d":3}}]`},
	} {
		p, _ := jsonpatch.DecodePatch([]byte(bc.patch))
		b.Run(bc.name+"/direct", func(b *testing.B) {
			for b.Loop() {
				p.ApplyWithOptions(doc, rfcOptions())
			}
		})
		b.Run(bc.name+"/Apply", func(b *testing.B) {
			for b.Loop() {
				Apply(p, doc, rfcOptions())
			}
		})
	}
}
