package main

import (
	"encoding/json"
	"io"
	"sync"
	"sync/atomic"

	redactpkg "github.com/ifmatch/ifmatch/internal/redact"
)

// result is one line of apply's output: what became of one operation.
type result struct {
	ID       json.RawMessage `json:"id,omitempty"`
	Line     int             `json:"line"`
	URL      string          `json:"url"`
	Status   string          `json:"status"`
	ETag     string          `json:"etag,omitempty"`
	Attempts int             `json:"attempts"`
	Error    string          `json:"error,omitempty"`
	Skipped  bool            `json:"skipped,omitempty"` // not run: -resume left it unknown
	Rerun    bool            `json:"rerun,omitempty"`   // run again after an earlier unknown outcome
	Hash     string          `json:"hash,omitempty"`    // opHash: what the operation was, checked by -resume
}

// counts are the outcomes so far, read by the progress display.
type counts struct {
	ok, failed, unknown atomic.Int64
}

func (c *counts) done() int64 { return c.ok.Load() + c.failed.Load() + c.unknown.Load() }

// reporter writes results, one JSON line each, from many workers. A line
// is written with one Write call, so that a run killed hard leaves whole
// lines (at most the last one cut, which -resume skips).
type reporter struct {
	mu     sync.Mutex
	w      io.Writer
	err    error // the first write error; results after it are lost
	counts counts
	onErr  func() // called once, on the first write error: stop the run
}

func (r *reporter) report(res result) {
	switch res.Status {
	case statusOK:
		r.counts.ok.Add(1)
	case statusUnknown:
		r.counts.unknown.Add(1)
	default:
		r.counts.failed.Add(1)
	}
	b, _ := json.Marshal(res)
	b = append(b, '\n')
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return
	}
	if _, err := r.w.Write(b); err != nil {
		r.err = err
		if r.onErr != nil {
			r.onErr()
		}
	}
}

// redact keeps scheme, host, path and query keys of a URL for the output,
// which often ends up in logs: userinfo is dropped and query values are
// replaced, as the SDK does in its errors.
func redact(raw string) string { return redactpkg.URL(raw) }
