package mockserver

import (
	"fmt"
	"strconv"
	"time"
)

// document is the state of one path. Bodies are never modified in place once
// stored, so answers may share them without copying.
type document struct {
	body    []byte
	etag    string    // as sent in the ETag header, e.g. "7" or W/"7"
	version string    // the version field's value in VersionField mode
	gen     int64     // writes of this document since it was created
	written time.Time // when this version was committed (Options.WeakWindow)

	// history holds older versions, oldest first, for stale reads.
	history []revision
}

// revision is an older version served by a stale read.
type revision struct {
	body []byte
	etag string
}

// commitLocked stores body as the new version of path and returns it. In
// VersionField mode it first writes the new version into the body, which
// fails if the pointer cannot be placed. h.mu must be held.
func (h *Handler) commitLocked(path string, body []byte) (*document, error) {
	cur := h.docs[path]
	next := &document{gen: 1, written: time.Now()}
	if cur != nil {
		next.gen = cur.gen + 1
	}
	seq := h.seq + 1
	tag := strconv.FormatUint(seq, 10)
	if h.opts.odata() {
		stamp := h.stampLocked()
		body = h.storedForm(body, stamp)
		if h.opts.TimestampETags {
			tag = stamp
		}
	}
	if h.versionPtr != nil {
		next.version = formatVersion(next.gen, seq)
		var err error
		if body, err = setPointer(body, h.versionPtr, next.version); err != nil {
			return nil, err
		}
		tag = next.version
	}
	// the sequence is server-global, so an ETag is never reused, even after
	// a delete and re-create of the same path
	h.seq = seq
	next.body = body
	next.etag = `"` + tag + `"`
	if h.opts.WeakETags {
		next.etag = "W/" + next.etag
	}
	if cur != nil && h.opts.History > 0 {
		next.history = append(cur.history, revision{body: cur.body, etag: cur.etag})
		if n := len(next.history) - h.opts.History; n > 0 {
			// copy, so the dropped versions can be collected
			next.history = append([]revision(nil), next.history[n:]...)
		}
		cur.history = nil // the new document owns the slice now
	}
	h.docs[path] = next
	return next, nil
}

// formatVersion makes a CouchDB-like version "<generation>-<8 hex>". The hex
// part mixes the global sequence with a bijection on 32 bits, so it looks
// opaque yet is unique for the first 2^32 writes.
func formatVersion(gen int64, seq uint64) string {
	return fmt.Sprintf("%d-%08x", gen, uint32(seq)*0x9e3779b1)
}

// bumpLocked is a concurrent writer: it commits the current content of path
// again, which gives it a new version. It reports whether path existed.
// h.mu must be held.
func (h *Handler) bumpLocked(path string) bool {
	cur := h.docs[path]
	if cur == nil {
		return false
	}
	_, err := h.commitLocked(path, cur.body)
	// the stored body already holds the version field, so it cannot fail
	return err == nil
}

// versionOf is what a client sends back to prove it saw doc: the version
// field's value in VersionField mode, the ETag otherwise.
func (h *Handler) versionOf(doc *document) string {
	if h.versionPtr != nil {
		return doc.version
	}
	return doc.etag
}
