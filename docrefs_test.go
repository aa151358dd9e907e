package ifmatch_test

import (
	"fmt"
	"go/ast"
	"go/doc"
	"go/doc/comment"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// docRefs knows what a reference may point to: the test functions of the
// repository and the files, headings and symbols of its packages.
type docRefs struct {
	root  string
	tests map[string][]string // test function name -> files declaring it (slash paths)
	pkgs  map[string]*doc.Package
	t     *testing.T
}

func newDocRefs(t *testing.T, root string) *docRefs {
	t.Helper()
	r := &docRefs{root: root, tests: map[string][]string{}, pkgs: map[string]*doc.Package{}, t: t}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); p != root && (strings.HasPrefix(n, ".") || n == "testdata" || n == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		for _, decl := range f.Decls {
			if fn, ok := decl.(*ast.FuncDecl); ok && fn.Recv == nil {
				r.tests[fn.Name.Name] = append(r.tests[fn.Name.Name], filepath.ToSlash(rel))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// pkg returns the documentation of the package in dir (slash path relative
// to the root), nil if there is none.
func (r *docRefs) pkg(dir string) *doc.Package {
	if p, ok := r.pkgs[dir]; ok {
		return p
	}
	r.pkgs[dir] = nil
	fset := token.NewFileSet()
	var files []*ast.File
	matches, _ := filepath.Glob(filepath.Join(r.root, filepath.FromSlash(dir), "*.go"))
	for _, m := range matches {
		if strings.HasSuffix(m, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, m, nil, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			r.t.Fatal(err)
		}
		files = append(files, f)
	}
	if len(files) == 0 {
		return nil
	}
	p, err := doc.NewFromFiles(fset, files, path.Join("github.com/ifmatch/ifmatch", dir))
	if err != nil {
		r.t.Fatal(err)
	}
	r.pkgs[dir] = p
	return p
}

// anchor reports whether id names a section (hdr-...) or a symbol
// (Name, Type.Method, Type.Field) of p's documentation, as pkg.go.dev
// anchors them.
func anchor(p *doc.Package, id string) bool {
	if strings.HasPrefix(id, "hdr-") {
		for _, b := range p.Parser().Parse(p.Doc).Content {
			if h, ok := b.(*comment.Heading); ok && h.DefaultID() == id {
				return true
			}
		}
		return false
	}
	recv, name, ok := strings.Cut(id, ".")
	if !ok {
		recv, name = "", id
	}
	return p.Parser().LookupSym(recv, name) || structField(p, id)
}

var (
	testNameRE = regexp.MustCompile(`\b(?:Test|Fuzz|Example|Benchmark)[A-Z_][A-Za-z0-9_]*`)
	mdLinkRE   = regexp.MustCompile(`!?\[((?:[^\[\]]|\[[^\]]*\])*)\]\(([^)\s]+)\)`)
	mdRefRE    = regexp.MustCompile(`(?m)^\[([^\]]+)\]:\s*(\S+)`)
	mdRefUseRE = regexp.MustCompile(`\]\[([^\]]+)\]`)
	docLinkRE  = regexp.MustCompile(`\[\*?[A-Z][^\[\]\n]*\]`)
)

const pkgSite = "https://pkg.go.dev/github.com/ifmatch/ifmatch"

// citedTests reports the test names in text that no _test.go declares.
func (r *docRefs) citedTests(file, text string) []string {
	var problems []string
	for _, name := range uniq(testNameRE.FindAllString(text, -1)) {
		if len(r.tests[name]) == 0 {
			problems = append(problems, fmt.Sprintf("%s cites %s, which no _test.go declares", file, name))
		}
	}
	return problems
}

// markdown checks a Markdown file: the tests it names exist, its relative
// links point to files that exist (a link whose text is a test name, to
// the file that declares it), and its pkg.go.dev links to headings and
// symbols that exist.
func (r *docRefs) markdown(file, text string) []string {
	problems := r.citedTests(file, text)
	prose := withoutFences(text)
	var links [][2]string // text, target
	for _, m := range mdLinkRE.FindAllStringSubmatch(prose, -1) {
		links = append(links, [2]string{m[1], m[2]})
	}
	defs := map[string]bool{}
	for _, m := range mdRefRE.FindAllStringSubmatch(prose, -1) {
		links = append(links, [2]string{"", m[2]})
		defs[strings.ToLower(m[1])] = true
	}
	used := map[string]bool{}
	for _, m := range mdRefUseRE.FindAllStringSubmatch(prose, -1) {
		label := strings.ToLower(m[1])
		if used[label] = true; !defs[label] {
			problems = append(problems, fmt.Sprintf("%s: link [%s] has no definition", file, m[1]))
		}
	}
	for label := range defs {
		if !used[label] {
			problems = append(problems, fmt.Sprintf("%s: link definition [%s] is not used", file, label))
		}
	}
	for _, l := range links {
		if p := r.link(file, prose, l[0], l[1]); p != "" {
			problems = append(problems, fmt.Sprintf("%s: link [%s](%s): %s", file, l[0], l[1], p))
		}
	}
	return problems
}

// link checks one Markdown link of file; "" means it is good.
func (r *docRefs) link(file, prose, text, target string) string {
	switch {
	case strings.HasPrefix(target, pkgSite):
		dir, frag, _ := strings.Cut(strings.TrimPrefix(target, pkgSite), "#")
		dir = strings.TrimPrefix(dir, "/")
		p := r.pkg(dir)
		if p == nil {
			return "no Go package in " + path.Join(".", dir)
		}
		if frag != "" && !anchor(p, frag) {
			return fmt.Sprintf("package %s documents no %q", p.ImportPath, frag)
		}
		return ""
	case strings.Contains(target, "://"), strings.HasPrefix(target, "mailto:"):
		return "" // outside the repository
	case strings.HasPrefix(target, "#"):
		if !slices.Contains(headingSlugs(prose), target[1:]) {
			return "no such heading in " + file
		}
		return ""
	}
	rel, frag, _ := strings.Cut(target, "#")
	rel = path.Join(path.Dir(filepath.ToSlash(file)), rel)
	info, err := os.Stat(filepath.Join(r.root, filepath.FromSlash(rel)))
	if err != nil {
		return "no file " + rel
	}
	if name := strings.Trim(text, "`"); testNameRE.MatchString(name) && testNameRE.FindString(name) == name && !info.IsDir() {
		if !slices.Contains(r.tests[name], rel) {
			return fmt.Sprintf("%s is not declared in %s (declared in %v)", name, rel, r.tests[name])
		}
	}
	if frag != "" && strings.HasSuffix(rel, ".md") {
		b, err := os.ReadFile(filepath.Join(r.root, filepath.FromSlash(rel)))
		if err == nil && !slices.Contains(headingSlugs(withoutFences(string(b))), frag) {
			return fmt.Sprintf("no heading #%s in %s", frag, rel)
		}
	}
	return ""
}

// godoc checks a Go file's doc comments: the tests they name exist, every
// doc link ([Name], [Type.Method]) resolves to a symbol of the root package
// or to a link defined in the comment (one that does not stays plain text
// on pkg.go.dev), and every link to pkg.go.dev names a section or symbol
// that exists.
func (r *docRefs) godoc(file, src string) []string {
	problems := r.citedTests(file, src)
	p := r.pkg(".")
	if p == nil {
		return append(problems, "no Go package at the root")
	}
	f, err := parser.ParseFile(token.NewFileSet(), file, src, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return append(problems, err.Error())
	}
	for _, cg := range f.Comments {
		parsed := p.Parser().Parse(cg.Text())
		for _, link := range uniq(docLinkRE.FindAllString(plainText(parsed), -1)) {
			if structField(p, strings.Trim(link, "[]*")) {
				continue // a field link: go/doc resolves them from Go 1.26 on
			}
			problems = append(problems, fmt.Sprintf("%s: doc link %s names no symbol of the package and no link", file, link))
		}
		for _, def := range parsed.Links {
			if !def.Used {
				problems = append(problems, fmt.Sprintf("%s: link [%s] is defined but not used", file, def.Text))
			}
			if p := r.link(file, "", def.Text, def.URL); p != "" {
				problems = append(problems, fmt.Sprintf("%s: link [%s]: %s", file, def.Text, p))
			}
		}
		seen := map[string]bool{}
		for _, b := range parsed.Content {
			if h, ok := b.(*comment.Heading); ok {
				if id := h.DefaultID(); seen[id] {
					problems = append(problems, fmt.Sprintf("%s: two headings have the anchor %s", file, id))
				} else {
					seen[id] = true
				}
			}
		}
	}
	return problems
}

// plainText is the text of d's paragraphs, lists and headings that the
// parser left as plain text: a doc link that resolved is not in it.
func plainText(d *comment.Doc) string {
	var b strings.Builder
	var texts func([]comment.Text)
	texts = func(ts []comment.Text) {
		for _, t := range ts {
			switch t := t.(type) {
			case comment.Plain:
				b.WriteString(string(t))
			case comment.Italic:
				b.WriteString(string(t))
			case *comment.Link:
				texts(t.Text)
			}
		}
		b.WriteByte('\n')
	}
	for _, blk := range d.Content {
		switch blk := blk.(type) {
		case *comment.Paragraph:
			texts(blk.Text)
		case *comment.Heading:
			texts(blk.Text)
		case *comment.List:
			for _, it := range blk.Items {
				for _, c := range it.Content {
					if para, ok := c.(*comment.Paragraph); ok {
						texts(para.Text)
					}
				}
			}
		}
	}
	return b.String()
}

// headingSlugs returns the anchors GitHub gives the Markdown headings of
// text: lower case, punctuation dropped, spaces as hyphens.
func headingSlugs(text string) []string {
	var slugs []string
	for line := range strings.SplitSeq(text, "\n") {
		h := strings.TrimLeft(line, "#")
		if h == line || !strings.HasPrefix(h, " ") {
			continue
		}
		var b strings.Builder
		for _, c := range strings.ToLower(strings.TrimSpace(h)) {
			switch {
			case c == ' ':
				b.WriteRune('-')
			case c == '-' || c == '_' || unicode.IsLetter(c) || unicode.IsDigit(c):
				b.WriteRune(c)
			}
		}
		slugs = append(slugs, b.String())
	}
	return slugs
}

// withoutFences drops fenced code blocks, where nothing is a link.
func withoutFences(text string) string {
	var b strings.Builder
	in := false
	for line := range strings.SplitSeq(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			in = !in
			continue
		}
		if !in {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

func uniq(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}

// structField reports whether name is Type.Field of a struct type of p:
// a doc link that go/doc's parser resolves only from Go 1.26 on, so that
// the check means the same on the oldest supported Go.
func structField(p *doc.Package, name string) bool {
	typ, field, ok := strings.Cut(name, ".")
	if !ok {
		return false
	}
	for _, t := range p.Types {
		if t.Name != typ {
			continue
		}
		for _, spec := range t.Decl.Specs {
			ts, ok := spec.(*ast.TypeSpec)
			if !ok {
				continue
			}
			st, ok := ts.Type.(*ast.StructType)
			if !ok {
				continue
			}
			for _, f := range st.Fields.List {
				for _, n := range f.Names {
					if n.Name == field && n.IsExported() {
						return true
					}
				}
			}
		}
	}
	return false
}
