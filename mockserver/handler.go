package mockserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// AdminPrefix starts the paths of the admin endpoints; no document lives
// under it.
const AdminPrefix = "/_mock/"

// Handler is the mock document API: JSON documents at any path, their
// versions, the injected faults and the counters. It is safe for
// concurrent use. Mount it on any server, or use New for one on loopback.
type Handler struct {
	opts       Options // defaults resolved
	log        *slog.Logger
	versionPtr []string // VersionField's tokens; nil in ETag mode

	stop     chan struct{} // closed by Server.Close to cut latencies short
	stopOnce sync.Once

	faultMu sync.Mutex
	faults  Faults
	rng     *rand.Rand

	// locks serialize the writes of each document: a write's check and
	// commit happen under one hold of its document's lock, which makes
	// every conditional write atomic without holding up other documents.
	locks docLocks
	// mu guards the map of documents and the version sequence. It is held
	// only to look up, swap in or number a version, never across the work
	// of a write, so reads never wait for a patch.
	mu   sync.Mutex
	docs map[string]*document
	seq  uint64 // last version handed out, server-wide
	// lastStamp is the commit time of the last version (TimestampETags,
	// ManagedFields); guarded by mu.
	lastStamp time.Time
	// epoch sets this Handler's versions apart from any other's.
	epoch epoch

	// patchHook, when set by a test, runs while a PATCH is applied, its
	// document locked: a test holds a large patch there to see what else
	// the server answers meanwhile.
	patchHook func(path string)

	statsMu sync.Mutex
	stats   Stats

	idem idemStore
}

// NewHandler returns a Handler with no documents. It panics if
// opts.Validate fails, since that is a mistake in the calling code.
func NewHandler(opts Options) *Handler {
	if err := opts.Validate(); err != nil {
		panic(err)
	}
	opts = opts.withDefaults()
	h := &Handler{
		opts:   opts,
		log:    opts.Logger,
		stop:   make(chan struct{}),
		faults: opts.Faults,
		rng:    rand.New(rand.NewPCG(uint64(opts.Seed), 0x9e3779b97f4a7c15)),
		docs:   make(map[string]*document),
		idem:   idemStore{maxKeys: maxIdempotencyKeys, maxBytes: maxIdempotencyBytes},
		epoch:  newEpoch(),
	}
	if opts.VersionField != "" {
		h.versionPtr = parsePointer(opts.VersionField)
	}
	return h
}

// ServeHTTP answers document requests (GET, HEAD, PUT, PATCH, DELETE) at
// any path, and the admin endpoints under AdminPrefix.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == strings.TrimSuffix(AdminPrefix, "/") || strings.HasPrefix(r.URL.Path, AdminPrefix) {
		h.serveAdmin(w, r)
		return
	}
	start := time.Now()
	d := h.decide()
	resp, abort := h.serveDocument(r, &d)

	// count and log before aborting: abortConn may end the handler
	outcome := abort
	if outcome == "" {
		outcome = strconv.Itoa(resp.status)
	}
	h.count(func(s *Stats) {
		if s.Requests == nil {
			s.Requests = make(map[string]int64)
		}
		s.Requests[methodBucket(r.Method)+" "+outcome]++
		if resp != nil && resp.committed {
			s.Commits++
		}
		if resp != nil && resp.conflict {
			s.Conflicts++
		}
		if resp != nil && resp.replayed {
			s.IdempotentReplays++
		}
	})
	h.log.LogAttrs(r.Context(), slog.LevelDebug, "request",
		slog.String("method", r.Method), slog.String("path", r.URL.Path),
		slog.String("outcome", outcome), slog.String("faults", strings.Join(d.applied, ",")),
		slog.Duration("took", time.Since(start)))

	switch abort {
	case "reset":
		abortConn(w, true)
	case "dropped", "canceled":
		abortConn(w, false)
	default:
		resp.write(w, r.Method == http.MethodHead)
	}
}

// serveDocument runs a document request through the faults and processing.
// It returns the answer and, when no answer is to be sent, why.
func (h *Handler) serveDocument(r *http.Request, d *decision) (resp *response, abort string) {
	// the body first, as a server reads a request before answering it: a
	// read deadline (the standalone server's -read-timeout) then bounds a
	// client trickling its body, whatever the injected latency
	var body []byte
	if isWrite(r.Method) {
		if body, resp = readBody(r); resp != nil {
			return resp, ""
		}
	}
	if d.delay > 0 {
		d.note("latency")
		h.count(func(s *Stats) { s.Faults.Delayed++ })
		if !h.sleep(r.Context(), d.delay) {
			return nil, "canceled"
		}
	}
	if d.fail {
		d.note("error")
		h.count(func(s *Stats) { s.Faults.Errors++ })
		return injectedError(d.faults, r.URL.Path), ""
	}
	if d.reset {
		d.note("reset")
		h.count(func(s *Stats) { s.Faults.Resets++ })
		return nil, "reset"
	}
	resp = h.process(r, body, d)
	if resp.committed && d.drop {
		d.note("drop")
		h.count(func(s *Stats) { s.Faults.Drops++ })
		return resp, "dropped"
	}
	return resp, ""
}

