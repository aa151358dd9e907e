package mockserver

import (
	"net/http"
	"net/http/httptest"
)

// Server is a Handler listening on 127.0.0.1 over HTTP/1.1, in the manner
// of httptest.Server. The embedded Handler seeds documents, switches faults
// and reads counters while clients talk to URL.
type Server struct {
	*Handler

	// URL is the base URL, such as http://127.0.0.1:41234, without a
	// trailing slash.
	URL string

	ts *httptest.Server
}

// New starts a Server on a free loopback port. It panics if opts.Validate
// fails or no port can be had. Close it when done.
func New(opts Options) *Server {
	h := NewHandler(opts)
	// HTTP/1.1 without TLS, so that resets and drops can hijack the
	// connection
	ts := httptest.NewServer(h)
	return &Server{Handler: h, URL: ts.URL, ts: ts}
}

// Close cuts injected latencies short, closes the client connections and
// waits for the requests in progress. It may be called more than once.
func (s *Server) Close() {
	s.stopOnce.Do(func() { close(s.stop) })
	s.ts.Close()
}

// Client returns an HTTP client for the server, whose idle connections
// Close closes.
func (s *Server) Client() *http.Client {
	return s.ts.Client()
}
