package mockserver

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"
)

// document is the state of one path. Documents are never modified once
// stored, their history aside (guarded by Handler.mu), so answers may share
// their bodies without copying.
type document struct {
	body    []byte
	etag    string    // as sent in the ETag header, e.g. "3f9a1c07b2e4-7" or W/"3f9a1c07b2e4-7"
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

// epoch makes the versions of one Handler unlike those of any other, so
// that a client that outlives a restarted server never finds the version it
// remembers attached to different content: a strong ETag must never repeat
// for different content of one URL.
type epoch struct {
	prefix string // 12 hex digits starting every sequence ETag
	salt   uint64 // mixed into every VersionField version
}

// newEpoch draws an epoch from the operating system's random source: 48
// bits for the ETag prefix, 64 for the version salt.
func newEpoch() epoch {
	var b [14]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return epoch{prefix: hex.EncodeToString(b[:6]), salt: binary.LittleEndian.Uint64(b[6:])}
}

// current returns the document at path, nil when there is none.
func (h *Handler) current(path string) *document {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.docs[path]
}

// commit stores body as the new version of path and returns it. In
// VersionField mode it first writes the new version into the body, which
// fails if the pointer cannot be placed. The caller holds path's document
// lock, so the version it checked is still the current one; h.mu is held
// only to draw the sequence number and to swap the document in, so that
// building a large body never holds up other documents.
func (h *Handler) commit(path string, body []byte) (*document, error) {
	h.mu.Lock()
	cur := h.docs[path]
	// the sequence is server-wide and the prefix process-wide, so an ETag
	// is never reused, not after a delete and re-create of the same path,
	// nor by another server on the same address
	h.seq++
	seq := h.seq
	var stamp string
	if h.opts.odata() {
		stamp = h.stampLocked()
	}
	h.mu.Unlock()

	next := &document{gen: 1, written: time.Now()}
	if cur != nil {
		next.gen = cur.gen + 1
	}
	tag := h.epoch.prefix + "-" + strconv.FormatUint(seq, 10)
	if h.opts.odata() {
		body = h.storedForm(body, stamp)
		if h.opts.TimestampETags {
			tag = stamp
		}
	}
	if h.versionPtr != nil {
		next.version = formatVersion(next.gen, seq, h.epoch.salt)
		var err error
		if body, err = setPointer(body, h.versionPtr, next.version); err != nil {
			return nil, err
		}
		tag = next.version
	}
	next.body = body
	next.etag = `"` + tag + `"`
	if h.opts.WeakETags {
		next.etag = "W/" + next.etag
	}

	h.mu.Lock()
	defer h.mu.Unlock()
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

// remove deletes the document at path and reports whether there was one.
// The caller holds path's document lock.
func (h *Handler) remove(path string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	_, ok := h.docs[path]
	delete(h.docs, path)
	return ok
}

// formatVersion makes a CouchDB-like version "<generation>-<16 hex>". The
// hex part is a bijection on 64 bits (SplitMix64's finalizer) of the
// server-wide sequence plus the Handler's salt: it looks opaque, is unique
// within a Handler, and differs between Handlers but by a 2^-64 chance.
func formatVersion(gen int64, seq, salt uint64) string {
	z := seq + salt
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	z ^= z >> 31
	return fmt.Sprintf("%d-%016x", gen, z)
}

// bump is a concurrent writer: it commits the current content of path
// again, which gives it a new version. It reports whether path existed.
func (h *Handler) bump(path string) bool {
	unlock := h.locks.lock(path)
	defer unlock()
	cur := h.current(path)
	if cur == nil {
		return false
	}
	_, err := h.commit(path, cur.body)
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
