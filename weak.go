package ifmatch

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"
)

// Weak ETags that turn strong. Some servers hand out a weak ETag (W/"…")
// for a while after each write, then the same tag strong, and compare
// If-Match strongly, so that a weak tag never matches: Apache httpd does so
// for one second after a write ("the file may change again within the
// second"). Others hand out weak tags and compare them weakly (Azure Table
// storage, FHIR servers' W/"3"), and want them back verbatim.
//
// So a weak tag is first sent as it is. When the server refuses it (412)
// and, refetched, hands out that same weak tag, the server compares
// strongly: from then on the call does not write on a weak tag but waits
// for the tag to turn strong, refetching after waits that grow from
// weakWaitFirst toward weakWaitMax, about the server's weak window. The
// longer a call has waited, the shorter its waits become, so that when
// independent writers wait on one resource the oldest call tends to see the
// strong tag first and commits: about one commit per weak window.
//
// A call ends with ErrETagRejected when a tag stays weak past its budget
// (MaxElapsed, the context's deadline), or when the server keeps refusing
// a strong tag it has just handed out (rejectLimit times).

const (
	weakWaitFirst = 50 * time.Millisecond
	weakWaitMax   = 1500 * time.Millisecond
	// weakAging is the age of a call at which its longest wait is halved.
	weakAging = time.Second
)

// isWeak reports whether etag is a weak entity tag.
func isWeak(etag string) bool { return strings.HasPrefix(etag, "W/") }

// weakState is what one call has learnt about the server's weak tags.
type weakState struct {
	refused bool      // the server refused a weak tag it still hands out: it compares strongly
	waits   int       // waits for a weak tag to turn strong
	tag     string    // the weak tag waited on
	since   time.Time // when tag was first waited on
	others  int       // weak tags waited on after the first: other writers' commits
}

// settleWeak is called by rebase with the version next refetched after the
// conflict answer x to a write built on version sent. Once the server has
// shown that it refuses weak tags, it waits and refetches until the tag is
// strong, and returns the version to write on.
func (l *loop) settleWeak(ctx context.Context, x *exchange, sent string, next latest, needBody bool) (latest, error) {
	if x.status != http.StatusPreconditionFailed {
		return next, nil
	}
	if isWeak(sent) && next.etag == sent {
		l.weak.refused = true
	}
	for l.weak.refused && isWeak(next.etag) {
		if err := l.waitStrong(ctx, x, next.etag); err != nil {
			return latest{}, err
		}
		var err error
		if next, err = l.c.fetch(ctx, l.t, needBody); err != nil {
			return latest{}, err
		}
	}
	return next, nil
}

// waitStrong sleeps before the next look at weak tag etag, or ends the call
// when the wait would end past MaxElapsed or the context's deadline.
func (l *loop) waitStrong(ctx context.Context, x *exchange, etag string) error {
	now := time.Now()
	w := &l.weak
	if etag != w.tag {
		if w.tag != "" {
			w.others++
		}
		w.tag, w.since = etag, now
	}
	d := weakWait(w.waits, now.Sub(l.start))
	err := l.pause(ctx, x, d, "ifmatch: weak ETag refused, waiting for it to turn strong",
		func() error { return l.weakCause(time.Now()) })
	if ce, ok := err.(*ConflictError); ok {
		ce.ETag = etag
	}
	if err == nil {
		w.waits++
	}
	return err
}

// weakWait is the wait before the n-th look (from 0) at a weak tag, for a
// call that began age ago: weakWaitFirst doubling toward weakWaitMax, a
// bound that shrinks as the call ages (halved at weakAging, a third at
// twice that...), drawn at random from its upper half.
func weakWait(n int, age time.Duration) time.Duration {
	d := weakWaitFirst << min(n, 8)
	limit := time.Duration(float64(weakWaitMax) * float64(weakAging) / float64(weakAging+max(age, 0)))
	d = max(min(d, limit), weakWaitFirst)
	return d/2 + rand.N(d/2+1)
}

