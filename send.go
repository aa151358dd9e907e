package ifmatch

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/http/httptrace"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// exchange is one request's final answer, transport retries done, with its
// body read (up to the cap).
type exchange struct {
	status    int
	header    http.Header
	body      []byte
	sent      int           // requests written, transport retries and http.Transport replays included
	ambiguous bool          // some try was written and its answer lost, or was a 5xx that may have committed
	took      time.Duration // the last try's round trip, headers and body
}

// request is what the conflict loop asks the transport layer to send.
type request struct {
	method string
	url    string
	header http.Header
	body   []byte
	// conditional says the request carries a precondition (If-Match,
	// If-None-Match, a version in the body): repeating it cannot apply it
	// twice, so it is safe to retry.
	conditional bool
	// raw marks a request built by the caller (Do): sent as it is.
	raw bool
	// create marks Create's PUT (If-None-Match: *).
	create bool
	// patch marks a PATCH carrying a JSON Patch or merge patch, whose 422
	// may be a failed test (see judge).
	patch bool
	// key is the write's idempotency key: minted at its first send, kept
	// for every resend of the same write, new for a rebuilt one.
	key string
	// writes counts the times this request was written, resends included.
	writes int
}

// tryState follows one request across its transport retries.
type tryState struct {
	wrote    atomic.Int32 // requests fully written (httptrace WroteRequest)
	tryStart int32        // wrote at the start of the current try
	sent     int          // requests sent, counted after each try
	ambig    bool
	why      string        // what the last try's answer was, when retried
	tryAt    time.Time     // when the last try started
	delay    time.Duration // how long the retry waited
	retry    int           // which try is being sent: 0 first, n the n-th retry
}

// send performs r with transport retries. It returns an error only when no
// answer was had: the network failed on every try, or ctx ended. The
// exchange is returned with it so that the caller can count what was sent
// and whether the request may have been applied.
func (c *Client) send(ctx context.Context, r *request) (*exchange, error) {
	st := &tryState{}
	trace := &httptrace.ClientTrace{WroteRequest: func(i httptrace.WroteRequestInfo) {
		if i.Err == nil {
			st.wrote.Add(1)
			c.traceSeen.Store(true)
		}
	}}
	if max := c.cfg.MaxBodyBytes; max >= 0 && int64(len(r.body)) > max {
		return &exchange{}, opErr(r.method, r.url, fmt.Errorf("%w: the request body has %d bytes, more than MaxBodyBytes (%d); nothing was sent",
			ErrTooLarge, len(r.body), max))
	}
	var body any
	if r.body != nil {
		body = r.body
	}
	req, err := retryablehttp.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace), r.method, r.url, body)
	if err != nil {
		return &exchange{}, opErr(r.method, r.url, errInvalidURL)
	}
	for k, v := range c.cfg.Header {
		req.Header[k] = v
	}
	for k, v := range r.header {
		req.Header[k] = v
	}
	if !r.raw && req.Header.Get("Accept") == "" {
		// Some servers (pouchdb-server) answer text/plain without it.
		req.Header.Set("Accept", "application/json")
	}
	write := !isSafeMethod(r.method)
	if k := req.Header.Get(c.cfg.idemHeader); k != "" {
		r.key = k // the caller's own
	} else if write && c.cfg.IdempotencyKeys {
		// One key per write: the transport retries below and the loop's
		// resends of the same request repeat it; a rebuilt write (a rebase)
		// is a new request with a new key.
		if r.key == "" {
			r.key = rand.Text()
		}
		req.Header.Set(c.cfg.idemHeader, r.key)
	}
	repeatable := isIdempotentMethod(r.method) || r.conditional || req.Header.Get(c.cfg.idemHeader) != ""

	rc := getSender(c, r, st, repeatable)
	resp, err := rc.Do(req)
	putSender(rc)
	x := &exchange{sent: st.sent, ambiguous: st.ambig}
	c.stats.requests.Add(int64(st.sent))
	if err != nil {
		if resp != nil {
			resp.Body.Close()
		}
		if ctx.Err() != nil {
			return x, ended(ctx, r.method, r.url)
		}
		return x, opErr(r.method, r.url, scrubURLError(err))
	}
	defer resp.Body.Close()
	x.status, x.header = resp.StatusCode, resp.Header
	x.body, err = readCapped(resp.Body, c.cfg.MaxBodyBytes, resp.ContentLength)
	x.took = time.Since(st.tryAt)
	if err != nil {
		x.ambiguous = x.ambiguous || write // the answer is not fully known
		if ctx.Err() != nil {
			return x, ended(ctx, r.method, r.url)
		}
		return x, opErr(r.method, r.url, fmt.Errorf("reading the answer: %w", scrubURLError(err)))
	}
	return x, nil
}

