package main

import (
	"reflect"
	"testing"
)

func TestMergeForEdit(t *testing.T) {
	tests := []struct {
		name              string
		base, ours, their string
		want              string
		conflicts         []fieldConflict
	}{
		{
			name: "different fields", base: `{"a":1,"b":1}`, ours: `{"a":2,"b":1}`, their: `{"a":1,"b":3}`,
			want: `{"a":2,"b":3}`,
		},
		{
			name: "same field", base: `{"a":1,"b":1}`, ours: `{"a":2,"b":1}`, their: `{"a":3,"b":4}`,
			want: `{"a":2,"b":4}`, conflicts: []fieldConflict{{pointer: "/a", base: "1", ours: "2", theirs: "3"}},
		},
		{
			name: "same change on both sides", base: `{"a":1}`, ours: `{"a":2}`, their: `{"a":2}`, want: `{"a":2}`,
		},
		{
			name: "nested, removal against change", base: `{"o":{"x":1,"y":1}}`, ours: `{"o":{"y":1}}`, their: `{"o":{"x":5,"y":2}}`,
			want: `{"o":{"y":2}}`, conflicts: []fieldConflict{{pointer: "/o/x", base: "1", ours: "", theirs: "5"}},
		},
		{
			name: "arrays are one field", base: `{"l":[1]}`, ours: `{"l":[1,2]}`, their: `{"l":[0,1]}`,
			want: `{"l":[1,2]}`, conflicts: []fieldConflict{{pointer: "/l", base: "[1]", ours: "[1,2]", theirs: "[0,1]"}},
		},
		{
			name: "odd keys and null", base: `{"a/b~":1,"n":1}`, ours: `{"a/b~":2,"n":null}`, their: `{"a/b~":1,"n":1,"z":"<&>"}`,
			want: `{"a/b~":2,"n":null,"z":"<&>"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, conflicts, err := mergeForEdit([]byte(tt.base), []byte(tt.ours), []byte(tt.their))
			if err != nil {
				t.Fatal(err)
			}
			if !jsonEqualText(t, string(got), tt.want) {
				t.Errorf("merged %s, want %s", got, tt.want)
			}
			if !reflect.DeepEqual(conflicts, tt.conflicts) {
				t.Errorf("conflicts %+v, want %+v", conflicts, tt.conflicts)
			}
		})
	}
}
