package mockserver

import (
	"fmt"
	"strings"
	"testing"

	jsonpatch "github.com/evanphx/json-patch/v5"
)

func TestCheckCopies(t *testing.T) {
	big := `"` + strings.Repeat("x", 3<<20) + `"` // 3 MiB
	ops := func(op string, n int) string {
		return "[" + strings.TrimSuffix(strings.Repeat(op+",", n), ",") + "]"
	}
	var numbered []string
	for i := range 30 {
		numbered = append(numbered, fmt.Sprintf(`{"op":"copy","from":"","path":"/c%d"}`, i))
	}
	tests := []struct {
		name, doc, patch string
		refused          bool
	}{
		{"small copies of a big document", `{"big":` + big + `,"s":[1,2,3]}`, ops(`{"op":"copy","from":"/s","path":"/t/-"}`, 1000), false},
		{"copies of one big member", `{"big":` + big + `}`, ops(`{"op":"copy","from":"/big","path":"/c"}`, 3), true},
		{"two copies of it fit", `{"big":` + big + `}`, ops(`{"op":"copy","from":"/big","path":"/c"}`, 2), false},
		{"whole-document copies", `{"a":"` + strings.Repeat("x", 300<<10) + `"}`, "[" + strings.Join(numbered, ",") + "]", true},
		{"a sibling changed first", `{"big":` + big + `,"s":1}`, `[{"op":"add","path":"/t","value":2},{"op":"copy","from":"/s","path":"/u"},{"op":"copy","from":"/s","path":"/v"},{"op":"copy","from":"/s","path":"/w"}]`, false},
		// a copy from a changed subtree is sized as the whole document
		{"the source changed first", `{"big":` + big + `,"s":{}}`, `[{"op":"add","path":"/s/x","value":2},{"op":"copy","from":"/s","path":"/u"},{"op":"copy","from":"/s","path":"/v"},{"op":"copy","from":"/s","path":"/w"}]`, true},
		{"an array shifted", `{"big":` + big + `,"a":[1,{}]}`, `[{"op":"remove","path":"/a/0"},{"op":"copy","from":"/a/1","path":"/u"},{"op":"copy","from":"/a/1","path":"/v"},{"op":"copy","from":"/a/1","path":"/w"}]`, true},
		{"a missing source", `{"big":` + big + `}`, ops(`{"op":"copy","from":"/nope","path":"/c"}`, 10), false},
		{"a doubling member", `{"l":[` + strings.Repeat(`"x",`, 1000) + `1]}`, ops(`{"op":"copy","from":"/l","path":"/l/-"}`, 30), true},
		{"whitespace in the document", "{ \"big\" : " + big + " , \"s\" : [ 1 ] }", ops(`{"op":"copy","from":"/s","path":"/t"}`, 100), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := jsonpatch.DecodePatch([]byte(tt.patch))
			if err != nil {
				t.Fatal(err)
			}
			err = checkCopies([]byte(tt.doc), p)
			if (err != nil) != tt.refused {
				t.Errorf("checkCopies = %v, want refused %v", err, tt.refused)
			}
			if err != nil && !strings.Contains(err.Error(), "the limit is 8388608") {
				t.Errorf("error %q does not name the limit", err)
			}
		})
	}
}
