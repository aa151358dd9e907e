package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/ifmatch/ifmatch/internal/connlimit"
	"github.com/ifmatch/ifmatch/mockserver"
)

// errUsage marks a command-line mistake that has already been printed.
var errUsage = errors.New("usage error")

// config is what the command line asks for.
type config struct {
	addr     string
	opts     mockserver.Options
	docs     []seedDoc
	verbose  bool
	timeouts timeouts
	// maxHeaderBytes bounds a request's line and header fields
	maxHeaderBytes int
}

// timeouts bound how long a client can hold a connection; zero means none.
type timeouts struct {
	readHeader time.Duration // the request line and headers; zero: as read
	read       time.Duration // the whole request, body included
	write      time.Duration // from the end of the headers to the end of the answer
	idle       time.Duration // a keep-alive connection between requests
}

// Default timeouts: ample for loopback tests, short enough that trickled
// bodies and idle connections do not pile up.
const (
	defaultReadHeaderTimeout = 5 * time.Second
	defaultReadTimeout       = 15 * time.Second
	defaultIdleTimeout       = 15 * time.Second
)

// seedDoc is a -seed-doc path=json flag.
type seedDoc struct {
	path string
	doc  []byte
}

const usageText = `Usage: ifmatch-mockserver [flags]

Serves JSON documents at any path with ETags (or a version field), answers
stale writes with 412 or 409, and injects faults: latency, errors, resets,
responses dropped after commit, concurrent writers and stale reads. Admin
endpoints under /_mock/ read counters, switch faults and seed documents.

Examples:
  ifmatch-mockserver -addr 127.0.0.1:8080 -seed-doc '/counter={"n":0}'
  ifmatch-mockserver -stale-status 409 -conflict-body
  ifmatch-mockserver -version-field /_rev              # CouchDB style, ?rev=
  ifmatch-mockserver -apache                           # weak ETags after writes, as Apache httpd
  ifmatch-mockserver -odata                            # an OData V4 service, as SAP CAP
  ifmatch-mockserver -drop-rate 0.2 -error-rate 0.1 -retry-after 1s -seed 42
  curl -X PUT localhost:8080/_mock/faults -d '{"stale_read_rate":1}'
  curl localhost:8080/_mock/stats

Flags:
`

// parseFlags reads the command line. It prints usage problems to out and
// returns errUsage for them, or flag.ErrHelp for -h.
func parseFlags(args []string, out io.Writer) (config, error) {
	var c config
	o, f := &c.opts, &c.opts.Faults
	fs := flag.NewFlagSet("ifmatch-mockserver", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprint(out, usageText)
		fs.PrintDefaults()
	}
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8080", "listen `address`; port 0 picks a free one")
	fs.BoolVar(&c.verbose, "v", false, "log every request (debug level)")
	fs.Func("seed-doc", "store a document at start, as `path=json` (repeatable)", func(s string) error {
		path, doc, ok := strings.Cut(s, "=")
		if !ok || !strings.HasPrefix(path, "/") {
			return errors.New(`want path=json, such as /counter={"n":0}`)
		}
		if !json.Valid([]byte(doc)) {
			return fmt.Errorf("%s: invalid JSON %s", path, doc)
		}
		c.docs = append(c.docs, seedDoc{path, []byte(doc)})
		return nil
	})

	fs.DurationVar(&c.timeouts.readHeader, "read-header-timeout", defaultReadHeaderTimeout, "time a client has to send the request line and headers; 0: as -read-timeout")
	fs.DurationVar(&c.timeouts.read, "read-timeout", defaultReadTimeout, "time a client has to send a whole request, body included; 0: none")
	fs.DurationVar(&c.timeouts.write, "write-timeout", 0, "time to send an answer, counted from the end of the request headers and including injected latency; 0: none")
	fs.DurationVar(&c.timeouts.idle, "idle-timeout", defaultIdleTimeout, "time a keep-alive connection may wait for its next request; 0: none")
	fs.IntVar(&o.MaxConnections, "max-conns", mockserver.DefaultMaxConnections, "connections served at once; more wait to be accepted; negative: no limit")
	fs.IntVar(&c.maxHeaderBytes, "max-header-bytes", mockserver.DefaultMaxHeaderBytes, "`bytes` of a request's line and header fields; larger requests get 431")

	fs.IntVar(&o.StaleStatus, "stale-status", 412, "`status` of a stale If-Match or failed If-None-Match: 412 or 409")
	fs.BoolVar(&o.RequireIfMatch, "require-if-match", false, "answer 428 to writes of existing documents without If-Match")
	fs.BoolVar(&o.WeakETags, "weak-etags", false, `hand out weak ETags (W/"7") and compare If-Match verbatim`)
	fs.BoolVar(&o.ConflictBody, "conflict-body", false, "answer a stale write with the current document instead of a problem")
	fs.StringVar(&o.VersionField, "version-field", "", "keep the version in the document at this JSON `pointer` (/_rev, /metadata/resourceVersion); stale writes get 409")
	fs.StringVar(&o.VersionParam, "version-param", "rev", "query `parameter` that may carry the version with -version-field")
	fs.BoolVar(&o.PatchTestsVersion, "patch-tests-version", false, "with -version-field, a JSON Patch may carry its version as a test operation instead: a stale test gets 422")
	fs.BoolVar(&o.IgnorePreconditions, "ignore-preconditions", false, "ignore If-Match and versions: the last writer wins (lost updates)")
	fs.BoolVar(&o.Idempotency, "idempotency", false, "honor the Idempotency-Key header on writes")
	fs.StringVar(&o.IdempotencyHeader, "idempotency-header", "Idempotency-Key", "`name` of the idempotency key header")
	fs.IntVar(&o.History, "history", 8, "old versions kept per document for stale reads; negative keeps none")
	fs.Int64Var(&o.Seed, "seed", 1, "seed of the fault random source")
	applyApache := apacheFlags(fs, o)
	applyOData := odataFlags(fs, o)

	fs.DurationVar(&f.Latency, "latency", 0, "latency added to every document request")
	fs.DurationVar(&f.LatencyJitter, "latency-jitter", 0, "plus a uniform random latency up to this")
	fs.Float64Var(&f.ErrorRate, "error-rate", 0, "`fraction` of requests answered with -error-status before processing")
	fs.IntVar(&f.ErrorStatus, "error-status", 503, "`status` of injected errors: 429 or 5xx")
	fs.DurationVar(&f.RetryAfter, "retry-after", 0, "Retry-After sent with injected errors (rounded up to seconds; 0 omits it)")
	fs.Float64Var(&f.ResetRate, "reset-rate", 0, "`fraction` of requests whose connection is reset (TCP RST) before processing")
	fs.Float64Var(&f.DropRate, "drop-rate", 0, "`fraction` of writes that commit and then get no response (connection closed)")
	fs.Float64Var(&f.InterfereRate, "interfere-rate", 0, "`fraction` of conditional writes preceded by a concurrent writer's commit")
	fs.Float64Var(&f.StaleReadRate, "stale-read-rate", 0, "`fraction` of reads answered from an older version")

	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return c, err
		}
		return c, fmt.Errorf("%w: %v", errUsage, err)
	}
	applyApache()
	applyOData()
	if fs.NArg() > 0 {
		fmt.Fprintf(out, "unexpected arguments: %q\n", fs.Args())
		fs.Usage()
		return c, errUsage
	}
	if c.opts.MaxConnections == 0 {
		fmt.Fprintln(out, "-max-conns 0: want a positive number, or a negative one for no limit")
		return c, fmt.Errorf("%w: -max-conns 0", errUsage)
	}
	if c.maxHeaderBytes <= 0 {
		fmt.Fprintf(out, "-max-header-bytes %d: want a positive number\n", c.maxHeaderBytes)
		return c, fmt.Errorf("%w: -max-header-bytes %d", errUsage, c.maxHeaderBytes)
	}
	for _, d := range []time.Duration{c.timeouts.readHeader, c.timeouts.read, c.timeouts.write, c.timeouts.idle} {
		if d < 0 {
			fmt.Fprintf(out, "timeout %v is negative\n", d)
			return c, fmt.Errorf("%w: timeout %v is negative", errUsage, d)
		}
	}
	if err := c.opts.Validate(); err != nil {
		fmt.Fprintln(out, err)
		return c, fmt.Errorf("%w: %v", errUsage, err)
	}
	return c, nil
}

