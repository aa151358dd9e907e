package mockserver

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"
)

// decision is every random choice for one request, drawn at once so that a
// request sees one consistent set of faults and a seed fixes the sequence of
// faults for a sequence of requests, whichever of them apply.
type decision struct {
	faults    Faults
	delay     time.Duration
	fail      bool
	reset     bool
	interfere bool
	drop      bool
	staleRead bool
	pick      uint64 // which old version a stale read serves

	applied []string // the faults that took effect, for the log
}

// decide draws the request's faults. Every request draws the same number of
// values, so switching one fault on does not shift the others' sequence.
func (h *Handler) decide() decision {
	h.faultMu.Lock()
	defer h.faultMu.Unlock()
	f := h.faults
	d := decision{faults: f}
	d.delay = f.Latency + time.Duration(h.rng.Float64()*float64(f.LatencyJitter))
	d.fail = h.rng.Float64() < f.ErrorRate
	d.reset = h.rng.Float64() < f.ResetRate
	d.interfere = h.rng.Float64() < f.InterfereRate
	d.drop = h.rng.Float64() < f.DropRate
	d.staleRead = h.rng.Float64() < f.StaleReadRate
	d.pick = h.rng.Uint64()
	return d
}

// SetFaults switches the injected faults at run time; requests already
// past their fault decision keep the old ones. It panics if f.Validate
// fails, since that is a mistake in the calling test.
func (h *Handler) SetFaults(f Faults) {
	if err := f.Validate(); err != nil {
		panic(err)
	}
	h.faultMu.Lock()
	h.faults = f
	h.faultMu.Unlock()
	h.log.LogAttrs(context.Background(), slog.LevelInfo, "faults switched", faultAttrs(f)...)
}

// Faults returns the faults currently injected.
func (h *Handler) Faults() Faults {
	h.faultMu.Lock()
	defer h.faultMu.Unlock()
	return h.faults
}

func faultAttrs(f Faults) []slog.Attr {
	return []slog.Attr{
		slog.Duration("latency", f.Latency), slog.Duration("latency_jitter", f.LatencyJitter),
		slog.Float64("error_rate", f.ErrorRate), slog.Int("error_status", f.errorStatus()),
		slog.Duration("retry_after", f.RetryAfter), slog.Float64("reset_rate", f.ResetRate),
		slog.Float64("drop_rate", f.DropRate), slog.Float64("interfere_rate", f.InterfereRate),
		slog.Float64("stale_read_rate", f.StaleReadRate),
	}
}

// sleep waits for the injected latency. It reports false when the client
// went away or the server is closing, so a long latency never holds up
// Server.Close. No lock is held meanwhile.
func (h *Handler) sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-h.stop:
		return false
	}
}

// injectedError is the error answer of the ErrorRate fault.
func injectedError(f Faults, path string) *response {
	status := f.errorStatus()
	r := problem(status, ProblemInjectedFault, http.StatusText(status), "injected by mockserver before processing", path)
	if f.RetryAfter > 0 {
		secs := (f.RetryAfter + time.Second - 1) / time.Second
		r.header.Set("Retry-After", strconv.FormatInt(int64(secs), 10))
	}
	return r
}

// abortConn takes the connection from net/http and closes it without an
// answer. With reset, SO_LINGER 0 makes the close a TCP RST instead of a
// FIN, which clients see as "connection reset by peer".
func abortConn(w http.ResponseWriter, reset bool) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// not HTTP/1 (no hijacking): abort the stream instead
		panic(http.ErrAbortHandler)
	}
	tcp := conn
	if w, ok := conn.(interface{ NetConn() net.Conn }); ok {
		tcp = w.NetConn() // under a connection limit
	}
	if tc, ok := tcp.(*net.TCPConn); ok && reset {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}
