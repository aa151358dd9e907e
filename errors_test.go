package ifmatch_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ifmatch/ifmatch"
	"github.com/ifmatch/ifmatch/mockserver"
)

// cancelingBackoff cancels the call's context when asked for a wait, so
// that the call ends while backing off.
type cancelingBackoff struct{ cancel context.CancelFunc }

func (b cancelingBackoff) NextBackOff() time.Duration { b.cancel(); return time.Hour }
func (b cancelingBackoff) Reset()                     {}

// Each error a caller meets says what happened to which call, once
// prefixed, and still matches what errors.Is and errors.As matched before.
func TestErrorsReadCleanly(t *testing.T) {
	srv := mockserver.New(mockserver.Options{})
	defer srv.Close()
	srv.SetDoc("/items/1", []byte(`{"name":"lamp","stock":0}`))
	item := srv.URL + "/items/1"

	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/gone":
			w.WriteHeader(http.StatusGone)
		case "/missing":
			http.NotFound(w, r)
		default: // a document without a version
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"n":1}`))
		}
	}))
	defer plain.Close()

	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel2 := context.WithDeadline(context.Background(), time.Unix(1, 0))
	defer cancel2()

	tests := []struct {
		name   string
		call   func() error
		want   string // the message, {item} and {plain} standing for the servers' URLs
		is     []error
		isNot  []error
		asType any // a pointer to a pointer of the error type errors.As must find
	}{
		{
			name: "Put without a version",
			call: func() error { _, err := ifmatch.New(nil).Put(context.Background(), item, []byte(`{}`)); return err },
			want: "ifmatch: PUT {item}: no known version of the resource: read it first (Get), or pass the version you hold (IfMatch)",
			is:   []error{ifmatch.ErrNoVersion},
		},
		{
			name: "Delete without a version",
			call: func() error { _, err := ifmatch.New(nil).Delete(context.Background(), item); return err },
			want: "ifmatch: DELETE {item}: no known version of the resource: read it first (Get), or pass the version you hold (IfMatch)",
			is:   []error{ifmatch.ErrNoVersion},
		},
		{
			name: "failed test names its operation",
			call: func() error {
				_, err := ifmatch.New(nil).Patch(context.Background(), item, []byte(`[
					{"op":"replace","path":"/name","value":"desk lamp"},
					{"op":"test","path":"/stock","value":1}]`))
				return err
			},
			want:   `ifmatch: conflict on PUT {item}: json patch test failed: operation 1 (test "/stock")`,
			is:     []error{ifmatch.ErrTestFailed, ifmatch.ErrConflict},
			isNot:  []error{ifmatch.ErrNotFound},
			asType: new(*ifmatch.ConflictError),
		},
		{
			name: "stale Put",
			call: func() error {
				c := ifmatch.New(nil)
				ctx := context.Background()
				c.Get(ctx, item)
				srv.SetDoc("/items/1", []byte(`{"name":"lamp","stock":0}`)) // another writer
				_, err := c.Put(ctx, item, []byte(`{"name":"lamp","stock":5}`))
				return err
			},
			want:   `ifmatch: conflict on PUT {item} (412) after 1 attempt: Precondition Failed: If-Match does not match the current ETag {etag}`,
			is:     []error{ifmatch.ErrConflict},
			asType: new(*ifmatch.ConflictError),
		},
		{
			name: "server without ETags",
			call: func() error {
				_, err := ifmatch.New(nil).MergePatch(context.Background(), plain.URL+"/doc", []byte(`{"n":2}`))
				return err
			},
			want: "ifmatch: GET {plain}/doc: server sent no version for the resource: the answer has no ETag; if the API keeps versions in the document, set Options.VersionField",
			is:   []error{ifmatch.ErrUnversioned},
		},
		{
			name: "document without its version field",
			call: func() error {
				_, err := ifmatch.New(&ifmatch.Options{VersionField: "/_rev"}).MergePatch(context.Background(), plain.URL+"/doc", []byte(`{"n":2}`))
				return err
			},
			want: "ifmatch: GET {plain}/doc: server sent no version for the resource: the answer has no version field /_rev",
			is:   []error{ifmatch.ErrUnversioned},
		},
		{
			name:   "404",
			call:   func() error { _, err := ifmatch.New(nil).Get(context.Background(), plain.URL+"/missing"); return err },
			want:   "ifmatch: GET {plain}/missing: 404 Not Found",
			is:     []error{ifmatch.ErrNotFound},
			asType: new(*ifmatch.ResponseError),
		},
		{
			name:   "410 is not ErrNotFound",
			call:   func() error { _, err := ifmatch.New(nil).Get(context.Background(), plain.URL+"/gone"); return err },
			want:   "ifmatch: GET {plain}/gone: 410 Gone",
			isNot:  []error{ifmatch.ErrNotFound},
			asType: new(*ifmatch.ResponseError),
		},
		{
			name:  "canceled Get",
			call:  func() error { _, err := ifmatch.New(nil).Get(canceled, item); return err },
			want:  "ifmatch: GET {item}: context canceled",
			is:    []error{context.Canceled},
			isNot: []error{ifmatch.ErrConflict},
		},
		{
			name: "canceled Patch",
			call: func() error { _, err := ifmatch.New(nil).Patch(canceled, item, []byte(`[]`)); return err },
			want: "ifmatch: PUT {item}: context canceled",
			is:   []error{context.Canceled},
		},
		{
			name: "canceled Update, cached document",
			call: func() error {
				c := ifmatch.New(nil)
				c.Get(context.Background(), item)
				_, err := c.Update(canceled, item, func(b []byte) ([]byte, error) { return b, nil })
				return err
			},
			want: "ifmatch: PUT {item}: context canceled",
			is:   []error{context.Canceled},
		},
		{
			name: "canceled while backing off",
			call: func() error {
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				c := staleClient(ifmatch.Options{MaxElapsed: -1})
				_, err := c.Patch(ctx, "http://mock.local/doc", []byte(`[]`),
					ifmatch.ConflictBackoff(func() ifmatch.Backoff { return cancelingBackoff{cancel} }))
				return err
			},
			want: "ifmatch: PUT http://mock.local/doc: context canceled",
			is:   []error{context.Canceled},
		},
		{
			name: "deadline passed",
			call: func() error { _, err := ifmatch.New(nil).Get(expired, item); return err },
			want: "ifmatch: GET {item}: context deadline exceeded",
			is:   []error{context.DeadlineExceeded},
		},
		{
			name: "Delete with VersionField and no VersionParam",
			call: func() error {
				_, err := ifmatch.New(&ifmatch.Options{VersionField: "/_rev"}).Delete(context.Background(), item)
				return err
			},
			want: "ifmatch: DELETE {item}: no version can be sent: with VersionField set, Delete needs Options.VersionParam to carry it",
			is:   []error{ifmatch.ErrUnversioned},
		},
		{
			name: "bad URL",
			call: func() error { _, err := ifmatch.New(nil).Get(context.Background(), "ftp://h.test/x"); return err },
			want: `ifmatch: invalid URL: "ftp://h.test/x": the scheme must be http or https`,
			is:   []error{ifmatch.ErrInvalidChange},
		},
		{
			name: "body not JSON",
			call: func() error { _, err := ifmatch.New(nil).Put(context.Background(), item, []byte(`{`)); return err },
			want: "ifmatch: PUT {item}: invalid change: the body is not valid JSON",
			is:   []error{ifmatch.ErrInvalidChange},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if err == nil {
				t.Fatal("no error")
			}
			want := strings.NewReplacer("{item}", item, "{plain}", plain.URL, "{etag}", srv.Version("/items/1")).Replace(tt.want)
			if err.Error() != want {
				t.Errorf("error:\n got %q\nwant %q", err, want)
			}
			if n := strings.Count(err.Error(), "ifmatch:"); n != 1 {
				t.Errorf("%q has %d prefixes, want 1", err, n)
			}
			if strings.Contains(err.Error(), "after 0 attempt") {
				t.Errorf("%q counts no attempts", err)
			}
			for _, target := range tt.is {
				if !errors.Is(err, target) {
					t.Errorf("errors.Is(err, %v) = false", target)
				}
			}
			for _, target := range tt.isNot {
				if errors.Is(err, target) {
					t.Errorf("errors.Is(err, %v) = true", target)
				}
			}
			if tt.asType != nil && !errors.As(err, tt.asType) {
				t.Errorf("errors.As(err, %T) = false", tt.asType)
			}
		})
	}
}

// The sentinels for kinds of conflict read as themselves and match
// ErrConflict, as they did.
func TestConflictSentinels(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"ErrTestFailed", ifmatch.ErrTestFailed, "ifmatch: json patch test failed"},
		{"ErrETagRejected", ifmatch.ErrETagRejected, "ifmatch: server rejects its own current version"},
		{"ErrFieldsChanged", ifmatch.ErrFieldsChanged, "ifmatch: fields the change writes have changed since the caller's version"},
		{"ErrMergeConflict", ifmatch.ErrMergeConflict, "ifmatch: concurrent edits of the same fields"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.err.Error() != tt.want {
				t.Errorf("Error() = %q, want %q", tt.err, tt.want)
			}
			if !errors.Is(tt.err, ifmatch.ErrConflict) {
				t.Error("does not match ErrConflict")
			}
			ce := &ifmatch.ConflictError{Method: "PUT", URL: "https://h.test/x", Attempts: 2, Err: tt.err}
			if want := "ifmatch: conflict on PUT https://h.test/x after 2 attempts: " + strings.TrimPrefix(tt.want, "ifmatch: "); ce.Error() != want {
				t.Errorf("ConflictError = %q, want %q", ce, want)
			}
			if !errors.Is(ce, tt.err) || !errors.Is(ce, ifmatch.ErrConflict) {
				t.Error("ConflictError does not match its cause and ErrConflict")
			}
		})
	}
}
