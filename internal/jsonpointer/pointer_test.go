package jsonpointer

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		ptr  string
		want []string
	}{
		// the examples of RFC 6901 section 5
		{"whole document", "", nil},
		{"foo", "/foo", []string{"foo"}},
		{"array element", "/foo/0", []string{"foo", "0"}},
		{"empty key", "/", []string{""}},
		{"slash", "/a~1b", []string{"a/b"}},
		{"percent", "/c%d", []string{"c%d"}},
		{"caret", "/e^f", []string{"e^f"}},
		{"pipe", "/g|h", []string{"g|h"}},
		{"backslash", `/i\j`, []string{`i\j`}},
		{"quote", `/k"l`, []string{`k"l`}},
		{"space", "/ ", []string{" "}},
		{"tilde", "/m~0n", []string{"m~n"}},
		// the order of unescaping: ~01 is ~1, not /
		{"tilde one", "/~01", []string{"~1"}},
		{"two empty keys", "//", []string{"", ""}},
		{"empty key inside", "/a//b", []string{"a", "", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.ptr)
			if err != nil || !slices.Equal(got, tt.want) {
				t.Fatalf("Parse(%q) = %q, %v; want %q", tt.ptr, got, err, tt.want)
			}
			if f := Format(got...); f != tt.ptr {
				t.Errorf("Format(%q) = %q, want %q", got, f, tt.ptr)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	for _, ptr := range []string{"foo", "#/foo", "/~", "/a~2", "/~/x", "/a/b~"} {
		t.Run(ptr, func(t *testing.T) {
			if got, err := Parse(ptr); !errors.Is(err, ErrSyntax) {
				t.Fatalf("Parse(%q) = %q, %v; want ErrSyntax", ptr, got, err)
			}
		})
	}
}

func TestIndex(t *testing.T) {
	tests := []struct {
		name  string
		token string
		n     int
		end   bool
		want  int // -1: an error
	}{
		{"zero", "0", 2, false, 0},
		{"last", "1", 2, false, 1},
		{"past the end", "2", 2, false, -1},
		{"past the end for add", "2", 2, true, 2},
		{"beyond add", "3", 2, true, -1},
		{"dash for add", "-", 2, true, 2},
		{"dash elsewhere", "-", 2, false, -1},
		{"leading zero", "01", 2, false, -1},
		{"double zero", "00", 2, false, -1},
		{"plus", "+1", 2, false, -1},
		{"negative", "-1", 2, false, -1},
		{"negative zero", "-0", 2, false, -1},
		{"exponent", "1e0", 2, false, -1},
		{"space", " 1", 2, false, -1},
		{"empty", "", 2, false, -1},
		{"overflow", "99999999999999999999999", 2, true, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Index(tt.token, tt.n, tt.end)
			if tt.want < 0 {
				if !errors.Is(err, ErrIndex) {
					t.Fatalf("Index(%q, %d, %v) = %d, %v; want ErrIndex", tt.token, tt.n, tt.end, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Index(%q, %d, %v) = %d, %v; want %d", tt.token, tt.n, tt.end, got, err, tt.want)
			}
		})
	}
}

func TestEscape(t *testing.T) {
	if got, want := Escape("~/a/~"), "~0~1a~1~0"; got != want {
		t.Fatalf("Escape = %q, want %q", got, want)
	}
}

// FuzzParse checks that Parse never panics, that every pointer it accepts
// formats back to itself, and that tokens survive Format then Parse.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "/", "/foo/0", "/a~1b/m~0n", "/~01", "//", "foo", "/~", "/~2", "/00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tokens, err := Parse(s)
		if err != nil {
			if !errors.Is(err, ErrSyntax) {
				t.Fatalf("Parse(%q): error %v is not ErrSyntax", s, err)
			}
		} else if got := Format(tokens...); got != s {
			t.Fatalf("Format(Parse(%q)) = %q", s, got)
		}
		// s as one token
		back, err := Parse(Format(s))
		if err != nil || len(back) != 1 || back[0] != s {
			t.Fatalf("Parse(Format(%q)) = %q, %v", s, back, err)
		}
		// s as a token: IsIndex and Index agree, and an index has no sign,
		// no leading zero and only digits
		i, err := Index(s, 1<<62, false)
		if err != nil && !errors.Is(err, ErrIndex) {
			t.Fatalf("Index(%q): error %v is not ErrIndex", s, err)
		}
		if IsIndex(s) && len(s) <= 18 && err != nil || !IsIndex(s) && err == nil {
			t.Fatalf("IsIndex(%q) = %v, but Index = %d, %v", s, IsIndex(s), i, err)
		}
		if err == nil && (strings.TrimLeft(s, "0123456789") != "" || len(s) > 1 && s[0] == '0') {
			t.Fatalf("Index(%q) = %d, want an error", s, i)
		}
	})
}
