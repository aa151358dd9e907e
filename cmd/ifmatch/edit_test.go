//go:build unix

package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ifmatch/ifmatch/mockserver"
)

// editorScript is the test's $EDITOR: it keeps each file it is shown as
// shown-N and, if the test wrote a reply-N, saves that instead. Opened a
// sixth time it fails, so that an edit that would reopen forever ends.
const editorScript = `#!/bin/sh
dir="$(dirname "$0")"
n=$(( $(cat "$dir/count" 2>/dev/null || echo 0) + 1 ))
echo $n > "$dir/count"
if [ $n -gt 5 ]; then exit 1; fi
cp "$1" "$dir/shown-$n"
if [ -f "$dir/reply-$n" ]; then cp "$dir/reply-$n" "$1"; fi
`

func TestEdit(t *testing.T) {
	const original = `{"name":"old","price":10}`
	tests := []struct {
		name    string
		replies []string // the editor's saves; a missing one saves the file as shown
		theirs  string   // written by someone else just before the first PUT; "": nobody
		want    string   // the document at the end
		code    int
		opened  int      // times the editor opened
		shown2  []string // in the file shown the second time
		stderr  string
	}{
		{name: "no change", want: original, opened: 1, stderr: "no changes"},
		{name: "edit", replies: []string{`{"name":"new","price":10}`}, want: `{"name":"new","price":10}`, opened: 1, stderr: "edited"},
		{name: "empty file cancels", replies: []string{""}, want: original, opened: 1, stderr: "cancelled"},
		{
			name: "comments are ignored", replies: []string{"# a note\n{\"name\":\"new\",\n  # another\n\"price\":10}"},
			want: `{"name":"new","price":10}`, opened: 1,
		},
		{
			name: "concurrent change elsewhere is merged", replies: []string{`{"name":"new","price":10}`},
			theirs: `{"name":"old","price":15}`, want: `{"name":"new","price":15}`, opened: 1,
		},
		{
			name: "same field reopens, resolved", replies: []string{`{"name":"old","price":12}`, `{"name":"theirs","price":13}`},
			theirs: `{"name":"theirs","price":15}`, want: `{"name":"theirs","price":13}`, opened: 2,
			shown2: []string{"/price", "yours:  12", "theirs: 15", "before: 10", `"name": "theirs"`, `"price": 12`},
			stderr: "reopening",
		},
		{
			name: "same field reopens, saved as shown", replies: []string{`{"name":"old","price":12}`},
			theirs: `{"name":"theirs","price":15}`, want: `{"name":"theirs","price":12}`, opened: 2,
		},
		{
			name: "same field reopens, cancelled", replies: []string{`{"name":"old","price":12}`, ""},
			theirs: `{"name":"old","price":15}`, want: `{"name":"old","price":15}`, opened: 2, code: exitFailed,
		},
		{
			name: "invalid JSON reopens", replies: []string{`{"name":`, `{"name":"new","price":10}`},
			want: `{"name":"new","price":10}`, opened: 2, shown2: []string{"not valid JSON", `{"name":`},
		},
		{
			// As kubectl edit: the same invalid file saved again ends it.
			name: "invalid JSON saved unchanged gives up", replies: []string{`{"name":`},
			want: original, opened: 2, code: exitFailed, stderr: "saved unchanged after an error",
		},
		{
			name: "invalid JSON, only the comments kept, gives up", replies: []string{`{"name":`, "# mine\n" + `{"name":`},
			want: original, opened: 2, code: exitFailed, stderr: "saved unchanged after an error",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			script := filepath.Join(dir, "editor.sh")
			if err := os.WriteFile(script, []byte(editorScript), 0o700); err != nil {
				t.Fatal(err)
			}
			for i, r := range tt.replies {
				if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("reply-%d", i+1)), []byte(r), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			// $VISUAL comes first: $EDITOR would fail.
			t.Setenv("VISUAL", script)
			t.Setenv("EDITOR", "false")

			h := mockserver.NewHandler(mockserver.Options{})
			if _, err := h.SetDoc("/doc", []byte(original)); err != nil {
				t.Fatal(err)
			}
			var once sync.Once
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodPut && tt.theirs != "" {
					once.Do(func() {
						if _, err := h.SetDoc("/doc", []byte(tt.theirs)); err != nil {
							t.Error(err)
						}
					})
				}
				h.ServeHTTP(w, r)
			}))
			defer ts.Close()

			code, _, errOut := invoke(t, context.Background(), "", "edit", ts.URL+"/doc")
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.code, errOut)
			}
			doc, _, _ := h.Doc("/doc")
			if !jsonEqualText(t, string(doc), tt.want) {
				t.Errorf("document %s, want %s", doc, tt.want)
			}
			count, _ := os.ReadFile(filepath.Join(dir, "count"))
			if got := strings.TrimSpace(string(count)); got != fmt.Sprint(tt.opened) {
				t.Errorf("editor opened %s times, want %d", got, tt.opened)
			}
			if len(tt.shown2) > 0 {
				shown, _ := os.ReadFile(filepath.Join(dir, "shown-2"))
				for _, s := range tt.shown2 {
					if !strings.Contains(string(shown), s) {
						t.Errorf("second file shown lacks %q:\n%s", s, shown)
					}
				}
			}
			if !strings.Contains(errOut, tt.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderr, errOut)
			}
		})
	}
}