// note records a fault that took effect, for the request's log record.
func (d *decision) note(fault string) { d.applied = append(d.applied, fault) }

// isWrite reports whether a document request carries a body to read.
func isWrite(method string) bool {
	return method == http.MethodPut || method == http.MethodPatch || method == http.MethodDelete
}

// process answers a request that got past the faults: reads, and writes
// (whose body has been read) through the idempotency store when a key is
// sent.
func (h *Handler) process(r *http.Request, body []byte, d *decision) *response {
	if resp := checkPath(r.URL.Path); resp != nil {
		return resp
	}
	switch {
	case r.Method == http.MethodGet || r.Method == http.MethodHead:
		return h.read(r, d)
	case !isWrite(r.Method):
		resp := problem(http.StatusMethodNotAllowed, ProblemMethodNotAllowed, "Method Not Allowed",
			"documents support GET, HEAD, PUT, PATCH and DELETE", r.URL.Path)
		resp.header.Set("Allow", "GET, HEAD, PUT, PATCH, DELETE")
		return resp
	}
	key := r.Header.Get(h.opts.IdempotencyHeader)
	if !h.opts.Idempotency || key == "" {
		return h.write(r, body, d)
	}
	entry, resp := h.idem.begin(key, fingerprint(r, body), r.URL.Path)
	if resp != nil {
		return resp
	}
	// stored before the caller may drop the connection, so that a retry
	// with the same key learns the outcome of the ambiguous write
	resp = h.write(r, body, d)
	h.idem.finish(key, entry, resp)
	return resp
}

// readBody reads a write's body, bounded by maxBody.
func readBody(r *http.Request) ([]byte, *response) {
	var buf bytes.Buffer
	_, err := buf.ReadFrom(http.MaxBytesReader(nil, r.Body, maxBody))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return nil, problem(http.StatusRequestEntityTooLarge, ProblemTooLarge, "Content Too Large",
			fmt.Sprintf("the body exceeds %d bytes", maxBody), r.URL.Path)
	case err != nil:
		return nil, problem(http.StatusBadRequest, ProblemBadRequest, "Bad Request", "reading the body: "+err.Error(), r.URL.Path)
	}
	return buf.Bytes(), nil
}

// SetDoc stores doc at path as an external writer would, bypassing
// preconditions and faults, and returns its new ETag. It is counted in
// Stats.ExternalWrites, not Stats.Commits. doc must be valid JSON (a JSON
// object in VersionField mode, whose version field the server sets) within
// the limits of a request body (see the package docs), and path must start
// with "/", not with AdminPrefix, and have no "." or ".." segment.
func (h *Handler) SetDoc(path string, doc []byte) (etag string, err error) {
	d, _, err := h.setDoc(path, doc)
	if err != nil {
		return "", err
	}
	return d.etag, nil
}

// setDoc is SetDoc, also reporting whether the document was created.
func (h *Handler) setDoc(path string, doc []byte) (stored document, created bool, err error) {
	if !strings.HasPrefix(path, "/") || strings.HasPrefix(path, AdminPrefix) || hasDotSegment(path) {
		return document{}, false, fmt.Errorf("mockserver: document path %q: want a path starting with / outside %s, without . or .. segments", path, AdminPrefix)
	}
	if len(doc) > maxBody {
		return document{}, false, fmt.Errorf("mockserver: document %s: %d bytes; the limit is %d", path, len(doc), maxBody)
	}
	if err := checkNesting(doc); err != nil {
		return document{}, false, fmt.Errorf("mockserver: document %s %w", path, err)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, doc); err != nil {
		return document{}, false, fmt.Errorf("mockserver: document %s: %w", path, err)
	}
	unlock := h.locks.lock(path)
	created = h.current(path) == nil
	d, err := h.commit(path, buf.Bytes())
	if err == nil {
		stored = *d
	}
	unlock()
	if err != nil {
		return document{}, false, fmt.Errorf("mockserver: document %s: %w", path, err)
	}
	h.count(func(s *Stats) { s.ExternalWrites++ })
	h.log.Debug("document set", slog.String("path", path), slog.String("etag", stored.etag))
	return stored, created, nil
}

// Doc returns a copy of the document at path and its ETag, as a GET without
// faults would.
func (h *Handler) Doc(path string) (doc []byte, etag string, ok bool) {
	d := h.current(path)
	if d == nil {
		return nil, "", false
	}
	return bytes.Clone(d.body), d.etag, true
}

// Version returns what a client must send back to write the document at
// path: the version field's value in VersionField mode, the ETag otherwise.
// It returns "" when there is no document.
func (h *Handler) Version(path string) string {
	if d := h.current(path); d != nil {
		return h.versionOf(d)
	}
	return ""
}

// DeleteDoc removes the document at path as an external writer would, and
// reports whether there was one. It is counted in Stats.ExternalWrites.
func (h *Handler) DeleteDoc(path string) bool {
	unlock := h.locks.lock(path)
	ok := h.remove(path)
	unlock()
	if ok {
		h.count(func(s *Stats) { s.ExternalWrites++ })
	}
	return ok
}
