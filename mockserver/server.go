package mockserver

import (
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/ifmatch/ifmatch/internal/connlimit"
)

// The bounds of New's server, and the defaults of the standalone server's
// flags: what a client can make the server hold for connections is about
// DefaultMaxConnections times DefaultMaxHeaderBytes.
const (
	// DefaultMaxConnections is the default of Options.MaxConnections.
	DefaultMaxConnections = 256
	// DefaultMaxHeaderBytes bounds a request's line and header fields; a
	// larger request is answered 431 and its connection closed.
	DefaultMaxHeaderBytes = 64 << 10
	// DefaultReadHeaderTimeout is the time a client has to send a request's
	// line and header fields, once it has started.
	DefaultReadHeaderTimeout = 5 * time.Second
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
//
// It serves at most Options.MaxConnections connections at once (more wait
// to be accepted), a request's line and header fields up to
// DefaultMaxHeaderBytes (431 past them) within DefaultReadHeaderTimeout.
func New(opts Options) *Server {
	h := NewHandler(opts)
	// HTTP/1.1 without TLS, so that resets and drops can hijack the
	// connection
	ts := httptest.NewUnstartedServer(h)
	ts.Config.MaxHeaderBytes = DefaultMaxHeaderBytes
	ts.Config.ReadHeaderTimeout = DefaultReadHeaderTimeout
	ts.Listener = connlimit.Listener(ts.Listener, h.opts.MaxConnections)
	ts.Start()
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
