package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/hashicorp/go-cleanhttp"
	"github.com/hashicorp/go-retryablehttp"
	"github.com/ifmatch/ifmatch"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/util/retry"
)

// An approach is one way of incrementing the counter n of a shared JSON
// document over HTTP. Its client is what one process would hold; each
// writer of a cell gets an operation from it.

type approach struct {
	name  string
	about string
	// extra approaches run only when -approaches names them.
	extra bool
	// newClient returns a client sending through hc.
	newClient func(hc *http.Client) client
}

type client interface {
	// writer prepares one writer's increment of the document at url (the
	// limit loop reads the starting version here, outside the timing).
	writer(ctx context.Context, url string) (op, error)
}

// op is one increment; nil means it committed.
type op func(ctx context.Context) error

// benchDoc is the benchmark document: a counter padded to about 1 KB.
type benchDoc struct {
	N   int64  `json:"n"`
	Pad string `json:"pad"`
}

var approaches = []approach{
	{name: "limit", about: "one writer per document sending one conditional JSON Patch per commit, If-Match = the ETag of its previous answer: never conflicts; the reference",
		newClient: func(hc *http.Client) client { return limitClient{hc} }},
	{name: "ifmatch", about: "ifmatch.Modify incrementing n, default options (group commit on) but the shared transport settings",
		newClient: func(hc *http.Client) client {
			return ifmatchClient{ifmatch.New(mode.options(ifmatch.Options{HTTPClient: hc}))}
		}},
	{name: "ifmatch-update", about: "ifmatch.Update with a mutate function decoding the document, incrementing n and encoding it; default options",
		newClient: func(hc *http.Client) client {
			return updateClient{ifmatch.New(mode.options(ifmatch.Options{HTTPClient: hc}))}
		}},
	{name: "ifmatch-patch", about: "ifmatch.Patch with PatchStrategy SendPatch: each writer sends a JSON Patch adding one to a counter of its own (/wI), which the server applies",
		newClient: func(hc *http.Client) client {
			return patchClient{ifmatch.New(mode.options(ifmatch.Options{HTTPClient: hc, PatchStrategy: ifmatch.SendPatch}))}
		}},
	{name: "k8s-retry-default", about: "retry.RetryOnConflict(retry.DefaultRetry, GET, modify, PUT with If-Match); 409/412 is a k8s Conflict",
		newClient: func(hc *http.Client) client { return k8sClient{hc, retry.DefaultRetry} }},
	{name: "k8s-retry-backoff", about: "retry.RetryOnConflict(retry.DefaultBackoff, ...), otherwise as k8s-retry-default",
		newClient: func(hc *http.Client) client { return k8sClient{hc, retry.DefaultBackoff} }},
	{name: "retryablehttp", about: "GET, modify, PUT with If-Match through retryablehttp.NewClient() defaults: a 412 is not retried, the increment fails",
		newClient: newRetryableClient},
	{name: "no-precondition", about: "GET, modify, PUT without If-Match: never fails, loses updates",
		newClient: func(hc *http.Client) client { return plainClient{hc} }},
	{name: "ifmatch-sdk-client", about: "ifmatch with ifmatch.New(nil): the SDK's own default HTTP client and transport (go-cleanhttp, 3 idle connections per host on 2 CPUs); run only on request",
		extra: true, newClient: func(*http.Client) client { return ifmatchClient{ifmatch.New(nil)} }},
}

// newTransport is the transport of every client: go-cleanhttp's pooled
// transport (what ifmatch and retryablehttp use by default) with room for
// an idle connection per writer, so that connection churn and ephemeral
// port exhaustion are not what is measured.
func newTransport() *http.Transport {
	t := cleanhttp.DefaultPooledTransport()
	t.MaxIdleConnsPerHost = 256
	return t
}

// limitClient is the limit loop: the fastest a single writer can commit,
// one request per commit.
type limitClient struct{ hc *http.Client }

func (c limitClient) writer(ctx context.Context, url string) (op, error) {
	etag, d, err := getDoc(ctx, c.hc.Do, url)
	if err != nil {
		return nil, err
	}
	n := d.N
	return func(ctx context.Context) error {
		u, patch, ifMatch := mode.limitPatch(url, etag, n+1)
		req, err := http.NewRequestWithContext(ctx, http.MethodPatch, u, bytes.NewReader(patch))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json-patch+json")
		if ifMatch {
			req.Header.Set("If-Match", etag)
		}
		resp, err := c.hc.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			return &statusError{http.MethodPatch, resp.StatusCode}
		}
		etag = resp.Header.Get("ETag")
		n++
		return nil
	}, nil
}

type ifmatchClient struct{ c *ifmatch.Client }

func (c ifmatchClient) writer(_ context.Context, url string) (op, error) {
	return func(ctx context.Context) error {
		_, err := ifmatch.Modify(ctx, c.c, url, func(d *benchDoc) error {
			d.N++
			return nil
		})
		return err
	}, nil
}

// updateClient increments n with Update, the document as bytes.
type updateClient struct{ c *ifmatch.Client }

