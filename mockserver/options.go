package mockserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"time"

	"github.com/ifmatch/ifmatch/internal/jsonpointer"
)

// Options configures a Handler. The zero value is a well-behaved server:
// strong ETags in headers, 412 for a stale If-Match, no idempotency keys, no
// faults, and a deterministic fault source.
type Options struct {
	// StaleStatus is the status of a stale-version answer in ETag mode (a
	// failed If-Match or If-None-Match). Zero means 412; 409 is the only
	// other accepted value.
	StaleStatus int

	// RequireIfMatch makes a PUT, PATCH or DELETE of an existing document
	// without If-Match fail with 428. A PUT with If-None-Match: * is exempt
	// (it fails with StaleStatus instead when the document exists). In
	// VersionField mode a version is always required, so this has no effect.
	RequireIfMatch bool

	// WeakETags hands out weak ETags (W/"…-7"). If-Match then compares the
	// tags verbatim, W/ included, as table stores do.
	WeakETags bool

	// WeakWindow, when positive, imitates Apache httpd: for this long after
	// each write, GET and HEAD give the document's ETag weak (W/"…-7"),
	// then strong ("…-7"). If-Match compares strongly, so a weak tag never
	// matches, and no tag does while the document's is weak. Zero: off.
	// It excludes WeakETags and VersionField. See also ApacheOptions.
	WeakWindow time.Duration

	// NoWriteETag leaves the ETag and the document out of successful write
	// answers (200 becomes 204), as Apache httpd's mod_dav answers a PUT.
	NoWriteETag bool

	// NonAtomicCheck, when positive, checks a write's preconditions, then
	// lets other requests in for this long before committing it, so that
	// two writes carrying the same If-Match can both succeed (a lost
	// update), as with Apache httpd's mod_dav. Zero: check and commit are
	// one atomic step.
	NonAtomicCheck time.Duration

	// ConflictBody makes a stale-version answer (409/412) carry the current
	// document as application/json, with its ETag and a Content-Location of
	// the request path, instead of a problem body.
	ConflictBody bool

	// VersionField, a JSON Pointer such as "/_rev" or
	// "/metadata/resourceVersion", switches to CouchDB/Kubernetes style:
	// the server keeps the version inside the document at that pointer
	// (creating intermediate objects), a write to an existing document must
	// carry the current version in that field (PUT, merge-patch PATCH) or in
	// the VersionParam query parameter, and a stale or missing version is
	// answered with 409. If-Match and If-None-Match are ignored on writes.
	// Empty means ETag header mode.
	VersionField string

	// PatchTestsVersion, in VersionField mode, lets a JSON Patch PATCH go
	// without a version, as the Kubernetes API server does: its "test"
	// operations guard it, so a test of a stale version fails and is
	// answered 422 (see patchtest.go). A version sent is still checked
	// (409). It has no effect in ETag mode.
	PatchTestsVersion bool

	// VersionParam is the query parameter that may carry the version on
	// writes in VersionField mode. Empty means "rev".
	VersionParam string

	// TimestampETags makes each version's ETag its commit time,
	// "2026-12-02T03:59:01.932000Z" (W/ first with WeakETags), unique and
	// increasing, as OData services built on a modification time give
	// them. It needs ETag mode.
	TimestampETags bool

	// ODataPatch makes PATCH take a merge patch (RFC 7396) sent as
	// application/json, as OData V4 services do; the RFC patch media types
	// application/merge-patch+json and application/json-patch+json get 415.
	ODataPatch bool

	// Annotations makes the server treat OData annotations as an OData
	// service does: a document in an answer starts with "@odata.context"
	// and "@odata.etag" (its ETag), and members whose name contains "@"
	// are not stored when a write sends them. Top-level members only.
	Annotations bool

	// ManagedFields are top-level fields the server sets on every write of
	// an object to the commit time (the timestamp TimestampETags uses),
	// whatever the write sends, as OData services set "ModifiedAt".
	ManagedFields []string

	// PutKeepsOmitted makes a PUT of an object over an object keep the
	// stored top-level fields the PUT omits, as SAP CAP does. false: PUT
	// replaces the whole document.
	PutKeepsOmitted bool

	// IgnorePreconditions makes a broken server: If-Match, If-None-Match
	// and version fields are ignored on writes, and the last writer wins.
	IgnorePreconditions bool

	// Idempotency honors the Idempotency-Key header (IETF httpapi draft) on
	// writes: a retry with the same key and request replays the first answer.
	Idempotency bool

	// IdempotencyHeader names the idempotency key header. Empty means
	// "Idempotency-Key".
	IdempotencyHeader string

	// History is how many old versions are kept per document for stale
	// reads. Zero means 8; a negative value keeps none.
	History int

	// Seed seeds the fault random source. Zero means 1, so that runs are
	// deterministic unless a seed is chosen.
	Seed int64

	// Faults are the faults injected from the start; see Handler.SetFaults.
	Faults Faults

	// Logger receives one debug record per request and an info record per
	// fault switch. Nil discards them.
	Logger *slog.Logger

	// MaxConnections bounds the connections the server of New serves at
	// once; more wait to be accepted, so that idle or trickling clients
	// cannot grow the server's memory without bound. Zero means
	// DefaultMaxConnections (256); a negative value, no bound. A Handler
	// mounted on another server does not use it (the standalone server's
	// flag is -max-conns).
	MaxConnections int
}

