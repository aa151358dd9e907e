// Package mockserver is a real HTTP server that produces the conflicts and
// failures an optimistic-concurrency client must survive, for tests of
// ifmatch and of code built on it.
//
// It stores JSON documents at any path (the query is not part of the key)
// and versions each write. Every version is unique server-wide, also across
// a delete and re-create, and across servers: each Handler starts its ETags
// with a random prefix ("3f9a1c07b2e4-7"), so a client that outlives a
// restarted server never finds its remembered ETag on different content. A
// test usually starts one on loopback:
//
//	srv := mockserver.New(mockserver.Options{})
//	defer srv.Close()
//	etag, _ := srv.SetDoc("/counter", []byte(`{"n":0}`))
//	// ... point the client under test at srv.URL + "/counter"
//
// NewHandler gives the same API as an http.Handler, to mount elsewhere.
//
// # Documents
//
// GET and HEAD answer 200 with the document, Content-Type application/json
// and a strong ETag such as "3f9a1c07b2e4-7"; with a matching
// If-None-Match, 304. PUT
// stores a JSON body (Content-Type application/json or */*+json; without
// one it is a 415): 201 on create, with a percent-encoded Location, 200 on
// update, with the stored document and its ETag. PATCH takes
// application/json-patch+json (RFC 6902) or application/merge-patch+json
// (RFC 7396) and answers 200; a JSON Patch may replace the whole document
// (path "") with an object or an array, but not remove it or replace it
// with a scalar (a 422 that says to PUT or DELETE instead). DELETE answers
// 204. A write honors If-Match and If-None-Match (list syntax and "*"); a
// stale one is answered with 412. Error answers carry an RFC 9457 problem
// body whose type is one of the Problem* constants: 400 for a malformed
// body, patch or path, 404 for a missing document, 413 for a body too
// large, 415 for a media type, 422 for a patch that does not apply.
//
// A document's key is its percent-decoded path as sent: /a, /a/ and //a
// are three documents. The query is ignored (except the version parameter
// in VersionField mode). A path with a "." or ".." segment is refused with
// 400 rather than resolved, so that no two URLs name one document.
//
// # Limits
//
// The server shares its process with the tests that use it, so a request
// cannot make it hold or do much: a body is at most 8 MiB (413); its arrays
// and objects nest at most 64 deep, and its bytes weighted by nesting (each
// byte counted once per array or object around it) are at most 32 MiB
// (400), which bounds what the patch library copies when it decodes; it
// holds at most 100,000 object members (400), which bounds a merge patch's
// work, linear in them, before it starts. A JSON Patch has at most 10,000
// operations (400), and its copy operations may add at most 8 MiB, sized
// before any is made (422). The document a patch produces obeys the limits
// of a body (422). SetDoc refuses what a request could not store. Stats
// counts methods outside RFC 9110 and PATCH under "OTHER". Idempotent
// answers are kept up to 100,000 keys and 64 MiB, oldest first out.
//
// A write holds only its own document: writes to one document are
// serialized (each check-and-commit atomic), while reads, and writes of
// other documents, go on. The server of New reads header fields up to
// DefaultMaxHeaderBytes (431 past them) and serves
// Options.MaxConnections connections at once.
//
// # Modes
//
// Options change how versions are checked, to imitate the servers clients
// meet:
//
//   - StaleStatus 409 answers a stale version with 409 instead of 412.
//   - RequireIfMatch answers 428 to an unconditional write of an existing
//     document.
//   - WeakETags hands out weak ETags (W/"3f9a1c07b2e4-7") and takes them
//     back verbatim in If-Match.
//   - ConflictBody makes a stale answer carry the current document and its
//     ETag, so that a client can rebase without another GET.
//   - VersionField keeps the version inside the document (CouchDB's "/_rev",
//     Kubernetes' "/metadata/resourceVersion"), as "<generation>-<hex>". A
//     write to an existing document must send the current version in the
//     body or the ?rev= query parameter (see VersionParam); a stale or
//     missing one is a 409. If-Match is ignored, as pouchdb-server does.
//   - WeakWindow, NoWriteETag and NonAtomicCheck play Apache httpd with
//     mod_dav (ApacheOptions sets all three): ETags weak for a while after
//     each write and compared strongly, write answers without an ETag, and
//     a precondition check that is not atomic with the write.
//   - TimestampETags, ODataPatch, Annotations, ManagedFields and
//     PutKeepsOmitted play an OData V4 service such as SAP CAP
//     (ODataOptions sets them with RequireIfMatch and WeakETags): ETags
//     W/"<commit time>" taken back verbatim, 428 without If-Match, PATCH
//     taking a merge patch as application/json only, "@odata.context" and
//     "@odata.etag" in answers and dropped from writes, fields such as
//     "ModifiedAt" set by the server, and a PUT keeping what it omits.
//   - In any mode, a write with Prefer: return=minimal is answered without
//     the document (204, or 201 on create), its ETag kept.
//   - IgnorePreconditions is a broken server where the last writer wins,
//     to show lost updates.
//   - Idempotency honors the Idempotency-Key header on writes: the same key
//     and request replay the first answer (with Idempotent-Replayed: true),
//     a different request with the same key is a 422, and a retry while the
//     first is in flight is a 409.
//
// # Faults
//
// Faults, switched with Handler.SetFaults or PUT /_mock/faults, hit
// document requests in this order: latency (with jitter); an error answer
// (503 or ErrorStatus, with Retry-After) before processing; a TCP reset
// before processing; for a conditional write, a concurrent writer that
// bumps the version first; and after a write commits, a dropped connection
// with no answer, the ambiguous case a client cannot tell from a failure.
// Reads may be served from an older version, as from a lagging replica.
// Every random choice comes from one source seeded by Options.Seed, so the
// same seed and the same sequence of requests give the same faults.
//
// Stats counts requests by method and status, commits, conflicts,
// external writes, idempotent replays and each fault that took effect.
//
// # Admin API
//
// Paths under /_mock/ are never documents, never faulted and not counted:
//
//	GET    /_mock/stats        counters (Stats as JSON)
//	DELETE /_mock/stats        reset the counters
//	GET    /_mock/faults       current faults, durations as "5ms"
//	PUT    /_mock/faults       replace the faults from a JSON object; missing fields are zero
//	GET    /_mock/docs/<path>  document /<path> with its ETag, bypassing faults
//	PUT    /_mock/docs/<path>  write /<path> as an external writer
//	DELETE /_mock/docs/<path>  delete /<path> as an external writer
//
// # Standalone use
//
// The same server runs on its own, for curl or other languages:
//
//	go run github.com/ifmatch/ifmatch/cmd/ifmatch-mockserver -addr 127.0.0.1:8080 -stale-status 409 -drop-rate 0.1
//
// It has a flag for every option and fault; -h lists them. Its timeouts
// (-read-header-timeout 5s, -read-timeout 15s, -idle-timeout 15s,
// -write-timeout none) close connections that trickle or sit idle, and it
// serves -max-conns (256) connections at once with header fields up to
// -max-header-bytes (64 KiB).
package mockserver
