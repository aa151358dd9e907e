package ifmatch

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"0", 0, true},
		{"7", 7 * time.Second, true},
		{"31536000", 365 * 24 * time.Hour, true},
		{"99999999999999999999", 0, false},
		{"9223372036854775807", 1<<63 - 1, true},
		{"-3", 0, false},
		{"1.5", 0, false},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
		{"soon", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseRetryAfter(tt.in, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseRetryAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestParseProblem(t *testing.T) {
	h := http.Header{"Content-Type": {"application/problem+json; charset=utf-8"}}
	p := parseProblem(h, []byte(`{"type":"https://x/t","title":"Out of stock","status":409,"detail":"sku 7","instance":"/i/1","balance":30,"accounts":["/a/1"]}`))
	want := &Problem{Type: "https://x/t", Title: "Out of stock", Status: 409, Detail: "sku 7", Instance: "/i/1",
		Extensions: map[string]any{"balance": float64(30), "accounts": []any{"/a/1"}}}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("parseProblem = %+v, want %+v", p, want)
	}
	if p := parseProblem(h, []byte(`{"title":"t"}`)); p == nil || p.Extensions != nil {
		t.Errorf("no extensions: got %+v, want Extensions nil", p)
	}
	for name, tt := range map[string]struct {
		ct, body string
	}{
		"json type":    {"application/json", `{"title":"t"}`},
		"not object":   {"application/problem+json", `[1]`},
		"invalid":      {"application/problem+json", `{`},
		"null":         {"application/problem+json", `null`},
		"no type":      {"", `{"title":"t"}`},
		"bad media":    {"application/problem+json;;;=", `{"title":"t"}`},
		"status wrong": {"application/problem+json", `{"status":"409"}`},
	} {
		p := parseProblem(http.Header{"Content-Type": {tt.ct}}, []byte(tt.body))
		if name == "status wrong" {
			if p == nil || p.Status != 0 || p.Extensions != nil {
				t.Errorf("%s: got %+v, want a problem with Status 0 and no extensions", name, p)
			}
			continue
		}
		if p != nil {
			t.Errorf("%s: got %+v, want nil", name, p)
		}
	}
}

func TestPointer(t *testing.T) {
	doc := []byte(`{"_rev":"3-abc","metadata":{"resourceVersion":"42","a/b":{"m~n":7}},"list":[{"v":"x"}]}`)
	tests := []struct {
		ptr, want string
		ok        bool
	}{
		{"/_rev", "3-abc", true},
		{"/metadata/resourceVersion", "42", true},
		{"/metadata/a~1b/m~0n", "7", true},
		{"/list/0/v", "x", true},
		{"/list/1/v", "", false},
		{"/missing", "", false},
		{"nope", "", false},
	}
	for _, tt := range tests {
		got, ok := pointerString(doc, tt.ptr)
		if got != tt.want || ok != tt.ok {
			t.Errorf("pointerString(%q) = %q, %v; want %q, %v", tt.ptr, got, ok, tt.want, tt.ok)
		}
	}
	out, err := setPointer([]byte(`{"n":1}`), "/metadata/resourceVersion", []byte(`"7"`))
	if err != nil || string(out) != `{"metadata":{"resourceVersion":"7"},"n":1}` {
		t.Errorf("setPointer = %s, %v", out, err)
	}
	if _, err := setPointer([]byte(`[1]`), "/_rev", []byte(`"7"`)); err == nil {
		t.Error("setPointer on an array: no error")
	}
}

func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"0", "120", "Fri, 31 Dec 1999 23:59:59 GMT", "-1", "99999999999999999999999"} {
		f.Add(s)
	}
	now := time.Now()
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := parseRetryAfter(s, now)
		if d < 0 || (!ok && d != 0) {
			t.Fatalf("parseRetryAfter(%q) = %v, %v", s, d, ok)
		}
	})
}

func FuzzParseProblem(f *testing.F) {
	f.Add(`{"type":"t","title":"x","status":409,"ext":{"a":[1,2]}}`)
	f.Add(`{"status":1e400}`)
	f.Add(`null`)
	f.Fuzz(func(t *testing.T, body string) {
		p := parseProblem(http.Header{"Content-Type": {"application/problem+json"}}, []byte(body))
		if p == nil {
			return
		}
		if p.Status != 0 && (p.Status < 100 || p.Status > 999) {
			t.Fatalf("status %d out of range", p.Status)
		}
		if p.Extensions != nil && len(p.Extensions) == 0 {
			t.Fatal("empty, non-nil Extensions")
		}
		_ = (&ConflictError{Problem: p}).Error()
	})
}

func FuzzCanonicalURL(f *testing.F) {
	for _, s := range []string{"http://h/a", "HTTPS://H:443/a?b=c", "http://u:p@h:80/%2F?x#y", "http://[::1]:80/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := canonicalURL(s)
		if err != nil {
			return
		}
		// Canonical form is a fixed point, and never keeps userinfo.
		c2, err := canonicalURL(c)
		if err != nil || c2 != c {
			t.Fatalf("canonicalURL(%q) = %q, but canonicalURL of that = %q, %v", s, c, c2, err)
		}
		if r := redactURL(s); strings.Contains(s, "@") && strings.Contains(r, "@") && !strings.Contains(c, "@") {
			t.Fatalf("redactURL(%q) = %q keeps userinfo", s, r)
		}
	})
}

func FuzzETagHeaders(f *testing.F) {
	for _, s := range []string{`"1"`, `W/"x"`, ``, `"a", W/"b"`, "\x00"} {
		f.Add(s, "Accept, *")
	}
	f.Fuzz(func(t *testing.T, etag, vary string) {
		if !utf8.ValidString(etag) {
			return
		}
		c := newETagCache(4, 1<<12)
		k := cacheKey{url: "http://h/x"}
		c.put(k, snapshot{etag: etag, body: []byte(`{}`)}, []string{vary}, http.Header{"Accept": {etag}})
		s, ok := c.get(k, http.Header{"Accept": {etag}})
		if ok && s.etag != etag {
			t.Fatalf("cache changed the ETag: %q -> %q", etag, s.etag)
		}
		star := false
		for _, f := range strings.Split(vary, ",") {
			star = star || strings.TrimSpace(f) == "*"
		}
		if ok && star {
			t.Fatalf("Vary %q containing * was cached", vary)
		}
	})
}

func FuzzPatchDecoding(f *testing.F) {
	f.Add(`[{"op":"add","path":"/a","value":1}]`, `{"a":0}`)
	f.Add(`[{"op":"test","path":"/a","value":1}]`, `{"a":0}`)
	f.Add(`[{"op":"move","from":"/a","path":"/a/b"}]`, `{"a":{}}`)
	f.Add(`{"op":"add"}`, `[]`)
	f.Fuzz(func(t *testing.T, patch, doc string) {
		p, err := newJSONPatch([]byte(patch))
		if err != nil {
			return
		}
		out, err := p.apply([]byte(doc))
		if err == nil && len(doc) > 0 && out != nil && len(out) > 0 && !jsonValid(out) {
			t.Fatalf("patch %s on %s gave invalid JSON %s", patch, doc, out)
		}
		if m, err := newMergePatch([]byte(patch)); err == nil {
			_, _ = m.apply([]byte(doc))
		}
	})
}

func jsonValid(b []byte) bool { return json.Valid(b) }
