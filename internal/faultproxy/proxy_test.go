package faultproxy

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/ifmatch/ifmatch/mockserver"
)

func TestProxyFaults(t *testing.T) {
	srv := mockserver.New(mockserver.Options{})
	defer srv.Close()
	srv.SetDoc("/d", []byte(`{"n":1}`))
	tests := []struct {
		name   string
		f      mockserver.Faults
		method string
		check  func(t *testing.T, resp *http.Response, err error, p *Proxy)
	}{
		{"forwards", mockserver.Faults{}, http.MethodGet, func(t *testing.T, resp *http.Response, err error, p *Proxy) {
			if err != nil || resp.StatusCode != 200 || resp.Header.Get("ETag") == "" {
				t.Errorf("got %v, %v; want 200 with an ETag", resp, err)
			}
		}},
		{"error", mockserver.Faults{ErrorRate: 1, ErrorStatus: 429, RetryAfter: 1500e6}, http.MethodGet, func(t *testing.T, resp *http.Response, err error, p *Proxy) {
			if err != nil || resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "2" || p.Stats().Errors != 1 {
				t.Errorf("got %v, %v; want 429 with Retry-After 2", resp, err)
			}
		}},
		{"reset", mockserver.Faults{ResetRate: 1}, http.MethodGet, func(t *testing.T, resp *http.Response, err error, p *Proxy) {
			if err == nil || p.Stats().Resets != 1 {
				t.Errorf("got %v; want a connection error", resp)
			}
		}},
		{"drop after commit", mockserver.Faults{DropRate: 1}, http.MethodPut, func(t *testing.T, resp *http.Response, err error, p *Proxy) {
			if err == nil || p.Stats().Drops != 1 {
				t.Errorf("got %v; want a connection error", resp)
			}
			if b, _, _ := srv.Doc("/d"); string(b) != `{"n":2}` {
				t.Errorf("document %s: the write did not commit", b)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := New(srv.URL, tt.f, 1)
			defer p.Close()
			req, _ := http.NewRequest(tt.method, p.URL+"/d", strings.NewReader(`{"n":2}`))
			req.Header.Set("Content-Type", "application/json") // the mock refuses a PUT without it
			tr := &http.Transport{}
			defer tr.CloseIdleConnections()
			resp, err := (&http.Client{Transport: tr}).Do(req)
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			tt.check(t, resp, err, p)
		})
	}
}