// Validate reports whether the options are usable. NewHandler panics with
// this error; a command line can show it instead.
func (o Options) Validate() error {
	switch o.StaleStatus {
	case 0, 409, 412:
	default:
		return fmt.Errorf("mockserver: StaleStatus %d: want 0, 409 or 412", o.StaleStatus)
	}
	if _, err := jsonpointer.Parse(o.VersionField); err != nil {
		return fmt.Errorf("mockserver: VersionField %q: want a JSON Pointer starting with /", o.VersionField)
	}
	if strings.ContainsAny(o.IdempotencyHeader, " :\t\r\n") {
		return fmt.Errorf("mockserver: IdempotencyHeader %q is not a header name", o.IdempotencyHeader)
	}
	return errors.Join(o.validateWeak(), o.validateOData(), o.Faults.Validate())
}

// withDefaults resolves every zero value to its documented meaning, on a
// copy, so the rest of the package never re-derives defaults.
func (o Options) withDefaults() Options {
	if o.StaleStatus == 0 {
		o.StaleStatus = 412
	}
	if o.VersionParam == "" {
		o.VersionParam = "rev"
	}
	if o.IdempotencyHeader == "" {
		o.IdempotencyHeader = "Idempotency-Key"
	}
	switch {
	case o.History == 0:
		o.History = 8
	case o.History < 0:
		o.History = 0
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	switch {
	case o.MaxConnections == 0:
		o.MaxConnections = DefaultMaxConnections
	case o.MaxConnections < 0:
		o.MaxConnections = 0 // connlimit: no bound
	}
	return o
}

// Faults describes the faults a Handler injects into document requests.
// Admin endpoints are never faulted. The zero value injects nothing.
//
// Per request, faults apply in this order: latency, error answer, reset,
// interference (conditional writes), processing, drop (committed writes).
//
// In JSON, durations are Go duration strings such as "5ms".
type Faults struct {
	// Latency is added to every document request.
	Latency time.Duration
	// LatencyJitter adds a uniform random 0..LatencyJitter to Latency.
	LatencyJitter time.Duration
	// ErrorRate is the fraction of requests answered with ErrorStatus
	// before processing, so nothing is committed.
	ErrorRate float64
	// ErrorStatus is the status of those answers. Zero means 503; 429 and
	// other 5xx statuses are accepted.
	ErrorStatus int
	// RetryAfter is sent as Retry-After (whole seconds, rounded up) on the
	// error answers. Zero omits the header.
	RetryAfter time.Duration
	// ResetRate is the fraction of requests whose connection is reset (TCP
	// RST) before processing.
	ResetRate float64
	// DropRate is the fraction of committed writes (PUT, PATCH, DELETE)
	// whose connection is closed without a response: the ambiguous case.
	DropRate float64
	// InterfereRate is the fraction of conditional writes (If-Match, or a
	// version in VersionField mode) before which a concurrent writer
	// commits: the document's version is bumped with its content unchanged
	// (apart from the version field), so the client's write is stale.
	InterfereRate float64
	// StaleReadRate is the fraction of GET and HEAD requests answered from
	// an older version with that version's ETag, as a lagging replica would.
	StaleReadRate float64
}

// Validate reports whether the faults are usable: rates within [0, 1],
// durations not negative, ErrorStatus 0, 429 or 5xx.
func (f Faults) Validate() error {
	var errs []error
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"Latency", f.Latency}, {"LatencyJitter", f.LatencyJitter}, {"RetryAfter", f.RetryAfter}} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("mockserver: %s %v is negative", d.name, d.v))
		}
	}
	for _, r := range []struct {
		name string
		v    float64
	}{
		{"ErrorRate", f.ErrorRate}, {"ResetRate", f.ResetRate}, {"DropRate", f.DropRate},
		{"InterfereRate", f.InterfereRate}, {"StaleReadRate", f.StaleReadRate},
	} {
		if math.IsNaN(r.v) || r.v < 0 || r.v > 1 {
			errs = append(errs, fmt.Errorf("mockserver: %s %v is outside [0, 1]", r.name, r.v))
		}
	}
	if s := f.ErrorStatus; s != 0 && s != 429 && (s < 500 || s > 599) {
		errs = append(errs, fmt.Errorf("mockserver: ErrorStatus %d: want 0, 429 or 5xx", s))
	}
	return errors.Join(errs...)
}

