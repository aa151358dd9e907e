// Package ifmatch writes JSON resources over HTTP without losing anybody's
// update. A Client remembers the version (ETag) of every resource it has
// seen, sends it as If-Match on every write, and when the server answers
// 409 Conflict or 412 Precondition Failed it refetches the resource,
// reapplies the caller's change to the fresh document and retries with
// backoff. Callers never write that retry loop again.
//
//	c := ifmatch.New(nil)
//	_, err := c.Patch(ctx, "https://api.example.com/items/7",
//		[]byte(`[{"op":"replace","path":"/stock","value":2}]`))
//
// A zero Client works as New(nil) does. New checks its Options
// (Options.Validate) and panics on a mistake, such as a VersionField that
// is not a JSON Pointer, so that it shows at once; check Options built
// from input with Validate first. Options are the Client's defaults; call
// options (IfMatch, MaxAttempts, MaxElapsed, ConflictBackoff, WithHeader)
// override them for one call.
//
// # Which method
//
//   - [Client.Patch] (RFC 6902) and [Client.MergePatch] (RFC 7396): the change is data, and is
//     rebased onto each fresh version. A JSON Patch "test" makes it
//     conditional on the content: a failing test is [ErrTestFailed].
//   - [Client.Update]: the change is a function of the current document, run once
//     per attempt (so it must be free of side effects).
//   - [Modify]: Update for a Go type; only the fields mutate changed are
//     written back, so fields the type does not declare survive.
//   - [Client.Create]: PUT with If-None-Match: *, for new resources.
//   - [Client.Put] and [Client.Delete]: replace or delete exactly the
//     version the caller read ([IfMatch], a [TrackVersions] scope, else the
//     last Get); a stale version is a conflict, never overwritten.
//   - [Client.Get]: read, and remember the version; repeated reads revalidate with
//     If-None-Match.
//   - [Client.Do]: for requests built elsewhere, such as a generated OpenAPI client
//     (it fits oapi-codegen's HttpRequestDoer).
//
// # The version a write carries
//
// One rule, the same for Put, Delete, Patch, MergePatch, Update, Modify and
// Do, decides which version a write is based on:
//
//  1. the version the caller gives for the call: IfMatch(etag), its own
//     If-Match header (never replaced), or, with Options.VersionField, the
//     version field of the document it puts;
//  2. inside TrackVersions(ctx), the version that scope read;
//  3. otherwise, for Put and Delete, the version the last Get of this Client
//     returned for the resource. Writes, this Client's own included, never
//     move it: Get, then any other write, then a Put of the Get's edited
//     body is refused with ErrConflict rather than written over the other
//     write. (Create marks the version it created: its caller holds that
//     document.) Patch, MergePatch, Update and Modify start from the newest
//     version the Client knows, since they are recomputed on any version.
//
// A change based on a version its caller read (1 or 2) is reapplied after a
// conflict only where the fields it writes did not change since that
// version; otherwise the call is a *ConflictError matching ErrFieldsChanged.
// Update and Modify with IfMatch run their function on that version only.
//
// Goroutines sharing a Client share rule 3's version: when several of them
// Get and Put the same resource, each must say which version it read, with
// IfMatch(resp.ETag) or a TrackVersions context, or one may replace a
// version another read (see the Example of IfMatch). Patch, MergePatch,
// Update and Modify need nothing: they rebase.
//
// # Conflicts and errors
//
// Every answer to a write, on every path, is classified in one place: 2xx
// committed; 412 stale version (refetch, rebase, retry); 409 (refetch: if
// the version moved, rebase and retry, else the conflict is about content
// and is returned); 428 (fetch the version, retry); 423 or a 409 that says
// locked (wait, send the same write again); a 409 to a resent
// Idempotency-Key (our own write still in flight: wait, resend the same
// key); 408, 429, 5xx and network errors (transport retry with capped
// backoff and Retry-After, for requests safe to repeat); any other 4xx is
// the caller's *ResponseError. A conflict loop ended by the context's
// deadline returns a *ConflictError that also matches
// context.DeadlineExceeded.
//
// Unresolved conflicts match [ErrConflict] and unwrap to [*ConflictError] (URL,
// attempts, last status, last version seen, RFC 9457 problem details).
// Other non-2xx answers are [*ResponseError]; [ErrNotFound] matches a 404. A
// context that ends gives an error naming the call's method and URL that
// matches the context's error.
// [Options.MaxAttempts], [Options.MaxElapsed] and the context bound the retries; when a budget
// runs out the call returns a *ConflictError, and it never sleeps past the
// context's deadline. Error strings start with "ifmatch:" and never hold
// credentials: URLs lose userinfo and query values.
//
// Weak ETags (W/"…") are sent back verbatim. A server that refuses its own
// current weak tag compares If-Match strongly (Apache httpd does, for a
// second after each write): the call then waits for the tag to turn strong
// and writes on that, and ends with [ErrETagRejected] only when the tag stays
// weak past its budget, or when a strong tag is refused again and again.
//
// # Lost answers
//
// A write whose request was sent but whose answer was lost may or may not
// have committed. The Client retries it with the same precondition, which
// cannot apply it twice: if the retry meets a changed version, the call
// returns *OutcomeUnknownError (ErrOutcomeUnknown) instead of guessing;
// never a rebase, which could apply the change twice. With
// Options.IdempotencyKeys and a server that honors the Idempotency-Key
// header, the retry returns the original outcome instead; a 409 while our
// key is still being processed is waited out with the same key. A retry
// that meets a changed version without a replay is still unknown: the
// client cannot tell a server that did not process the lost try from one
// that ignores keys. In a group commit, only the callers whose change was
// in the write whose answer was lost are told so.
//
// # Panics
//
// A mutate function (Update, Modify) or Resolver that panics fails alone:
// the panic is raised again in its caller's goroutine, with the caller's
// own value, whichever goroutine ran the function (group commit runs queued
// changes on a background goroutine). Other callers' changes proceed, and
// the resource stays writable.
//
// # Group commit
//
// Concurrent Patch, MergePatch, Update and Modify calls on one resource
// through one Client share writes: while one write is out, the next callers
// queue, and the next PUT carries all their changes, applied in arrival
// order. A caller whose change fails fails alone. Each caller gets the
// committed document. [Options.NoGroupCommit] turns it off.
//
// With PatchStrategy SendPatch, queued patches of one media type under the
// same headers share a PATCH: JSON Patches are concatenated (RFC 6902
// applies them in order, all or nothing), merge patches are combined where
// one merge patch means the same as the sequence, and one that cannot be
// combined waits for the next PATCH. When the server refuses a combined
// patch (a member's failed test, say), each member's patch is tried on the
// fresh document: a member whose test fails there gets ErrTestFailed, the
// others are sent again; a refusal that no member explains sends each
// member's patch alone, so that every caller gets its own answer. A patch
// based on the caller's own version (IfMatch, TrackVersions) is sent alone.
//
// # Versions in the body
//
// Some APIs keep the version in the document instead of the ETag header:
// CouchDB's _rev, Kubernetes' metadata.resourceVersion. [Options.VersionField]
// names it with a JSON Pointer; a domain SDK sets it once:
//
//	couch := ifmatch.New(&ifmatch.Options{VersionField: "/_rev", VersionParam: "rev", VersionInAnswer: "/rev"})
//
// Reads then take the version from the field, writes carry it in the body
// (and in the rev query parameter), and a 409 on a stale _rev is rebased
// like a 412.
//
// # Cache
//
// The cache maps each resource to its last known version and document. It
// is bounded (CacheEntries, CacheBytes), safe for concurrent use, and
// partitioned by credentials and Vary, so one principal never gets
// another's cached document. What counts as a credential is one rule:
// Authorization, Cookie, URL userinfo, and any header whose name says it
// holds a token, secret, password, session or API key (Private-Token,
// X-Vault-Token, X-Goog-Api-Key, ...); the same rule strips headers on a
// redirect to another host or from https to http, and redacts errors and
// logs. It forgets a
// resource on a conflict, on DELETE, and after a write whose answer does
// not name the new version.
//
// # Generated clients
//
// [Client.Do] fits oapi-codegen's HttpRequestDoer: pass the ifmatch Client
// where a generated client takes its HTTP client. Do adds If-Match to
// writes that carry none, learns versions from answers, rebases JSON
// Patch and merge patch bodies, and, with [Options.ThreeWayPut], PUTs. When
// goroutines share the Client, give each read-modify-write operation its
// own [TrackVersions] context, so that its writes are based on what it read.
// See examples/openapi. Code that takes an *http.Client instead (ogen,
// openapi-generator's Configuration.HTTPClient, SDKs with a WithHTTPClient
// option) gets [Client.StandardClient], whose requests all go through Do;
// [WithCallOptions] passes call options to them in the context. See
// examples/ogen.
//
// # Domain SDKs
//
// A typed client (an inventory, a billing API) wraps one Client: it sets
// the base URL, credentials ([Options.Header]), the version's location
// ([Options.VersionField]) once, writes with Modify or MergePatch, and maps
// ifmatch's errors to its own. See examples/domainsdk.
//
// # Batch jobs
//
// One Client serves any number of goroutines. Bound the concurrency, rate
// limit if the API asks for it, and count the outcomes by error:
// ErrConflict, ErrOutcomeUnknown, *ResponseError. Each update is one
// conditional write, so an interrupted job leaves every resource either
// updated or untouched. See examples/batch.
//
// # Monitoring
//
// [Client.Stats] counts calls, requests, conflicts, rebases, transport
// retries, unknown outcomes and cache use; [Options.OnConflict] and
// [Options.OnRetry] report each conflict and retry as it happens, with the
// call's context (for metrics systems); and [Options.Logger] gets a record
// for each, with its reason and delay (conflicts at Debug). See
// examples/otel for OpenTelemetry metrics. [Options.Tracer] sees each call
// and each HTTP request it sends; the module
// github.com/ifmatch/ifmatch/otelifmatch makes them OpenTelemetry spans.
//
// # What ifmatch cannot do
//
// A server that ignores If-Match (and has no other version check) accepts
// stale writes: no client can prevent lost updates there. Check a server
// once by sending a write with a version it cannot hold (If-Match:
// "ifmatch-probe"): it must answer 412.
package ifmatch
