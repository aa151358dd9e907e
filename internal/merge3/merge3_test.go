package merge3

import (
	"slices"
	"testing"
)

func TestMerge(t *testing.T) {
	tests := []struct {
		name, base, ours, theirs, want string
		conflicts                      []string
	}{
		{"disjoint", `{"a":1,"b":1}`, `{"a":2,"b":1}`, `{"a":1,"b":2}`, `{"a":2,"b":2}`, nil},
		{"same value on both sides is a conflict", `{"stock":100}`, `{"stock":99}`, `{"stock":99}`, `{"stock":99}`, []string{"/stock"}},
		{"nested disjoint", `{"m":{"x":1,"y":1}}`, `{"m":{"x":2,"y":1}}`, `{"m":{"x":1,"y":2}}`, `{"m":{"x":2,"y":2}}`, nil},
		{"parent replaced under our nested edit", `{"m":{"x":1}}`, `{"m":{"x":2}}`, `{"m":7}`, `{"m":7}`, []string{"/m/x"}},
		{"arrays are one field", `{"l":[1]}`, `{"l":[1,2]}`, `{"l":[0,1]}`, `{"l":[0,1]}`, []string{"/l"}},
		{"removal", `{"a":1,"b":1}`, `{"b":1}`, `{"a":1,"b":2}`, `{"b":2}`, nil},
		{"escaped keys", `{"a/b":1,"c":1}`, `{"a/b":2,"c":1}`, `{"a/b":1,"c":2}`, `{"a/b":2,"c":2}`, nil},
		{"big numbers kept", `{"id":9007199254740993,"n":1}`, `{"id":9007199254740993,"n":2}`, `{"id":9007199254740993,"n":1,"x":0}`, `{"id":9007199254740993,"n":2,"x":0}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var docs [3]any
			for i, s := range []string{tt.base, tt.ours, tt.theirs} {
				v, err := Decode([]byte(s))
				if err != nil {
					t.Fatal(err)
				}
				docs[i] = v
			}
			merged, cs := Merge(docs[0], docs[1], docs[2])
			var ptrs []string
			for _, c := range cs {
				ptrs = append(ptrs, c.Ptr)
			}
			if !slices.Equal(ptrs, tt.conflicts) {
				t.Errorf("conflicts = %q, want %q", ptrs, tt.conflicts)
			}
			want, _ := Decode([]byte(tt.want))
			if !Equal(merged, want) {
				got, _ := Marshal(merged)
				t.Errorf("merged = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestLookupAbsent(t *testing.T) {
	doc, _ := Decode([]byte(`{"a":{"b":null}}`))
	if Lookup(doc, "/a/c") != Absent || Lookup(doc, "/x/y") != Absent {
		t.Error("a missing member is not Absent")
	}
	if v := Lookup(doc, "/a/b"); v != nil || Equal(v, Absent) {
		t.Errorf("null = %v, want nil and not Absent", v)
	}
}
