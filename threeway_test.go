package ifmatch

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/ifmatch/ifmatch/internal/merge3"
)

func TestThreeWay(t *testing.T) {
	tests := []struct {
		name               string
		base, ours, theirs string
		want               string
		conflicts          []string
	}{
		{"disjoint fields", `{"a":1,"b":1}`, `{"a":2,"b":1}`, `{"a":1,"b":3}`, `{"a":2,"b":3}`, nil},
		{"both added different fields", `{}`, `{"x":1}`, `{"y":2}`, `{"x":1,"y":2}`, nil},
		{"we removed, they changed another", `{"a":1,"b":1}`, `{"b":1}`, `{"a":1,"b":2}`, `{"b":2}`, nil},
		{"same change on both sides is a conflict (two decrements of 100)", `{"stock":100}`, `{"stock":99}`, `{"stock":99}`, "", []string{"/stock"}},
		{"nested disjoint", `{"m":{"x":1,"y":1}}`, `{"m":{"x":2,"y":1}}`, `{"m":{"x":1,"y":2}}`, `{"m":{"x":2,"y":2}}`, nil},
		{"overlap", `{"a":1,"b":1}`, `{"a":2,"b":1}`, `{"a":3,"b":2}`, "", []string{"/a"}},
		{"nested overlap", `{"m":{"x":1}}`, `{"m":{"x":2}}`, `{"m":{"x":3}}`, "", []string{"/m/x"}},
		{"parent replaced under our nested edit", `{"m":{"x":1}}`, `{"m":{"x":2}}`, `{"m":7}`, "", []string{"/m/x"}},
		{"arrays are one field: disjoint", `{"l":[1,2],"n":0}`, `{"l":[1,2,3],"n":0}`, `{"l":[1,2],"n":5}`, `{"l":[1,2,3],"n":5}`, nil},
		{"arrays are one field: overlap", `{"l":[1,2]}`, `{"l":[1,2,3]}`, `{"l":[0,1,2]}`, "", []string{"/l"}},
		{"escaped keys", `{"a/b":1,"c~d":1}`, `{"a/b":2,"c~d":1}`, `{"a/b":1,"c~d":2}`, `{"a/b":2,"c~d":2}`, nil},
		{"numbers keep their precision", `{"big":1,"n":0}`, `{"big":12345678901234567890,"n":0}`, `{"big":1,"n":1}`, `{"big":12345678901234567890,"n":1}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, conflicts, err := threeWay([]byte(tt.base), []byte(tt.ours), []byte(tt.theirs), nil)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(conflicts, tt.conflicts) {
				t.Fatalf("conflicts = %q, want %q", conflicts, tt.conflicts)
			}
			if tt.conflicts == nil && !jsonSame(t, got, tt.want) {
				t.Errorf("merged = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestThreeWayResolver(t *testing.T) {
	sum := func(ptr string, base, ours, theirs json.RawMessage) (json.RawMessage, error) {
		var b, o, th int
		json.Unmarshal(base, &b)
		json.Unmarshal(ours, &o)
		json.Unmarshal(theirs, &th)
		return json.Marshal(th + (o - b)) // both were increments: add ours to theirs
	}
	got, conflicts, err := threeWay([]byte(`{"n":10,"s":"a"}`), []byte(`{"n":11,"s":"a"}`), []byte(`{"n":15,"s":"b"}`), sum)
	if err != nil || conflicts != nil || !jsonSame(t, got, `{"n":16,"s":"b"}`) {
		t.Errorf("resolved merge = %s, %v, %v; want n 16", got, conflicts, err)
	}
	refuse := errors.New("refused")
	_, conflicts, err = threeWay([]byte(`{"n":1}`), []byte(`{"n":2}`), []byte(`{"n":3}`),
		func(string, json.RawMessage, json.RawMessage, json.RawMessage) (json.RawMessage, error) {
			return nil, refuse
		})
	if !errors.Is(err, refuse) || !slices.Equal(conflicts, []string{"/n"}) {
		t.Errorf("refusing resolver: %v, %v", conflicts, err)
	}
}

func jsonSame(t *testing.T, a []byte, b string) bool {
	t.Helper()
	decode := func(s []byte) any {
		var v any
		dec := json.NewDecoder(bytes.NewReader(s))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		return v
	}
	return merge3.Equal(decode(a), decode([]byte(b)))
}
