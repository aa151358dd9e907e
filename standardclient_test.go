package ifmatch_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ifmatch/ifmatch"
	"github.com/ifmatch/ifmatch/mockserver"
)

// StandardClient's requests get exactly what Do gives them: each scenario
// runs once through Do and once through the *http.Client, with the same
// answers and the same document on the server.
func TestStandardClientIsDo(t *testing.T) {
	type result struct {
		status int
		body   string
		doc    string
		err    error
	}
	scenarios := []struct {
		name    string
		server  mockserver.Options
		method  string
		ctype   string
		body    string
		between string // a concurrent writer's document, set after the GET
		want    result // err: the sentinel it must match
	}{
		{"PUT gets If-Match", mockserver.Options{RequireIfMatch: true}, http.MethodPut, "application/json", `{"name":"b","stock":10}`, "",
			result{status: 200, doc: `{"name":"b","stock":10}`}},
		{"stale PUT is a ConflictError", mockserver.Options{}, http.MethodPut, "application/json", `{"name":"b","stock":10}`, `{"name":"a","stock":7}`,
			result{err: ifmatch.ErrConflict, doc: `{"name":"a","stock":7}`}},
		{"merge patch rebased", mockserver.Options{}, http.MethodPatch, "application/merge-patch+json", `{"stock":9}`, `{"name":"c","stock":10}`,
			result{status: 200, body: `{"name":"c","stock":9}`, doc: `{"name":"c","stock":9}`}},
		{"json patch rebased", mockserver.Options{StaleStatus: http.StatusConflict}, http.MethodPatch, "application/json-patch+json",
			`[{"op":"replace","path":"/stock","value":9}]`, `{"name":"c","stock":10}`,
			result{status: 200, body: `{"name":"c","stock":9}`, doc: `{"name":"c","stock":9}`}},
		{"failed test is a ConflictError", mockserver.Options{}, http.MethodPatch, "application/json-patch+json",
			`[{"op":"test","path":"/stock","value":10},{"op":"replace","path":"/stock","value":9}]`, `{"name":"a","stock":3}`,
			result{err: ifmatch.ErrTestFailed, doc: `{"name":"a","stock":3}`}},
		{"DELETE gets If-Match", mockserver.Options{RequireIfMatch: true}, http.MethodDelete, "", "", "",
			result{status: 204}},
	}
	via := []struct {
		name string
		send func(c *ifmatch.Client, req *http.Request) (*http.Response, error)
	}{
		{"Do", (*ifmatch.Client).Do},
		{"StandardClient", func(c *ifmatch.Client, req *http.Request) (*http.Response, error) { return c.StandardClient().Do(req) }},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			var got [2]result
			for i, v := range via {
				srv, u := setup(t, sc.server, `{"name":"a","stock":10}`)
				c := newClient(t, ifmatch.Options{})
				ctx := context.Background()
				get, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
				resp, err := v.send(c, get)
				if err != nil {
					t.Fatalf("%s: GET: %v", v.name, err)
				}
				resp.Body.Close()
				if sc.between != "" {
					srv.SetDoc("/doc", []byte(sc.between))
				}
				req, _ := http.NewRequestWithContext(ctx, sc.method, u, strings.NewReader(sc.body))
				if sc.ctype != "" {
					req.Header.Set("Content-Type", sc.ctype)
				}
				resp, err = v.send(c, req)
				r := result{err: err}
				if err == nil {
					b, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					r.status = resp.StatusCode
					if sc.want.body != "" {
						r.body = string(b)
					}
				}
				if doc, _, ok := srv.Doc("/doc"); ok {
					r.doc = string(doc)
				}
				got[i] = r
				if sc.want.err != nil {
					if !errors.Is(err, sc.want.err) {
						t.Errorf("%s: err = %v, want %v", v.name, err, sc.want.err)
					}
					var ce *ifmatch.ConflictError
					if !errors.As(err, &ce) {
						t.Errorf("%s: errors.As(*ConflictError) = false for %v", v.name, err)
					}
					r.err = nil
				} else if err != nil {
					t.Fatalf("%s: %v", v.name, err)
				}
				if want := sc.want; r.status != want.status || r.body != want.body || r.doc != want.doc {
					t.Errorf("%s: got %+v, want %+v", v.name, r, want)
				}
			}
			if got[0].status != got[1].status || got[0].body != got[1].body || got[0].doc != got[1].doc {
				t.Errorf("Do %+v, StandardClient %+v: not the same", got[0], got[1])
			}
		})
	}
}

