package mockserver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Apache httpd with mod_dav, as clients meet it:
//
//   - Options.WeakWindow: for about a second after a write, GET gives the
//     ETag weak (W/"…"): a file changed within the second may change again
//     unseen. Afterwards the same tag comes back strong. If-Match compares
//     strongly, so a weak tag never matches, and while the document's tag
//     is weak no If-Match does.
//   - Options.NoWriteETag: write answers carry no ETag and no body.
//   - Options.NonAtomicCheck: the precondition check and the write are not
//     one step, so two writes carrying the same If-Match can both succeed.
//
// ApacheOptions sets all three.

// ApacheOptions returns Options that behave as Apache httpd 2.4 with
// mod_dav does: ETags weak for one second after each write and compared
// strongly, write answers without an ETag, and a precondition check that is
// not atomic with the write (1 ms between them).
func ApacheOptions() Options {
	return Options{WeakWindow: time.Second, NoWriteETag: true, NonAtomicCheck: time.Millisecond}
}

// validateWeak reports option combinations the Apache modes cannot honor.
func (o Options) validateWeak() error {
	var errs []error
	if o.WeakWindow < 0 {
		errs = append(errs, fmt.Errorf("mockserver: WeakWindow %v is negative", o.WeakWindow))
	}
	if o.NonAtomicCheck < 0 {
		errs = append(errs, fmt.Errorf("mockserver: NonAtomicCheck %v is negative", o.NonAtomicCheck))
	}
	if o.WeakWindow > 0 && o.WeakETags {
		errs = append(errs, errors.New("mockserver: WeakWindow and WeakETags exclude each other (one compares strongly, the other verbatim)"))
	}
	if o.WeakWindow > 0 && o.VersionField != "" {
		errs = append(errs, errors.New("mockserver: WeakWindow needs ETag mode, not VersionField"))
	}
	return errors.Join(errs...)
}

// servedETag is the ETag a request sees for doc now: weak within
// WeakWindow of its write, as stored otherwise.
func (h *Handler) servedETag(doc *document) string {
	if h.opts.WeakWindow > 0 && !strings.HasPrefix(doc.etag, "W/") && time.Since(doc.written) <= h.opts.WeakWindow {
		return "W/" + doc.etag
	}
	return doc.etag
}

// bareWriteAnswer drops the ETag and the document from a successful write's
// answer in NoWriteETag mode: 201 stays 201, 200 becomes 204, as mod_dav
// answers.
func (h *Handler) bareWriteAnswer(resp *response) {
	if !h.opts.NoWriteETag || !resp.committed {
		return
	}
	resp.header.Del("ETag")
	resp.header.Del("Content-Type")
	resp.body = nil
	if resp.status == http.StatusOK {
		resp.status = http.StatusNoContent
	}
}

// checkGap lets other requests in between a write's precondition check and
// its commit in NonAtomicCheck mode. The document's lock, released by
// *unlock, is held on entry and on return, but not in between: *unlock is
// then the new hold's release, and the caller must look the document up
// again. It reports false when the request ended or the server closed
// meanwhile.
func (h *Handler) checkGap(ctx context.Context, path string, unlock *func()) bool {
	if h.opts.NonAtomicCheck <= 0 {
		return true
	}
	(*unlock)()
	ok := h.sleep(ctx, h.opts.NonAtomicCheck)
	*unlock = h.locks.lock(path)
	return ok
}
