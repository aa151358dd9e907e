package ifmatch

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/hashicorp/go-cleanhttp"
)

// PatchStrategy says how Patch and MergePatch write.
type PatchStrategy int

const (
	// ApplyLocally applies the change to the current document here, then
	// PUTs the whole document with If-Match. It needs no PATCH support on
	// the server and lets concurrent calls share one write (group commit).
	ApplyLocally PatchStrategy = iota
	// SendPatch sends PATCH (application/json-patch+json or
	// application/merge-patch+json) with If-Match; the server applies it.
	SendPatch
)

// Backoff is the conflict backoff policy: NextBackOff returns how long to
// wait before the next attempt, a negative duration meaning stop. Reset
// starts over. backoff/v4 and later majors of github.com/cenkalti/backoff
// satisfy it.
type Backoff interface {
	NextBackOff() time.Duration
	Reset()
}

// Options configure a Client. The zero value of every field means its
// default, documented on the field. Options are copied by New; changing
// them afterwards has no effect.
type Options struct {
	// HTTPClient sends every request. nil: a pooled client from
	// go-cleanhttp, private to this Client, keeping up to 128 idle
	// connections per host.
	HTTPClient *http.Client

	// MaxAttempts caps the write attempts per call, the first included;
	// transport retries do not count. 0: no cap (MaxElapsed and the context
	// bound the call); negative: one attempt.
	MaxAttempts int

	// MaxElapsed is the time budget per call for conflict retries. 0: 30 s;
	// negative: only the context bounds the call.
	MaxElapsed time.Duration

	// Backoff returns a fresh conflict backoff for each call, used as it
	// is. nil: DefaultBackoff (exponential with jitter from 1 ms, since a
	// conflict means somebody else just made progress), combined with a
	// backoff level remembered per resource across this Client's calls, so
	// that independent writers of a hot resource settle at a pace where
	// they seldom collide, with aging so that none starves.
	Backoff func() Backoff

	// RetryMax is the number of transport retries per request (network
	// errors, 408, 429, 5xx) for requests that are safe to repeat. 0: 4;
	// negative: none.
	RetryMax int

	// RetryWaitMin and RetryWaitMax bound the jittered exponential wait
	// between transport retries. 0: 50 ms and 2 s.
	RetryWaitMin, RetryWaitMax time.Duration

	// RetryAfterMax caps a server's Retry-After. 0: 10 s; negative:
	// Retry-After is ignored.
	RetryAfterMax time.Duration

	// AttemptTimeout bounds each HTTP request, reading the body included,
	// so a server that trickles bytes cannot hold a call. It applies only
	// when HTTPClient.Timeout is zero. 0: 30 s; negative: none.
	AttemptTimeout time.Duration

	// CacheEntries bounds the ETag cache. 0: 10,000; negative: no cache
	// (Put and Delete then always return ErrNoVersion).
	CacheEntries int

	// CacheBytes bounds the bytes of documents held by the cache. 0: 64 MiB;
	// negative: documents are not cached, only versions.
	CacheBytes int64

	// MaxBodyBytes caps every request and response body. 0: 16 MiB;
	// negative: no cap.
	MaxBodyBytes int64

	// PatchStrategy selects how Patch and MergePatch write. Zero:
	// ApplyLocally.
	PatchStrategy PatchStrategy

	// VersionField, when set, is a JSON Pointer (RFC 6901) to the field of
	// the document that holds its version, for APIs whose version is not an
	// ETag: "/_rev" for CouchDB, "/metadata/resourceVersion" for Kubernetes.
	// Reads take the version from the field and writes carry it there. "":
	// the ETag header.
	VersionField string

	// VersionParam, with VersionField, is a query parameter that also
	// carries the version on writes ("rev" for CouchDB, which needs it on
	// DELETE). "": none.
	VersionParam string

	// VersionInAnswer, with VersionField, is a JSON Pointer to the new
	// version in a write's answer when the answer is not the document:
	// "/rev" for CouchDB, which answers {"ok":true,"id":...,"rev":...}. The
	// Client then knows the document it wrote at its new version and needs
	// no read before the next write. "": such answers teach nothing, and
	// the next write reads the resource first.
	VersionInAnswer string

	// IdempotencyKeys sends an Idempotency-Key header on every write: the
	// same key for the transport retries of one attempt, a new key after a
	// rebase. With a server that honors keys, a write whose answer was lost
	// is retried and returns its original outcome instead of
	// ErrOutcomeUnknown. false: no keys.
	IdempotencyKeys bool

	// IdempotencyHeader names the idempotency header. "": "Idempotency-Key".
	IdempotencyHeader string

	// NoGroupCommit turns group commit off. By default, concurrent
	// ApplyLocally writes (Patch, MergePatch, Update, Modify) to the same
	// resource through one Client are combined: one PUT carries every
	// waiting caller's change, applied in arrival order, and each caller
	// gets the committed document. Under SendPatch, concurrent Patch and
	// MergePatch calls of one media type share a PATCH the same way (JSON
	// Patches concatenated, merge patches combined where that equals
	// applying them in order). A caller whose change fails (a failed test,
	// an error from its mutate function) fails alone.
	NoGroupCommit bool

	// ThreeWayPut makes Put, and a PUT without precondition sent through
	// Do, rebase a stale write instead of failing: the caller's edit of the
	// version this Client last saw is applied to the fresh document when
	// it touches other fields than the concurrent change. Edits of the same
	// field are a *ConflictError listing their JSON Pointers, unless
	// Resolve decides them. false: a stale Put is a *ConflictError.
	ThreeWayPut bool

	// Resolve, with ThreeWayPut, decides fields that both sides changed.
	// nil: such a conflict is returned.
	Resolve Resolver

	// Header is sent with every request (for example Authorization). The
	// cache is partitioned by its credentials like those of each call.
	Header http.Header

	// OnConflict, if set, is called before each conflict backoff with the
	// call's context (so that metrics and logs keep its trace; for a group
	// commit, the context of the first call in the group), for metrics. It
	// must be fast and safe for concurrent use.
	OnConflict func(context.Context, ConflictInfo)

	// OnRetry, if set, is called before each transport retry with the
	// call's context, for metrics. It must be fast and safe for concurrent
	// use.
	OnRetry func(context.Context, RetryInfo)

	// Tracer, if set, observes every call and every HTTP request it sends,
	// for tracing; see the otelifmatch module for OpenTelemetry spans. nil:
	// none.
	Tracer Tracer

	// Logger receives a record for every transport retry, conflict and
	// rebase. nil: nothing is logged.
	Logger *slog.Logger

	// MergePatchContentType is the media type MergePatch sends its patch
	// under with SendPatch, and the one Do takes for a merge patch besides
	// application/merge-patch+json. "": application/merge-patch+json.
	// OData V4 services take a merge patch only as "application/json". The
	// SDK sets Content-Type on its own writes after Header and WithHeader,
	// so this field, not a header, chooses it.
	MergePatchContentType string

	// JSONPatchContentType is the media type Patch sends its JSON Patch
	// under with SendPatch. "": application/json-patch+json.
	JSONPatchContentType string

	// StoredMayDiffer says the server may store something other than the
	// document a PUT sends (it sets fields it manages, drops annotations or
	// properties it does not know, keeps properties the PUT omitted) even
	// when it answers with an ETag and no document, against RFC 9110
	// section 9.3.4. The sent document is then never taken for the stored
	// one: the next Update, Modify or ApplyLocally patch reads the resource
	// first. A write's answer that is the document (a Content-Location
	// naming the resource, or an object with every member the PUT sent,
	// annotations aside) is taken for what the server stores, with or
	// without this field. false: a PUT answered with an ETag and no
	// document stored what was sent.
	StoredMayDiffer bool
}