// retried counts, logs and reports a transport retry as it starts.
func (c *Client) retried(ctx context.Context, r *request, why string, delay time.Duration) {
	c.stats.transportRetries.Add(1)
	if c.cfg.OnRetry != nil {
		c.cfg.OnRetry(ctx, RetryInfo{Method: r.method, URL: redactURL(r.url), Reason: why, Delay: delay})
	}
	if c.cfg.Logger.Enabled(ctx, slogInfo) {
		c.cfg.Logger.LogAttrs(ctx, slogInfo, "ifmatch: transport retry",
			attrMethod(r.method), attrURL(r.url), attrReason(why), attrDelay(delay))
	}
}

// transient reports whether an answer is worth a transport retry, and why.
func transient(resp *http.Response, err error) (bool, string) {
	if err != nil {
		var ue interface{ Timeout() bool }
		if errors.As(err, &ue) && ue.Timeout() {
			return true, "timeout"
		}
		if errors.Is(err, ErrTooLarge) {
			return false, ""
		}
		// Redirect loops, bad schemes and TLS failures will not heal.
		ok, _ := retryablehttp.DefaultRetryPolicy(context.Background(), nil, err)
		return ok, "network error"
	}
	switch s := resp.StatusCode; {
	case s == http.StatusRequestTimeout, s == http.StatusTooManyRequests:
		return true, strconv.Itoa(s)
	case s >= 500 && s != http.StatusNotImplemented && s != http.StatusHTTPVersionNotSupported:
		return true, strconv.Itoa(s)
	}
	return false, ""
}

// neverSent recognizes failures that happen before a request can be
// written: no connection was made.
func neverSent(err error) bool {
	var op *net.OpError
	var dns *net.DNSError
	return errors.As(err, &dns) || (errors.As(err, &op) && op.Op == "dial")
}

// mayHaveCommitted reports whether a failed answer leaves open that the
// write was applied: 503, 429 and 408 by convention mean it was not
// processed; other 5xx (a proxy's 502 or 504 above all) may hide a commit.
func mayHaveCommitted(resp *http.Response) bool {
	switch resp.StatusCode {
	case http.StatusServiceUnavailable, http.StatusTooManyRequests, http.StatusRequestTimeout:
		return false
	}
	return resp.StatusCode >= 500
}

// transportBackoff is full-jitter exponential between RetryWaitMin and
// RetryWaitMax, or the server's Retry-After capped at RetryAfterMax.
func (c *Client) transportBackoff(lo, hi time.Duration, attempt int, resp *http.Response) time.Duration {
	if resp != nil && c.cfg.RetryAfterMax > 0 {
		if d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			return min(d, c.cfg.RetryAfterMax)
		}
	}
	ceil := lo << min(attempt, 20)
	if ceil <= 0 || ceil > hi {
		ceil = hi
	}
	return lo/2 + mrand.N(ceil-lo/2+1)
}

// parseRetryAfter reads a Retry-After value: delay-seconds or an HTTP-date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseUint(v, 10, 63); err == nil {
		if n > uint64(1<<63-1)/uint64(time.Second) {
			return time.Duration(1<<63 - 1), true
		}
		return time.Duration(n) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return max(t.Sub(now), 0), true
}

// readCapped reads r whole, failing with ErrTooLarge past limit (<0: none).
// size, when known (Content-Length), sizes the buffer at once.
func readCapped(r io.Reader, limit, size int64) ([]byte, error) {
	if limit < 0 {
		return io.ReadAll(r)
	}
	b, err := readAll(io.LimitReader(r, limit+1), size)
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, limit)
	}
	return b, nil
}

func isSafeMethod(m string) bool {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	return false
}

func isIdempotentMethod(m string) bool {
	return isSafeMethod(m) || m == http.MethodPut || m == http.MethodDelete
}