// errorStatus resolves the zero ErrorStatus.
func (f Faults) errorStatus() int {
	if f.ErrorStatus == 0 {
		return 503
	}
	return f.ErrorStatus
}

// faultsJSON is the wire form of Faults: snake_case names and durations as
// strings, so that curl users can write "5ms".
type faultsJSON struct {
	Latency       jsonDuration `json:"latency"`
	LatencyJitter jsonDuration `json:"latency_jitter"`
	ErrorRate     float64      `json:"error_rate"`
	ErrorStatus   int          `json:"error_status"`
	RetryAfter    jsonDuration `json:"retry_after"`
	ResetRate     float64      `json:"reset_rate"`
	DropRate      float64      `json:"drop_rate"`
	InterfereRate float64      `json:"interfere_rate"`
	StaleReadRate float64      `json:"stale_read_rate"`
}

// MarshalJSON encodes f with snake_case names and duration strings.
func (f Faults) MarshalJSON() ([]byte, error) {
	return json.Marshal(faultsJSON{
		Latency: jsonDuration(f.Latency), LatencyJitter: jsonDuration(f.LatencyJitter),
		ErrorRate: f.ErrorRate, ErrorStatus: f.ErrorStatus, RetryAfter: jsonDuration(f.RetryAfter),
		ResetRate: f.ResetRate, DropRate: f.DropRate,
		InterfereRate: f.InterfereRate, StaleReadRate: f.StaleReadRate,
	})
}

// UnmarshalJSON decodes the form MarshalJSON writes. Missing fields are
// zero; unknown fields are an error, so that a typo does not silently
// disable a fault. Durations may also be numbers of nanoseconds.
func (f *Faults) UnmarshalJSON(data []byte) error {
	var w faultsJSON
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return fmt.Errorf("mockserver: faults: %w", err)
	}
	*f = Faults{
		Latency: time.Duration(w.Latency), LatencyJitter: time.Duration(w.LatencyJitter),
		ErrorRate: w.ErrorRate, ErrorStatus: w.ErrorStatus, RetryAfter: time.Duration(w.RetryAfter),
		ResetRate: w.ResetRate, DropRate: w.DropRate,
		InterfereRate: w.InterfereRate, StaleReadRate: w.StaleReadRate,
	}
	return nil
}

// jsonDuration is a time.Duration written as a Go duration string.
type jsonDuration time.Duration

func (d jsonDuration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

func (d *jsonDuration) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		// a bare number is nanoseconds, as encoding/json would write it
		var n int64
		if err := json.Unmarshal(data, &n); err != nil {
			return fmt.Errorf("duration %s: want a string such as \"5ms\"", data)
		}
		*d = jsonDuration(n)
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = jsonDuration(v)
	return nil
}