// run serves until ctx ends, then shuts down gracefully. ready, if not nil,
// learns the server's URL once it accepts connections.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, ready func(url string)) error {
	c, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	level := slog.LevelInfo
	if c.verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	c.opts.Logger = logger
	h := mockserver.NewHandler(c.opts)
	for _, d := range c.docs {
		etag, err := h.SetDoc(d.path, d.doc)
		if err != nil {
			return err
		}
		logger.Info("document seeded", "path", d.path, "etag", etag)
	}

	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return err
	}
	url := "http://" + ln.Addr().String()
	ln = connlimit.Listener(ln, c.opts.MaxConnections) // negative: no limit
	srv := newServer(h, c.timeouts, c.maxHeaderBytes, logger)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	logger.Info("mockserver started", "url", url, "stale_status", c.opts.StaleStatus,
		"require_if_match", c.opts.RequireIfMatch, "weak_etags", c.opts.WeakETags,
		"conflict_body", c.opts.ConflictBody, "version_field", c.opts.VersionField,
		"odata_patch", c.opts.ODataPatch, "annotations", c.opts.Annotations,
		"ignore_preconditions", c.opts.IgnorePreconditions, "idempotency", c.opts.Idempotency,
		"seed", c.opts.Seed, "faults", faultsString(c.opts.Faults),
		"read_header_timeout", c.timeouts.readHeader, "read_timeout", c.timeouts.read,
		"write_timeout", c.timeouts.write, "idle_timeout", c.timeouts.idle,
		"max_conns", c.opts.MaxConnections, "max_header_bytes", c.maxHeaderBytes)
	fmt.Fprintf(stdout, "listening on %s\n", url)
	if ready != nil {
		ready(url)
	}

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	// give requests in progress (an injected latency, say) a moment, then cut
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		_ = srv.Close()
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	logger.Info("stopped")
	return nil
}

// faultsString shows the faults as the JSON that PUT /_mock/faults takes.
func faultsString(f mockserver.Faults) string {
	b, _ := json.Marshal(f)
	return string(b)
}

// newServer is the standalone server: the handler behind the timeouts and
// the header bound. An idle timeout of zero means none, not the read
// timeout as in net/http.
func newServer(h http.Handler, t timeouts, maxHeaderBytes int, logger *slog.Logger) *http.Server {
	idle := t.idle
	if idle == 0 {
		idle = -1 // net/http: negative means no idle timeout
	}
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: t.readHeader,
		ReadTimeout:       t.read,
		WriteTimeout:      t.write,
		IdleTimeout:       idle,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}
