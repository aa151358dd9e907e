package redact

import "testing"

func TestURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://alice:pw@api.example/x?token=s3cret&a=1": "https://api.example/x?a=REDACTED&token=REDACTED",
		"http://h/p":           "http://h/p",
		"http://h/p#frag":      "http://h/p",
		"://bad url?token=abc": "://bad url",
	} {
		if got := URL(in); got != want {
			t.Errorf("URL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestText(t *testing.T) {
	for in, want := range map[string]string{
		`malformed HTTP response "GET /doc?token=s3cret HTTP/1.1"`: `malformed HTTP response "GET /doc?token=REDACTED HTTP/1.1"`,
		"dial http://u:p@h:80/x failed":                            "dial http://h:80/x failed",
		"no secrets here":                                          "no secrets here",
		"A://@@":                                                   "A://",
		"[DEBUG] performing request: url=http://h/doc?k=v#frag-secret method=PUT": "[DEBUG] performing request: url=http://h/doc?k=REDACTED method=PUT",
		"retrying request http://h/doc#frag-secret (1 left)":                      "retrying request http://h/doc (1 left)",
	} {
		if got := Text(in); got != want {
			t.Errorf("Text(%q) = %q, want %q", in, got, want)
		}
	}
}
