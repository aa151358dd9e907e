// Package ifmatch writes JSON resources over HTTP without losing anybody's
// update. A [Client] remembers the version (ETag) of every resource it has
// seen, sends it as If-Match on every write, and when the server answers
// 409 Conflict or 412 Precondition Failed it refetches the resource,
// reapplies the caller's change to the fresh document and retries with
// backoff. Callers never write that retry loop again.
//
//	c := ifmatch.New(nil) // safe for concurrent use: share one
//	_, err := c.Patch(ctx, "https://api.example.com/items/7",
//		[]byte(`[{"op":"replace","path":"/stock","value":2}]`))
//
// The sections below state every rule the Client follows, each once; the
// README, the CHANGELOG and the code's comments link to them.
//
// # Which method
//
//   - [Client.Patch] (RFC 6902) and [Client.MergePatch] (RFC 7396): the
//     change is data, reapplied to each fresh version. A JSON Patch "test"
//     makes it conditional on the content: a failing test is
//     [ErrTestFailed], at once, never retried.
//   - [Client.Update]: the change is a function of the current document,
//     run again on each fresh version (so it must be free of side effects).
//     Returning [ErrNoChange] ends the call without a write: Update returns
//     the current document (Attempts 0), [Modify] the current value.
//   - [Modify]: Update for a Go type; only the fields the function changed
//     are written back, so fields the type does not declare survive.
//   - [Client.Create]: PUT with If-None-Match: *; a resource that exists is
//     [ErrConflict], not retried.
//   - [Client.Put] and [Client.Delete]: replace or delete exactly the
//     version the caller read (see [The version a write carries]); a stale
//     version is [ErrConflict], never overwritten, and no known version is
//     [ErrNoVersion], with nothing sent. With [Options.ThreeWayPut], a
//     stale Put is merged onto the fresh document when the two edits touch
//     different fields; a field both sides changed, even to the same
//     value, is a conflict unless [Options.Resolve] decides it.
//   - [Client.Get]: reads, and remembers the version; repeated reads
//     revalidate with If-None-Match (a 304 is answered from the cache).
//   - [Client.Do] and [Client.StandardClient]: requests built elsewhere,
//     such as by a generated OpenAPI client (see [Generated clients]).
//
// # The version a write carries
//
// One rule, the same for Put, Delete, Patch, MergePatch, Update, Modify and
// Do, decides which version a write is based on:
//
//  1. the version the caller gives for the call: [IfMatch](etag), its own
//     If-Match header (never replaced), or, with [Options.VersionField],
//     the version field of the document it puts (or [Options.VersionParam]
//     in the URL it deletes);
//  2. inside [TrackVersions](ctx), the version that scope read;
//  3. otherwise, for Put and Delete (and a PUT, PATCH or DELETE through
//     [Client.Do] that carries no precondition), the version reads of this
//     Client handed out, while that says which version the caller read.
//     Every read outside a scope (Get, a GET through Do) hands out a
//     version and leaves it open; a Put or Delete based on reads claims
//     one. While one version is open, however many readers hold it, the
//     write carries it: a reader whose copy is stale gets ErrConflict,
//     never an overwrite. When reads handed out different versions that no
//     write has claimed, the write could be based on any of them, and the
//     newest would overwrite what its caller never saw: it is refused with
//     [ErrNoVersion], naming the fix ([RetryOnConflict], TrackVersions,
//     IfMatch), and nothing is sent. With no open read, the write carries
//     the version last read, unless a conflict or a 404 made the Client
//     forget it (ErrNoVersion: read again). Create sets the version last
//     read: its caller holds the document. Writes never move rule 3's
//     version, so Get, then any other write, then a Put of the Get's edited
//     body is refused with ErrConflict. Through Do, a resource never read
//     gets its request sent as it is. Patch, MergePatch, Update and Modify
//     start from the newest version the Client knows, since they are
//     recomputed on any version.
//
// A change based on a version its caller read (1 or 2) is reapplied after a
// conflict only where the fields it writes did not change since that
// version; otherwise the call is a *ConflictError matching
// [ErrFieldsChanged]. Update and Modify with IfMatch run their function on
// that version only, and return the conflict instead of retrying.
//
// So goroutines that share a Client and each Get and Put the same resource
// are never based on each other's reads: the single-goroutine sequence Get,
// Put works as it is, and concurrent ones either go through or are refused
// with an error that names the fix. Wrap such read-modify-write sequences
// in RetryOnConflict (or give each its own TrackVersions context, or pass
// IfMatch(resp.ETag)). Patch, MergePatch, Update and Modify need nothing:
// they rebase.
//
// # The write pipeline
//
// Every write, whichever door it comes in by (the methods, Do and
// StandardClient, the ifmatch command), goes through one pipeline, so that
// each rule above and below is decided in one place:
//
//   - plan: the version the write carries (the rule above), the guard on a
//     change built from what its caller read, and how it is sent: as it is
//     (Create, Put, Delete, Do's other writes: a conflict ends the call),
//     applied here and PUT ([ApplyLocally], Update, Modify, ThreeWayPut), or
//     sent as a PATCH the server applies ([SendPatch], patches through Do);
//   - drive: the conflict loop. Each answer is classified once (see [How
//     answers are classified]); locks are waited out, a stale version is
//     refetched and the write rebuilt on it after a backoff, a lost answer
//     is reported as unknown;
//   - finish: what a committed answer proves (below), what the cache and
//     the callers' TrackVersions scopes learn, each caller's Response, and
//     Stats, which count what callers see, once.
//
// A committed write's answer is taken for the stored document only when it
// says so: its Content-Location names the resource, or it is a JSON object
// with every member of the document expected (the one a PUT sent, the one
// a PATCH was applied to). A status object ({"ok":true}) or a few fields
// are not the document: the Client then keeps only the version, and the
// next write that needs the document reads it. A PUT's answer with an
// ETag and no document means the document was stored as sent (RFC 9110,
// section 9.3.4), unless [Options.StoredMayDiffer] says otherwise. The
// repository's ARCHITECTURE.md names the file of each stage.
//
// # How answers are classified
//
// Every answer to a write, on every path, is classified in one place:
//
//   - 2xx: committed. The new version, and the document when the answer
//     proves it is the document (see [The write pipeline]), are cached.
//   - 412: our version is stale. Refetch (bypassing caches), rebase, retry
//     after a backoff.
//   - 409: refetch. If the version moved, rebase and retry as for 412; if
//     not, the conflict is about content and is returned as a
//     *ConflictError. With [Options.VersionField], a 409 on a stale version
//     field is a stale version.
//   - 422 to a PATCH: the server's refusal may be a failed test on a newer
//     version; the patch is tried on the fresh document here (a failing
//     test there is [ErrTestFailed], else it is rebased).
//   - 428: the server requires a precondition. Fetch the version and send
//     the write again with it ([Client.Do] too).
//   - 423, or a 409 that says the resource is locked (WebDAV): wait with
//     backoff and send the same write again, no rebase.
//   - 409 to a resent Idempotency-Key: our own write is still being
//     processed. Wait and send the same key again, never rebase.
//   - 408, 429, 5xx and network errors: transient. Transport retries with
//     jittered backoff ([Options.RetryMax], [Options.RetryWaitMin],
//     [Options.RetryWaitMax]) and Retry-After capped by
//     [Options.RetryAfterMax], only for requests that are safe to repeat (a
//     conditional write is; a POST is never retried).
//   - any other 4xx: the caller's error, a [*ResponseError], no retry.
//
// A write whose answer was lost, or whose last answer (a 5xx) may hide a
// commit, is not a conflict: see [Lost answers].
//
// # Conflict retries and backoff
//
// A conflict means somebody else just made progress, so the conflict
// backoff is separate from the transport retries and starts small: 1 ms,
// with jitter ([DefaultBackoff]). By default it is remembered per resource
// across the Client's calls: a conflict doubles the resource's level (up to
// 50 ms), a commit halves it, so that independent writers of one hot
// resource settle at a pace where they seldom collide; a call that has lost
// 8 rounds waits less and less, so that none starves. On a slow server
// (round trips of 1 ms or more) the level stays within 4 round trips, and a
// call's first write to a recently contended resource waits about one round
// trip, which lets a waiting writer in. [Options.Backoff] or the call
// option [ConflictBackoff] replaces this policy with one of their own. The
// figures were chosen by measurement (BENCHMARKS.md).
//
// [Options.MaxAttempts], [Options.MaxElapsed] (30 s by default) and the
// context bound the retries; the call options [MaxAttempts] and
// [MaxElapsed] override them for one call. Transport retries do not count
// as attempts, but are included in [Response].Attempts. When a budget runs
// out the call returns a *ConflictError, not a context error; it may stop
// early when the next wait would end past the budget or the deadline, and
// it never sleeps past the context's deadline. A conflict loop ended by the
// context's deadline returns a *ConflictError that also matches
// context.DeadlineExceeded.
//
// # Weak ETags
//
// Weak ETags (W/"…") are sent back verbatim: a server that compares
// If-Match weakly (SAP CAP, Azure Table storage, FHIR servers) commits at
// once. A server that refuses its own current weak tag compares strongly
// (Apache httpd with mod_dav does, for a second after each write): the call
// then waits for the tag to turn strong (50 ms doubling toward 1.5 s,
// shorter as the call ages, so that the oldest caller tends to go first)
// and writes on that; Put and Delete on a weak version wait for it to turn
// strong and send it again in its strong form, but only when the document
// is still the one read: a weak tag (size and mtime, say) can stay the same
// while the content changes, and then the write is a conflict, never an
// overwrite. The call ends with [ErrETagRejected], or an error matching
// context.DeadlineExceeded, when the tag stays weak past
// [Options.MaxElapsed] or the deadline, and with ErrETagRejected when a
// strong tag is refused again and again.
//
// # Lost answers
//
// A write whose request was sent but whose answer was lost may or may not
// have committed. The Client retries it with the same precondition, which
// cannot apply it twice: if the retry meets a changed version, the call
// returns an [*OutcomeUnknownError] matching [ErrOutcomeUnknown] instead of
// guessing; never a rebase, which could apply the change twice. This holds
// on every path, [Client.Do] included. A 5xx that may hide a commit ends
// the same way after the transport retries (the [*ResponseError] is its
// cause), as does a call whose context ends while its write is out: that
// error matches both the context's error and ErrOutcomeUnknown. An answer
// that proves the write was not processed (a 429, say) is never unknown.
//
// With [Options.IdempotencyKeys] and a server that honors the
// Idempotency-Key header, the retry returns the original outcome instead;
// a 409 while our key is still being processed is waited out with the same
// key. A retry that meets a changed version without a replay is still
// unknown: the client cannot tell a server that did not process the lost
// try from one that ignores keys. In a group commit, only the callers whose
// change was in the write whose answer was lost are told so.
//
// # Errors
//
// Every call returns nil only when its change committed, or when there was
// nothing to write ([ErrNoChange]). Otherwise the error says why:
//
//   - unresolved conflicts match [ErrConflict] and unwrap to
//     [*ConflictError]: URL, method, attempts, the last status (409 or 412),
//     the last version seen (the refetched one when there was one), RFC
//     9457 problem details ([Problem]) and the cause: [ErrTestFailed],
//     [ErrFieldsChanged], [ErrETagRejected] or [ErrMergeConflict], which
//     match ErrConflict too. A JSON Patch test that fails locally, before
//     anything is sent, has StatusCode 0.
//   - any other non-2xx answer is a [*ResponseError] (body capped);
//     [ErrNotFound] matches a 404.
//   - [ErrOutcomeUnknown]: see [Lost answers]. It does not match
//     ErrConflict.
//   - [ErrNoVersion], [ErrUnversioned], [ErrInvalidChange],
//     [ErrInvalidResponse], [ErrTooLarge]: nothing was written. A document
//     is JSON: Get, Update, Modify and the patches refuse an answer that is
//     not (its Content-Type or its body) with ErrInvalidResponse; Do
//     returns any answer as it is.
//   - a context that ends gives an error naming the call's method and URL
//     that matches the context's error with errors.Is.
//
// Error strings start with "ifmatch:" and never hold credentials (see
// [Cache and credentials]); URLs keep scheme, host, path and query keys,
// and lose userinfo and query values. Never classify an error by its text.
//
// # Options and call options
//
// [Options] are a Client's defaults; each field documents what its zero
// value means, and [New] copies them. New checks them ([Options.Validate])
// and panics with [ErrInvalidOptions] on a mistake, such as a VersionField
// that is not a JSON Pointer, so that it shows at once; check Options built
// from input with Validate first. A zero Client works as New(nil) does.
//
// Every method takes optional call options ([CallOption]) last, which override the
// Options for that call: [IfMatch], [MaxAttempts], [MaxElapsed],
// [ConflictBackoff] and [WithHeader]. A call with its own backoff or budget
// writes alone: group commit shares a write only between calls with the
// same policy. Requests through [Client.Do] and [Client.StandardClient]
// take call options from their context: [WithCallOptions].
//
// # Retrying a whole operation
//
// [RetryOnConflict](ctx, c, fn) is client-go's retry.RetryOnConflict for
// any code that reads and writes through a Client: a generated client over
// StandardClient, calls through Do, a sequence of typed calls. Each attempt
// runs fn in a fresh TrackVersions scope, so its writes carry what it read;
// an attempt is run again when fn fails and a write in it met a version
// conflict, whatever error fn made of the 409 or 412, or when fn's error
// matches ErrConflict. A Client's retries on one resource take turns, so
// that its goroutines stop colliding there; the Client's MaxAttempts,
// MaxElapsed and Backoff and the context bound them, and when they run out
// the error is a *ConflictError wrapping fn's last error. An attempt in
// which a write's outcome became unknown is never run again: its error
// matches ErrOutcomeUnknown.
//
//	err := ifmatch.RetryOnConflict(ctx, c, func(ctx context.Context) error {
//		item, err := api.GetItem(ctx, sku)
//		if err != nil {
//			return err
//		}
//		item.Stock--
//		return api.PutItem(ctx, sku, item)
//	})
//
// # Group commit
//
// Concurrent Patch, MergePatch, Update and Modify calls on one resource
// through one Client share writes: while one write is out, the next callers
// queue, and the next PUT carries all their changes, applied in arrival
// order. A caller whose change fails (a failed test, an error from its
// function) fails alone. Each caller gets the committed document.
// [Options.NoGroupCommit] turns it off.
//
// With [SendPatch], queued patches of one media type under the same headers
// share a PATCH: JSON Patches are concatenated (RFC 6902 applies them in
// order, all or nothing), merge patches are combined where one merge patch
// means the same as the sequence, and one that cannot be combined waits for
// the next PATCH. When the server refuses a combined patch (a member's
// failed test, say), each member's patch is tried on the fresh document: a
// member whose test fails there gets ErrTestFailed, the others are sent
// again; a refusal that no member explains sends each member's patch alone,
// so that every caller gets its own answer. A patch based on the caller's
// own version (IfMatch, TrackVersions) is sent alone.
//
// # Panics
//
// A mutate function (Update, Modify) or [Resolver] that panics fails alone:
// the panic is raised again in its caller's goroutine, with the caller's
// own value, whichever goroutine ran the function (group commit runs queued
// changes on a background goroutine). Other callers' changes proceed, and
// the resource stays writable. A hook ([Options.OnConflict], a [Tracer], a
// Logger's handler) that panics on a group's goroutine reaches the callers
// of that write the same way.
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
// like a 412. Numbers are never rounded through float64, in this mode or
// any other: integers beyond 2^53 and long decimals survive every change.
//
// # Cache and credentials
//
// The cache maps each resource to its last known version and document. It
// is bounded ([Options.CacheEntries], [Options.CacheBytes], which bounds the
// heap it holds), safe for concurrent use, and partitioned by credentials
// and Vary, so one principal never gets another's cached document or
// version. It forgets a resource on a conflict, on DELETE, and after a
// write whose answer does not name the new version.
//
// What counts as a credential is one rule: Authorization, Cookie, URL
// userinfo, and any header whose name says it holds a token, secret,
// password, session or API key (Private-Token, X-Vault-Token,
// X-Goog-Api-Key, ...). The same rule strips headers on a redirect to
// another host or from https to http, and redacts errors, logs and hooks,
// even inside the text of errors from below. Credentials that the
// HTTPClient's own transport adds (an OAuth2 transport, say) are invisible
// to ifmatch: use one Client per principal, or pass credentials with
// [Options.Header] or [WithHeader], so that the cache can partition by
// them.
//
// # Limits
//
// Every request and response body is capped by [Options.MaxBodyBytes]
// before it is sent or kept ([ErrTooLarge]), and a patch's copy operations
// cannot build a larger document. [Options.AttemptTimeout] bounds each
// request, its body included, so that a server that trickles bytes cannot
// hold a call. Together with the conflict budget and the context, every
// call is bounded in time and memory.
//
// # Generated clients
//
// [Client.Do] fits oapi-codegen's HttpRequestDoer: pass the ifmatch Client
// where a generated client takes its HTTP client. Do adds If-Match only to
// PUT, PATCH and DELETE requests that carry none (never to POST), learns
// versions from answers, rebases JSON Patch and merge patch bodies (a
// merge patch also under [Options.MergePatchContentType]), and, with
// [Options.ThreeWayPut], PUTs. When goroutines share the Client, wrap each
// read-modify-write operation in [RetryOnConflict] (or give it its own
// [TrackVersions] context), so that its writes are based on what it read. Code that takes an *http.Client instead
// (ogen, openapi-generator's Configuration.HTTPClient, SDKs with a
// WithHTTPClient option) gets [Client.StandardClient], whose requests all
// go through Do. See examples/openapi and examples/ogen.
//
// A PUT, PATCH or DELETE that Do versioned itself (from a scope's read or
// from the reads it handed out) and that meets a newer version is a
// [*ConflictError] naming RetryOnConflict, which the generated client
// passes on as its error (an *http.Client wraps it in a *url.Error;
// errors.Is sees through both). A write that carries the caller's own
// If-Match gets the server's answer as a response, as http.Client would
// give it. A PUT or DELETE whose version Do cannot know (see rule 3 of [The
// version a write carries]) is refused with ErrNoVersion before anything
// is sent. Do returns any answer to a read, JSON or not; the methods refuse
// a document that is not JSON (see [Errors]).
//
// # OData services
//
// OData V4 services (SAP CAP, Dynamics, Graph, SharePoint) use ETags and
// If-Match as ifmatch expects; two things differ. A merge patch is
// "application/json" (other media types get 415): with SendPatch, set
// [Options.MergePatchContentType]; the SDK sets Content-Type on its own
// writes after Options.Header and WithHeader, so this option, not a header,
// chooses it. And the stored entity is not the one sent: the service drops
// annotations and sets fields it manages. A write's answer that is the
// document is taken for what the server stores; with Prefer:
// return=minimal, or a service that drops properties it does not know, set
// [Options.StoredMayDiffer], so that the next local change reads first.
// Annotations pass through Update untouched (the service ignores them), and
// Modify ignores them.
// SAP CAP answers a Create of an entity that exists with a 500, which may
// hide a commit: Create then returns ErrOutcomeUnknown (see [Lost
// answers]); to create only what is missing there, POST to the entity set
// through Do.
//
// # Servers, and what ifmatch does about them
//
//   - A write's answer without an ETag (201 or 204, Apache httpd): the
//     version is forgotten, and the next write reads first.
//   - A version only in the body (pouchdb-server's _rev): [Options.VersionField].
//   - 428 when If-Match is missing (SAP CAP): the version is fetched.
//   - WebDAV locks (423, lighttpd and Apache httpd): waited out.
//   - An If-Match check that is not atomic with the write (Apache httpd):
//     two PUTs with the same If-Match can both succeed, and the server
//     loses one update. No client can prevent it.
//
// # What ifmatch cannot do
//
// A server that ignores If-Match (and has no other version check) accepts
// stale writes: no client can prevent lost updates there, and a 2xx cannot
// tell you that you overwrote someone's change. Check a server once, on a
// scratch resource you may overwrite, by sending a write with a version it
// cannot hold (If-Match: "ifmatch-probe"): it must answer 412 (a 2xx means
// it ignores the header; anything else is inconclusive).
// mockserver.Options{IgnorePreconditions: true} plays such a server in
// tests. A server that answers a conditional write with 2xx and an ETag for
// a document it transformed (RFC 9110 forbids it) may have its
// transformation overwritten by the next locally applied change, unless
// [Options.StoredMayDiffer] is set. Lagging replicas can make a 409 look
// like a conflict about content (the refetch shows the old version); the
// call then returns the *ConflictError rather than guess.
//
// # Domain SDKs and batch jobs
//
// A typed client (an inventory, a billing API) wraps one Client: it sets
// the base URL, credentials ([Options.Header]) and the version's location
// ([Options.VersionField]) once, writes with Modify or MergePatch, and maps
// ifmatch's errors to its own (examples/domainsdk). One Client serves any
// number of goroutines: a batch job bounds the concurrency, rate limits if
// the API asks for it, and counts the outcomes by error; each update is one
// conditional write, so an interrupted job leaves every resource either
// updated or untouched (examples/batch).
//
// # Monitoring
//
// [Client.Stats] counts writes, requests, conflicts met and returned,
// rebases, refetches, transport retries, unknown outcomes and cache hits,
// misses and evictions. [Options.OnConflict] and [Options.OnRetry] report
// each conflict and transport retry as it happens (status or reason,
// delay), with the call's context, for metrics; [Options.Logger] gets a
// record for each (conflicts at Debug, transport retries at Info).
// [Options.Tracer] sees each call and each HTTP request it sends; the
// module github.com/ifmatch/ifmatch/otelifmatch makes them OpenTelemetry
// spans (examples/otel).
//
// [The version a write carries]: https://pkg.go.dev/github.com/ifmatch/ifmatch#hdr-The_version_a_write_carries
// [Generated clients]: https://pkg.go.dev/github.com/ifmatch/ifmatch#hdr-Generated_clients
// [Lost answers]: https://pkg.go.dev/github.com/ifmatch/ifmatch#hdr-Lost_answers
// [The write pipeline]: https://pkg.go.dev/github.com/ifmatch/ifmatch#hdr-The_write_pipeline
// [How answers are classified]: https://pkg.go.dev/github.com/ifmatch/ifmatch#hdr-How_answers_are_classified
// [Errors]: https://pkg.go.dev/github.com/ifmatch/ifmatch#hdr-Errors
// [Cache and credentials]: https://pkg.go.dev/github.com/ifmatch/ifmatch#hdr-Cache_and_credentials
package ifmatch