// config is Options with every default resolved, fixed at New.
type config struct {
	Options
	httpClient *http.Client
	policy     policy // MaxAttempts, MaxElapsed and Backoff, resolved: each call's default
	idemHeader string
}

func (o Options) resolve() config {
	c := config{Options: o}
	c.httpClient = o.HTTPClient
	if c.httpClient == nil {
		// go-cleanhttp's pool keeps GOMAXPROCS+1 idle connections per host:
		// too few for a batch job's many goroutines on one API, whose
		// connections would then churn (and pile up in TIME_WAIT).
		tr := cleanhttp.DefaultPooledTransport()
		tr.MaxIdleConnsPerHost = 128
		c.httpClient = &http.Client{Transport: tr}
	}
	timeout := or(o.AttemptTimeout, 30*time.Second)
	// A shallow copy shares the caller's Transport (and so its pool and
	// CloseIdleConnections) but not the caller's struct.
	hc := *c.httpClient
	if hc.Timeout == 0 && timeout > 0 {
		hc.Timeout = timeout
	}
	hc.CheckRedirect = stripCredentialsOnRedirect(hc.CheckRedirect)
	c.httpClient = &hc
	c.policy = newPolicy(o.MaxAttempts, o.MaxElapsed, o.Backoff)
	if o.Header != nil {
		// Canonical keys, so that credentials are found however they were
		// spelled.
		c.Header = http.Header{}
		for k, vs := range o.Header {
			for _, v := range vs {
				c.Header.Add(k, v)
			}
		}
	}
	c.RetryMax = or(o.RetryMax, 4)
	c.RetryWaitMin = or(o.RetryWaitMin, 50*time.Millisecond)
	c.RetryWaitMax = or(o.RetryWaitMax, 2*time.Second)
	c.RetryAfterMax = or(o.RetryAfterMax, 10*time.Second)
	c.CacheEntries = or(o.CacheEntries, 10_000)
	c.CacheBytes = or(o.CacheBytes, 64<<20)
	c.MaxBodyBytes = or(o.MaxBodyBytes, 16<<20)
	c.idemHeader = o.IdempotencyHeader
	if c.idemHeader == "" {
		c.idemHeader = "Idempotency-Key"
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// or returns v, or def when v is zero; negative values pass through for the
// caller to read as "off".
func or[T int | int64 | time.Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}
