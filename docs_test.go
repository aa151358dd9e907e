package ifmatch_test

import (
	"os"
	"strings"
	"testing"
)

// The README and the package documentation cite tests as proof of what
// they promise, and link to files and to sections of the package docs.
// TestDocsReferences keeps every such reference true: renaming a test, a
// file or a heading fails the suite instead of leaving a dead reference.
func TestDocsReferences(t *testing.T) {
	r := newDocRefs(t, ".")
	for _, name := range []string{"README.md", "CHANGELOG.md"} {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range r.markdown(name, string(b)) {
			t.Error(p)
		}
	}
	b, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range r.godoc("doc.go", string(b)) {
		t.Error(p)
	}
}

// The checker finds each kind of dead reference (and passes live ones).
func TestDocsReferencesCatchBreakage(t *testing.T) {
	r := newDocRefs(t, ".")
	md := []struct {
		name, text, want string // want "": no problem
	}{
		{"live test, file and section", "[TestVersionRule](versionrule_test.go), [doc](doc.go), " +
			"[x](" + pkgSite + "#hdr-Lost_answers), [y](" + pkgSite + "#Client.Patch), [z](" + pkgSite + "#Options.MaxElapsed)", ""},
		{"renamed test", "proved by `TestNoSuchThing`", "TestNoSuchThing, which no _test.go declares"},
		{"test in another file", "[TestVersionRule](attack_test.go)", "not declared in attack_test.go"},
		{"missing file", "[guide](docs/guide.md)", "no file docs/guide.md"},
		{"missing section", "[rule](" + pkgSite + "#hdr-No_such_section)", `documents no "hdr-No_such_section"`},
		{"missing symbol", "[m](" + pkgSite + "#Client.Frobnicate)", `documents no "Client.Frobnicate"`},
		{"missing package", "[m](" + pkgSite + "/nowhere)", "no Go package in nowhere"},
		{"missing local heading", "# Title\n[see](#elsewhere)", "no such heading"},
		{"live local heading", "## Which method do I use\n[see](#which-method-do-i-use)", ""},
		{"live reference link", "the [full\nrule][v]\n\n[v]: " + pkgSite + "#hdr-Errors", ""},
		{"undefined reference link", "the [rule][nowhere]", "[nowhere] has no definition"},
		{"dead reference link", "the [rule][v]\n\n[v]: " + pkgSite + "#hdr-Nothing", `documents no "hdr-Nothing"`},
		{"link in a code fence is not a link", "```\n[x](nowhere.go)\n```", ""},
	}
	for _, tt := range md {
		t.Run(tt.name, func(t *testing.T) {
			checkProblems(t, r.markdown("README.md", tt.text), tt.want)
		})
	}
	gosrc := []struct {
		name, src, want string
	}{
		{"live doc links", "// See [Client.Patch], [Modify], [*ConflictError] and [Options.MaxElapsed].\npackage ifmatch\n", ""},
		{"dead doc link", "// See [Client.Frobnicate].\npackage ifmatch\n", "doc link [Client.Frobnicate] names no symbol"},
		{"renamed test", "// Proved by TestNoSuchThing.\npackage ifmatch\n", "TestNoSuchThing, which no _test.go declares"},
		{"duplicate heading", "// Intro.\n//\n// # Errors\n//\n// a\n//\n// # Errors\n//\n// b\npackage ifmatch\n", "two headings have the anchor hdr-Errors"},
	}
	for _, tt := range gosrc {
		t.Run(tt.name, func(t *testing.T) {
			checkProblems(t, r.godoc("doc.go", tt.src), tt.want)
		})
	}
}

func checkProblems(t *testing.T, problems []string, want string) {
	t.Helper()
	if want == "" {
		if len(problems) > 0 {
			t.Errorf("problems %q, want none", problems)
		}
		return
	}
	if len(problems) != 1 || !strings.Contains(problems[0], want) {
		t.Errorf("problems %q, want one containing %q", problems, want)
	}
}
