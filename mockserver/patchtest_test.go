package mockserver_test

import (
	"strings"
	"testing"

	"github.com/ifmatch/ifmatch/mockserver"
)

// With PatchTestsVersion, a JSON Patch in VersionField mode may carry its
// version as a test: the current version passes, a stale one fails the
// test with 422 and changes nothing; a patch that names no version at all
// applies (the server does not require one, as Kubernetes does not); a
// version in the query is still checked, and other writes still need one.
// Without the option every patch without a version is a 409.
func TestPatchTestsVersion(t *testing.T) {
	const jp, mp = "application/json-patch+json", "application/merge-patch+json"
	tests := []struct {
		name, path, ct, body string
		on                   bool
		want                 int
		committed            bool
	}{
		{"current test", "/doc", jp, `[{"op":"test","path":"/_rev","value":"$rev"},{"op":"replace","path":"/n","value":2}]`, true, 200, true},
		{"stale test", "/doc", jp, `[{"op":"test","path":"/_rev","value":"1-00000000"},{"op":"replace","path":"/n","value":2}]`, true, 422, false},
		{"no version", "/doc", jp, `[{"op":"replace","path":"/n","value":2}]`, true, 200, true},
		{"stale query version", "/doc?rev=1-00000000", jp, `[{"op":"replace","path":"/n","value":2}]`, true, 409, false},
		{"merge patch needs a version", "/doc", mp, `{"n":2}`, true, 409, false},
		{"off: current test", "/doc", jp, `[{"op":"test","path":"/_rev","value":"$rev"},{"op":"replace","path":"/n","value":2}]`, false, 409, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := setup(t, mockserver.Options{VersionField: "/_rev", PatchTestsVersion: tt.on})
			seed(t, srv, "/doc", `{"n":1}`)
			rev := srv.Version("/doc")
			body := strings.ReplaceAll(tt.body, "$rev", rev)
			r := send(t, srv.Client(), "PATCH", srv.URL+tt.path, body, "Content-Type", tt.ct)
			wantStatus(t, r, tt.want)
			if moved := srv.Version("/doc") != rev; moved != tt.committed {
				t.Errorf("version moved = %v, want %v", moved, tt.committed)
			}
		})
	}
}