// closeRecorder records that the transport closed the request's body.
type closeRecorder struct {
	io.Reader
	closed bool
}

func (c *closeRecorder) Close() error { c.closed = true; return nil }

// The RoundTripper keeps its contract: the request is not modified, and its
// body is closed, on success and on failure alike; errors reach the caller
// inside *url.Error with the URL.
func TestStandardClientRoundTripContract(t *testing.T) {
	_, u := setup(t, mockserver.Options{}, `{"n":1}`)
	c := newClient(t, ifmatch.Options{})
	tests := []struct {
		name    string
		url     string
		body    string
		wantErr error
	}{
		{"success", u, `{"n":2}`, nil},
		{"body too large", u, strings.Repeat(" ", 1<<10) + `{}`, ifmatch.ErrTooLarge},
	}
	small := newClient(t, ifmatch.Options{MaxBodyBytes: 512})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cl := c
			if tt.wantErr != nil {
				cl = small
			}
			body := &closeRecorder{Reader: strings.NewReader(tt.body)}
			req, _ := http.NewRequest(http.MethodPost, tt.url, body)
			req.Header.Set("Content-Type", "application/json")
			before := req.Header.Clone()
			resp, err := cl.StandardClient().Do(req)
			if err == nil {
				resp.Body.Close()
			}
			if !body.closed {
				t.Error("request body not closed")
			}
			if len(req.Header) != len(before) || req.Header.Get("If-Match") != "" {
				t.Errorf("request headers changed: %v, were %v", req.Header, before)
			}
			if tt.wantErr == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var ue *url.Error
			if !errors.As(err, &ue) || !errors.Is(err, tt.wantErr) {
				t.Errorf("err = %v, want a *url.Error matching %v", err, tt.wantErr)
			}
		})
	}
	c.StandardClient().CloseIdleConnections()
}

// Generated clients pass a context but no CallOption: WithCallOptions
// carries the call's options to Do through it.
func TestStandardClientTakesCallOptionsFromContext(t *testing.T) {
	tests := []struct {
		name         string
		ctx          func(context.Context) context.Context
		wantAttempts int
	}{
		{"none: the Client's", func(ctx context.Context) context.Context { return ctx }, 5},
		{"MaxAttempts", func(ctx context.Context) context.Context { return ifmatch.WithCallOptions(ctx, ifmatch.MaxAttempts(2)) }, 2},
		{"the last wins", func(ctx context.Context) context.Context {
			return ifmatch.WithCallOptions(ifmatch.WithCallOptions(ctx, ifmatch.MaxAttempts(2)), ifmatch.MaxAttempts(3))
		}, 3},
		{"a stopping backoff", func(ctx context.Context) context.Context {
			return ifmatch.WithCallOptions(ctx, ifmatch.ConflictBackoff(fixed(-1)))
		}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := staleClient(ifmatch.Options{Backoff: fixed(0), MaxAttempts: 5})
			ctx := tt.ctx(context.Background())
			req, _ := http.NewRequestWithContext(ctx, http.MethodPatch, "http://mock.local/doc", strings.NewReader(`{"n":2}`))
			req.Header.Set("Content-Type", "application/merge-patch+json")
			_, err := c.StandardClient().Do(req)
			var ce *ifmatch.ConflictError
			if !errors.As(err, &ce) || ce.Attempts != tt.wantAttempts {
				t.Fatalf("err = %v, want *ConflictError after %d attempts", err, tt.wantAttempts)
			}
		})
	}
}
