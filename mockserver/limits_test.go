package mockserver

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestNesting(t *testing.T) {
	tests := []struct {
		name      string
		data      string
		depth     int
		work      int64
		wantError string // from checkNesting, "" for none
	}{
		{"scalar", `1`, 0, 0, ""},
		{"empty object", `{}`, 1, 2, ""},
		{"flat object", `{"a":1}`, 1, 7, ""},
		{"nested", `{"a":[1]}`, 2, 9 + 3, ""},
		{"brackets in strings", `{"a":"[{\"}]"}`, 1, 14, ""},
		{"escaped backslash before quote", `["\\",[]]`, 2, 9 + 2, ""},
		{"whitespace outside", "  [ ]  ", 1, 3, ""},
		{"unbalanced closers", `]]]{`, 1, 1, ""},
		{"at the depth limit", strings.Repeat("[", 64) + strings.Repeat("]", 64), 64, 64 * 65, ""},
		{"past the depth limit", strings.Repeat("[", 65), 65, 65 * 66 / 2, "nests arrays and objects 65 deep; the limit is 64"},
		{"past the work limit", "[[" + `"` + strings.Repeat("x", maxNestingWork/2) + `"` + "]]", 2, maxNestingWork + 10, "the limit is 33554432"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			depth, work, _ := nesting([]byte(tt.data))
			if depth != tt.depth || work != tt.work {
				t.Errorf("nesting = %d, %d, want %d, %d", depth, work, tt.depth, tt.work)
			}
			err := checkNesting([]byte(tt.data))
			switch {
			case tt.wantError == "" && err != nil:
				t.Errorf("checkNesting = %v, want nil", err)
			case tt.wantError != "" && (err == nil || !strings.Contains(err.Error(), tt.wantError)):
				t.Errorf("checkNesting = %v, want an error with %q", err, tt.wantError)
			}
		})
	}
}

// refNesting is nesting computed the slow way, by decoding: a container
// weighs its raw length, and its members are measured one level deeper.
func refNesting(raw []byte) (depth int, work int64) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || (raw[0] != '{' && raw[0] != '[') {
		return 0, 0
	}
	var members []json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(raw))
	_, _ = dec.Token() // the opening bracket
	for dec.More() {
		if raw[0] == '{' {
			_, _ = dec.Token() // the key, duplicates included
		}
		var m json.RawMessage
		_ = dec.Decode(&m)
		members = append(members, m)
	}
	work = int64(len(raw))
	for _, m := range members {
		d, w := refNesting(m)
		depth, work = max(depth, d), work+w
	}
	return depth + 1, work
}

func FuzzNesting(f *testing.F) {
	for _, s := range []string{`{"a":[1,{"b":"]}"}]}`, `"\\"`, `[[[`, `]]`, `{"a":1,"a":[2]}`, "[ \n{ } ]", `"\"[`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		depth, work, members := nesting(data)
		if depth < 0 || work < 0 || work > int64(len(data))*int64(depth) {
			t.Fatalf("nesting(%q) = %d, %d: out of range", data, depth, work)
		}
		if !json.Valid(data) {
			return
		}
		if d, w := refNesting(data); d != depth || w != work {
			t.Errorf("nesting(%q) = %d, %d, want %d, %d by decoding", data, depth, work, d, w)
		}
		if m := refMembers(data); m != members {
			t.Errorf("nesting(%q) counts %d members, want %d by decoding", data, members, m)
		}
	})
}

// refMembers counts the object members of a valid JSON text by decoding,
// repeated keys included.
func refMembers(raw []byte) int {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || (raw[0] != '{' && raw[0] != '[') {
		return 0
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	_, _ = dec.Token() // the opening bracket
	n := 0
	for dec.More() {
		if raw[0] == '{' {
			_, _ = dec.Token() // the key
			n++
		}
		var m json.RawMessage
		_ = dec.Decode(&m)
		n += refMembers(m)
	}
	return n
}
