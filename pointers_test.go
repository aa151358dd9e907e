package ifmatch

import "testing"

// Every JSON Pointer goes through internal/jsonpointer: array indices are
// RFC 6901's ("01" and "+1" are not indices) and "~0"/"~1" are unescaped.
func TestPointerString(t *testing.T) {
	doc := []byte(`{"revs":["a","b"],"a/b":{"~":"c"},"n":12.50}`)
	tests := []struct {
		name, ptr string
		want      string
		ok        bool
	}{
		{"index", "/revs/1", "b", true},
		{"leading zero", "/revs/01", "", false},
		{"plus sign", "/revs/+1", "", false},
		{"past the end", "/revs/2", "", false},
		{"escaped", "/a~1b/~0", "c", true},
		{"bad escape", "/a~2b", "", false},
		{"number as written", "/n", "12.50", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := pointerString(doc, tt.ptr)
			if got != tt.want || ok != tt.ok {
				t.Errorf("pointerString(%q) = %q, %v; want %q, %v", tt.ptr, got, ok, tt.want, tt.ok)
			}
		})
	}
}