// readAll is io.ReadAll starting from a buffer of the expected size.
func readAll(r io.Reader, size int64) ([]byte, error) {
	if size <= 0 || size > 1<<20 {
		size = 512
	}
	b := make([]byte, 0, size+1) // +1: io.EOF needs room to be seen without growing
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
	}
}

// sender is the one place go-retryablehttp is configured, for one request
// at a time. It runs the transport retry loop: rewinding the body for each
// try, draining answers so that connections are reused, waiting with the
// context, logging. Its policies are replaced, on purpose:
//   - CheckRetry: its default repeats any request, a POST without
//     Idempotency-Key included; ours repeats only what is safe to repeat
//     (repeatable), and counts the tries written (httptrace) so that a
//     write whose answer was lost is known to be ambiguous
//     (ErrOutcomeUnknown), never silently counted as not sent.
//   - Backoff: its default honors Retry-After uncapped, so a server can
//     hold a call for as long as it says, and has no jitter, so writers
//     that failed together retry together; transportBackoff caps
//     Retry-After at RetryAfterMax and draws full jitter.
//   - ErrorHandler: the last answer is returned as it is, for judge to
//     classify, rather than as "giving up after n attempts".
//
// Senders are pooled: the retryablehttp.Client and its hooks (method
// values bound once, when the sender is made) are reused, and only the
// request's own state (st, r, repeatable) is set per request. The
// httptrace callback, which may run after Do returns, holds its own
// tryState, never the sender.
type sender struct {
	retryablehttp.Client
	c          *Client
	r          *request
	st         *tryState
	write      bool
	repeatable bool
}

var senders = sync.Pool{New: func() any {
	s := &sender{}
	s.ErrorHandler = retryablehttp.PassthroughErrorHandler
	s.RequestLogHook = s.logHook
	s.CheckRetry = s.checkRetry
	s.Backoff = s.backoff
	return s
}}

// getSender returns a sender set up for r, whose tries st follows;
// repeatable says whether r may be sent again after a transient failure.
func getSender(c *Client, r *request, st *tryState, repeatable bool) *sender {
	s := senders.Get().(*sender)
	s.c, s.r, s.st, s.repeatable = c, r, st, repeatable
	s.HTTPClient = c.tracedClient(c.cfg.httpClient, &st.retry)
	s.RetryWaitMin, s.RetryWaitMax = c.cfg.RetryWaitMin, c.cfg.RetryWaitMax
	s.RetryMax = max(c.cfg.RetryMax, 0)
	s.Logger = c.retryLogger()
	s.write = !isSafeMethod(r.method)
	return s
}

// putSender returns s to the pool once its request is done.
func putSender(s *sender) {
	s.c, s.r, s.st, s.HTTPClient, s.Logger = nil, nil, nil, nil, nil
	s.write, s.repeatable = false, false
	senders.Put(s)
}

func (s *sender) logHook(_ retryablehttp.Logger, req *http.Request, retry int) {
	st := s.st
	st.tryStart = st.wrote.Load()
	st.retry = retry
	st.tryAt = time.Now()
	if retry > 0 {
		s.c.retried(req.Context(), s.r, st.why, st.delay)
	}
}

func (s *sender) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	c, st, write := s.c, s.st, s.write
	n := int(st.wrote.Load() - st.tryStart)
	if resp != nil && n == 0 {
		n = 1 // a transport without httptrace support answered
	}
	if err != nil && n == 0 && !c.traceSeen.Load() && !neverSent(err) {
		// This transport has never reported a written request, so
		// it cannot tell us this one was not: assume it was sent.
		n = 1
	}
	st.sent += n
	wrote := n > 0
	// A written try whose answer was lost, or says it may have
	// committed, leaves the write's outcome open. More than one
	// write in one try means http.Transport replayed it after a
	// lost answer.
	if write && (n > 1 || wrote && (resp == nil || mayHaveCommitted(resp))) {
		st.ambig = true
	}
	if ctx.Err() != nil {
		if write && wrote && resp != nil && resp.StatusCode < 300 {
			st.ambig = true // a commit whose answer the ended context drops
		}
		return false, context.Cause(ctx)
	}
	retry, why := transient(resp, err)
	if !retry || !s.repeatable {
		return false, nil
	}
	st.why = why
	return true, nil
}

func (s *sender) backoff(lo, hi time.Duration, attempt int, resp *http.Response) time.Duration {
	s.st.delay = s.c.transportBackoff(lo, hi, attempt, resp)
	return s.st.delay
}
