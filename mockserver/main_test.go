package mockserver_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/ifmatch/ifmatch/mockserver"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// setup starts a server that the test closes when it ends.
func setup(t *testing.T, opts mockserver.Options) *mockserver.Server {
	t.Helper()
	srv := mockserver.New(opts)
	t.Cleanup(srv.Close)
	return srv
}

// seed stores a document through the Go API and returns its ETag.
func seed(t *testing.T, srv *mockserver.Server, path, doc string) string {
	t.Helper()
	etag, err := srv.SetDoc(path, []byte(doc))
	if err != nil {
		t.Fatalf("SetDoc(%q): %v", path, err)
	}
	return etag
}

// freshClient opens a new connection per request, so that a fault on one
// connection cannot be hidden by net/http retrying on another.
func freshClient(t *testing.T) *http.Client {
	t.Helper()
	tr := &http.Transport{DisableKeepAlives: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// reply is an answer read to the end.
type reply struct {
	status int
	header http.Header
	body   string
}

// send makes one request; header holds name, value pairs.
func send(t *testing.T, c *http.Client, method, url, body string, header ...string) reply {
	t.Helper()
	resp, err := try(c, method, url, body, header...)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	return resp
}

// try is send for requests that may fail. A PUT is sent as
// application/json unless header names a Content-Type; an empty one sends
// none.
func try(c *http.Client, method, url, body string, header ...string) (reply, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return reply{}, err
	}
	if method == http.MethodPut {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		if http.CanonicalHeaderKey(header[i]) == "Content-Type" {
			req.Header.Del("Content-Type")
			if header[i+1] == "" {
				continue
			}
		}
		req.Header.Add(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return reply{}, err
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: string(b)}, nil
}

// problemType decodes a problem body and checks its content type and status.
func problemType(t *testing.T, r reply) string {
	t.Helper()
	if got := r.header.Get("Content-Type"); got != "application/problem+json" {
		t.Errorf("Content-Type = %q, want application/problem+json (body %s)", got, r.body)
	}
	var p mockserver.Problem
	if err := json.Unmarshal([]byte(r.body), &p); err != nil {
		t.Fatalf("problem body %q: %v", r.body, err)
	}
	if p.Status != r.status {
		t.Errorf("problem status = %d, want %d", p.Status, r.status)
	}
	if p.Title == "" {
		t.Errorf("problem %s has no title", r.body)
	}
	return p.Type
}

// wantStatus fails the test when the status is not want.
func wantStatus(t *testing.T, r reply, want int) {
	t.Helper()
	if r.status != want {
		body := r.body
		if len(body) > 300 {
			body = body[:300] + "..."
		}
		t.Fatalf("status = %d, want %d (body %s)", r.status, want, body)
	}
}

// wantDoc checks the stored document through the Go API.
func wantDoc(t *testing.T, srv *mockserver.Server, path, want string) {
	t.Helper()
	doc, _, ok := srv.Doc(path)
	if !ok {
		t.Fatalf("Doc(%q): missing, want %s", path, want)
	}
	if string(doc) != want {
		t.Errorf("Doc(%q) = %s, want %s", path, doc, want)
	}
}