func (c updateClient) writer(_ context.Context, url string) (op, error) {
	return func(ctx context.Context) error {
		_, err := c.c.Update(ctx, url, func(cur []byte) ([]byte, error) {
			var d benchDoc
			if err := json.Unmarshal(cur, &d); err != nil {
				return nil, err
			}
			d.N++
			return json.Marshal(d)
		})
		return err
	}, nil
}

// patchClient sends, per writer, a JSON Patch setting the writer's own
// counter /wI to its next value: a patch that applies to any version, so
// that the server rebases nothing and conflicts are version conflicts
// only. The server's counter of a document is n plus every /wI.
type patchClient struct{ c *ifmatch.Client }

// writerIDs numbers the writers of the whole process, so that no two
// writers of a document, through one client or many, share a counter.
var writerIDs atomic.Int64

func (c patchClient) writer(_ context.Context, url string) (op, error) {
	id := writerIDs.Add(1)
	var n int64
	return func(ctx context.Context) error {
		patch := fmt.Appendf(nil, `[{"op":"add","path":"/w%d","value":%d}]`, id, n+1)
		if _, err := c.c.Patch(ctx, url, patch); err != nil {
			return err
		}
		n++
		return nil
	}, nil
}

// k8sClient is the Kubernetes client-go idiom: RetryOnConflict around a
// read-modify-write whose write carries the version read.
type k8sClient struct {
	hc      *http.Client
	backoff wait.Backoff
}

var benchResource = schema.GroupResource{Group: "bench.ifmatch.dev", Resource: "documents"}

func (c k8sClient) writer(_ context.Context, url string) (op, error) {
	return func(ctx context.Context) error {
		return retry.RetryOnConflict(c.backoff, func() error {
			status, err := readModifyWrite(ctx, c.hc.Do, url, true)
			if err != nil {
				return err
			}
			if status == http.StatusConflict || status == http.StatusPreconditionFailed {
				return apierrors.NewConflict(benchResource, url, &statusError{http.MethodPut, status})
			}
			return checkStatus(status)
		})
	}, nil
}

// retryableClient is go-retryablehttp as its defaults have it: transport
// retries for network errors and 5xx, none for 409/412.
type retryableClient struct{ rc *retryablehttp.Client }

func newRetryableClient(hc *http.Client) client {
	rc := retryablehttp.NewClient()
	rc.Logger = nil
	rc.HTTPClient = hc
	return retryableClient{rc}
}

func (c retryableClient) writer(_ context.Context, url string) (op, error) {
	do := func(req *http.Request) (*http.Response, error) {
		rr, err := retryablehttp.FromRequest(req)
		if err != nil {
			return nil, err
		}
		return c.rc.Do(rr)
	}
	return func(ctx context.Context) error {
		status, err := readModifyWrite(ctx, do, url, true)
		if err != nil {
			return err
		}
		return checkStatus(status)
	}, nil
}

// plainClient writes without a precondition: the last writer wins.
type plainClient struct{ hc *http.Client }

func (c plainClient) writer(_ context.Context, url string) (op, error) {
	return func(ctx context.Context) error {
		status, err := readModifyWrite(ctx, c.hc.Do, url, false)
		if err != nil {
			return err
		}
		return checkStatus(status)
	}, nil
}

type doer func(*http.Request) (*http.Response, error)

// readModifyWrite reads the document, increments n and PUTs it back, with
// If-Match set to the ETag read when conditional. It returns the PUT's
// status.
func readModifyWrite(ctx context.Context, do doer, url string, conditional bool) (int, error) {
	etag, d, err := getDoc(ctx, do, url)
	if err != nil {
		return 0, err
	}
	d.N++
	body, err := json.Marshal(d)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if conditional {
		req.Header.Set("If-Match", etag)
	}
	resp, err := do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return 0, err
	}
	return resp.StatusCode, nil
}

func getDoc(ctx context.Context, do doer, url string) (string, benchDoc, error) {
	var d benchDoc
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", d, err
	}
	resp, err := do(req)
	if err != nil {
		return "", d, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", d, err
	}
	if resp.StatusCode != http.StatusOK {
		return "", d, &statusError{http.MethodGet, resp.StatusCode}
	}
	if err := json.Unmarshal(body, &d); err != nil {
		return "", d, err
	}
	return resp.Header.Get("ETag"), d, nil
}

// statusError is an unexpected HTTP answer.
type statusError struct {
	method string
	status int
}

func (e *statusError) Error() string { return fmt.Sprintf("%s answered %d", e.method, e.status) }

func checkStatus(status int) error {
	if status >= 200 && status < 300 {
		return nil
	}
	return &statusError{http.MethodPut, status}
}

// failureKind names an error for the failure counts of a cell.
func failureKind(err error) string {
	var se *statusError
	var ce *ifmatch.ConflictError
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.As(err, &ce):
		return fmt.Sprintf("ifmatch conflict (%d)", ce.StatusCode)
	case errors.Is(err, ifmatch.ErrOutcomeUnknown):
		return "outcome unknown"
	case apierrors.IsConflict(err):
		return "k8s conflict (retries exhausted)"
	case errors.As(err, &se):
		return se.Error()
	}
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 && len(s)-i < 60 {
		s = s[i+2:]
	}
	if len(s) > 60 {
		s = s[:60]
	}
	return s
}
