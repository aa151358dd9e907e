package jsonscan

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/ifmatch/ifmatch/internal/jsonpointer"
)

func TestFind(t *testing.T) {
	const doc = `{"a":{"b":[1,{"c":"x,]}"},[]]},"e\"f":true,"~/":null,"r":1,"r":2,"":{"":0}}`
	tests := []struct {
		ptr  string
		want string // "" for nothing there
	}{
		{"", doc},
		{"/a/b/1/c", `"x,]}"`},
		{"/a/b/2", `[]`},
		{"/a/b/3", ``},
		{"/a/b/01", ``},
		{"/a/b/-", ``},
		{"/a/b/+1", ``},
		{`/e"f`, `true`},
		{"/~0~1", `null`},
		{"/r", `2`},
		{"//", `0`},
		{"/a/x", ``},
		{"/r/0", ``},
	}
	for _, tt := range tests {
		t.Run(tt.ptr, func(t *testing.T) {
			tokens, err := jsonpointer.Parse(tt.ptr)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := Find([]byte(doc), tokens)
			if string(got) != tt.want || ok != (tt.want != "") {
				t.Errorf("Find(%s) = %s, %v, want %s", tt.ptr, got, ok, tt.want)
			}
		})
	}
}

// find is Find by decoding, repeated keys aside.
func find(doc []byte, tokens []string) (any, bool) {
	var v any
	if json.Unmarshal(doc, &v) != nil {
		return nil, false
	}
	for _, tok := range tokens {
		switch c := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = c[tok]; !ok {
				return nil, false
			}
		case []any:
			i, err := jsonpointer.Index(tok, len(c), false)
			if err != nil {
				return nil, false
			}
			v = c[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// FuzzFind checks Find, Members and Elements against decoding.
func FuzzFind(f *testing.F) {
	f.Add([]byte(`{"a":[1,{"b":"]"}]}`), "/a/1/b")
	f.Add([]byte(`[[0],{"":{"~":1}}]`), "/1//~0")
	f.Add([]byte(`{"a\u0041":"\"}"}`), "/aA")
	f.Fuzz(func(t *testing.T, data []byte, ptr string) {
		var buf bytes.Buffer
		if json.Compact(&buf, data) != nil {
			return
		}
		doc := buf.Bytes()
		tokens, err := jsonpointer.Parse(ptr)
		if err != nil {
			return
		}
		got, ok := Find(doc, tokens)
		want, wantOK := find(doc, tokens)
		if ok != wantOK {
			t.Fatalf("Find(%s, %q) = %s, %v; decoding finds %v, %v", doc, ptr, got, ok, want, wantOK)
		}
		if ok {
			var v any
			if err := json.Unmarshal(got, &v); err != nil || !reflect.DeepEqual(v, want) {
				t.Fatalf("Find(%s, %q) = %s, decoding finds %v", doc, ptr, got, want)
			}
		}
		if len(doc) > 0 && doc[0] == '[' {
			var arr []json.RawMessage
			_ = json.Unmarshal(doc, &arr)
			if es := Elements(doc); len(es) != len(arr) {
				t.Fatalf("Elements(%s) = %d, want %d", doc, len(es), len(arr))
			}
		}
		if len(doc) > 0 && doc[0] == '{' {
			var obj map[string]json.RawMessage
			_ = json.Unmarshal(doc, &obj)
			for _, m := range Members(doc) {
				if _, ok := obj[m.Key]; !ok {
					t.Fatalf("Members(%s) has key %q, which decoding does not", doc, m.Key)
				}
			}
		}
	})
}