// weakCause is why a call waiting on weak tags ends: ErrETagRejected when
// the tag it waits on is the only one it saw or has stayed weak longer than
// any weak window, a plain conflict when other writers kept making new ones.
func (l *loop) weakCause(now time.Time) error {
	w := &l.weak
	return &weakError{etag: w.tag, stayed: now.Sub(w.since), waits: w.waits, others: w.others, stuck: w.others == 0 || now.Sub(w.since) > 2*weakWaitMax}
}

// weakError is the cause of a call that ended waiting for a weak ETag to
// turn strong. It matches ErrETagRejected when one tag stayed weak all
// along.
type weakError struct {
	etag   string
	stayed time.Duration // how long etag has been seen weak
	waits  int
	others int  // other writers' weak tags seen before etag
	stuck  bool // etag stayed weak for good, as far as the call can tell
}

func (e *weakError) Error() string {
	if e.stuck {
		return fmt.Sprintf("ifmatch: server rejects its own current version: it refused If-Match %s "+
			"and still hands out that weak ETag after %v (%d refetches); it compares If-Match strongly, "+
			"so no write can match until the tag turns strong: allow more time (MaxElapsed, the context's "+
			"deadline) than the server's weak window (1s on Apache httpd), or have the server send strong ETags",
			e.etag, e.stayed.Round(time.Millisecond), e.waits)
	}
	return fmt.Sprintf("ifmatch: the server's ETag stayed weak (last %s) through %d commits by other writers; "+
		"it compares If-Match strongly and allows about one commit per weak window per resource: "+
		"allow more time (MaxElapsed, the context's deadline) or write less often to this resource",
		e.etag, e.others)
}

// Unwrap makes a tag that stayed weak all along match ErrETagRejected.
func (e *weakError) Unwrap() error {
	if e.stuck {
		return ErrETagRejected
	}
	return nil
}

// rejectedCause is the cause of a call ended because the server refused
// the strong tag etag, which it had just handed out, rejectLimit times.
func rejectedCause(etag string) error {
	return &rejectedError{etag: etag}
}

// rejectedError says what was seen when a server refuses its own strong
// ETag, and what to try. It matches ErrETagRejected.
type rejectedError struct{ etag string }

func (e *rejectedError) Error() string {
	return fmt.Sprintf("ifmatch: server rejects its own current version: it refused If-Match %s %d times "+
		"in a row while handing out that same ETag; retrying cannot help: check that a proxy or the server "+
		"does not change the ETag between read and write (compression adds suffixes such as -gzip), "+
		"or that the resource's version lives elsewhere (Options.VersionField)", e.etag, rejectLimit)
}

// Unwrap returns ErrETagRejected.
func (e *rejectedError) Unwrap() error { return ErrETagRejected }

// strongAgain is called by sendOnce (writes that are not rebased) with
// the conflict answer x to r, a write built on version l.version; read
// returns the document read at that version (nil if unknown). A weak
// version refused by a server that compares strongly may not have moved:
// it waits for the tag to turn strong. It reports true, with r now
// carrying the strong tag, only when that is the strong form of the
// version sent and the document is still the one read: a weak tag (size
// and mtime, say) can hide a change, and only the content shows that the
// write is still based on what its caller read (RFC 9110 section 8.8.1).
// Otherwise the conflict stands (false). A tag that stays weak past the
// budget ends the call: ErrETagRejected, or an error matching
// context.DeadlineExceeded.
func (l *loop) strongAgain(ctx context.Context, r *request, x *exchange, read func() []byte) (bool, error) {
	sent := l.version
	if x.status != http.StatusPreconditionFailed || !isWeak(sent) || r.header.Get("If-Match") != sent {
		return false, nil
	}
	doc := read() // before the refetches move the cache on
	next, err := l.c.fetch(ctx, l.t, false)
	for err == nil && next.etag == sent {
		if err = l.waitStrong(ctx, x, next.etag); err == nil {
			next, err = l.c.fetch(ctx, l.t, false)
		}
	}
	if err != nil {
		return false, err
	}
	if next.etag != strings.TrimPrefix(sent, "W/") {
		return false, nil
	}
	if doc == nil || !bytes.Equal(next.body, doc) {
		return false, nil
	}
	r.header.Set("If-Match", next.etag)
	l.version = next.etag
	return true, nil
}
