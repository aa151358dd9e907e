package ifmatch_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ifmatch/ifmatch"
	"github.com/ifmatch/ifmatch/mockserver"
)

func TestOptionsValidate(t *testing.T) {
	var theirs ifmatch.Resolver = func(_ string, _, _, theirs json.RawMessage) (json.RawMessage, error) { return theirs, nil }
	tests := []struct {
		name string
		opts *ifmatch.Options
		want []string // substrings of the error; nil: valid
	}{
		{"nil", nil, nil},
		{"zero", &ifmatch.Options{}, nil},
		{"CouchDB", &ifmatch.Options{VersionField: "/_rev", VersionParam: "rev", VersionInAnswer: "/rev"}, nil},
		{"Kubernetes", &ifmatch.Options{VersionField: "/metadata/resourceVersion"}, nil},
		{"negatives that mean off", &ifmatch.Options{MaxAttempts: -1, MaxElapsed: -1, RetryMax: -1, RetryAfterMax: -1,
			AttemptTimeout: -1, CacheEntries: -1, CacheBytes: -1, MaxBodyBytes: -1}, nil},
		{"VersionField without slash", &ifmatch.Options{VersionField: "_rev"},
			[]string{`VersionField "_rev" is not a JSON Pointer`, `did you mean "/_rev"?`}},
		{"VersionField with a bad escape", &ifmatch.Options{VersionField: "/a~2"}, []string{`VersionField "/a~2" is not a JSON Pointer`}},
		{"VersionInAnswer not a pointer", &ifmatch.Options{VersionField: "/_rev", VersionInAnswer: "rev"},
			[]string{`VersionInAnswer "rev" is not a JSON Pointer`}},
		{"VersionParam without VersionField", &ifmatch.Options{VersionParam: "rev"}, []string{`VersionParam "rev" needs VersionField`}},
		{"VersionInAnswer without VersionField", &ifmatch.Options{VersionInAnswer: "/rev"}, []string{`VersionInAnswer "/rev" needs VersionField`}},
		{"Resolve without ThreeWayPut", &ifmatch.Options{Resolve: theirs}, []string{"Resolve is set without ThreeWayPut"}},
		{"Resolve with ThreeWayPut", &ifmatch.Options{Resolve: theirs, ThreeWayPut: true}, nil},
		{"unknown PatchStrategy", &ifmatch.Options{PatchStrategy: 7}, []string{"PatchStrategy 7"}},
		{"negative RetryWaitMin", &ifmatch.Options{RetryWaitMin: -time.Second}, []string{"must not be negative"}},
		{"RetryWaitMin above RetryWaitMax", &ifmatch.Options{RetryWaitMin: time.Second, RetryWaitMax: time.Millisecond},
			[]string{"RetryWaitMin (1s) is more than RetryWaitMax (1ms)"}},
		{"IdempotencyHeader not a name", &ifmatch.Options{IdempotencyHeader: "Idempotency Key"}, []string{"IdempotencyHeader"}},
		{"HTTPClient through a Client", &ifmatch.Options{HTTPClient: ifmatch.New(nil).StandardClient()}, []string{"HTTPClient sends through a Client"}},
		{"every mistake listed", &ifmatch.Options{VersionField: "_rev", Resolve: theirs},
			[]string{"VersionField", "Resolve is set"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.opts.Validate()
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				ifmatch.New(tt.opts) // must not panic
				return
			}
			if !errors.Is(err, ifmatch.ErrInvalidOptions) {
				t.Fatalf("Validate = %v, want ErrInvalidOptions", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate = %q, want it to say %q", err, w)
				}
			}
			if n := strings.Count(err.Error(), "ifmatch:"); n != 1 {
				t.Errorf("%q has %d prefixes, want 1", err, n)
			}
			defer func() {
				p := recover()
				if e, ok := p.(error); !ok || !errors.Is(e, ifmatch.ErrInvalidOptions) {
					t.Errorf("New panicked with %v, want the Validate error", p)
				}
			}()
			ifmatch.New(tt.opts)
			t.Error("New accepted invalid Options")
		})
	}
}

// A zero-value Client works as New(nil) does, whichever method it is
// first used through.
func TestZeroValueClient(t *testing.T) {
	srv := mockserver.New(mockserver.Options{})
	defer srv.Close()
	srv.SetDoc("/doc", []byte(`{"n":1}`))
	u := srv.URL + "/doc"
	ctx := context.Background()
	first := []struct {
		name string
		use  func(c *ifmatch.Client) error
	}{
		{"Get", func(c *ifmatch.Client) error { _, err := c.Get(ctx, u); return err }},
		{"Patch", func(c *ifmatch.Client) error {
			_, err := c.Patch(ctx, u, []byte(`[{"op":"add","path":"/m","value":1}]`))
			return err
		}},
		{"Put", func(c *ifmatch.Client) error {
			if _, err := c.Put(ctx, u, []byte(`{}`)); !errors.Is(err, ifmatch.ErrNoVersion) {
				return fmt.Errorf("Put without a read = %v, want ErrNoVersion", err)
			}
			return nil
		}},
		{"Modify", func(c *ifmatch.Client) error {
			_, err := ifmatch.Modify(ctx, c, u, func(v *struct{ N int }) error { v.N++; return nil })
			return err
		}},
		{"Do", func(c *ifmatch.Client) error {
			req, _ := http.NewRequest(http.MethodGet, u, nil)
			resp, err := c.Do(req)
			if err == nil {
				resp.Body.Close()
			}
			return err
		}},
		{"StandardClient", func(c *ifmatch.Client) error {
			resp, err := c.StandardClient().Get(u)
			if err == nil {
				resp.Body.Close()
			}
			return err
		}},
		{"Stats", func(c *ifmatch.Client) error { c.Stats(); return nil }},
		{"CloseIdleConnections", func(c *ifmatch.Client) error { c.CloseIdleConnections(); return nil }},
	}
	for _, tt := range first {
		t.Run(tt.name, func(t *testing.T) {
			var c ifmatch.Client
			if err := tt.use(&c); err != nil {
				t.Fatalf("first use: %v", err)
			}
			// Then a read-modify-write, based on what it read.
			got, err := c.Get(ctx, u)
			if err != nil || got.ETag == "" {
				t.Fatalf("Get = %+v, %v; want a version", got, err)
			}
			if _, err := c.Put(ctx, u, got.Body); err != nil {
				t.Fatalf("Put after Get: %v", err)
			}
			if _, err := c.Put(ctx, u, got.Body); !errors.Is(err, ifmatch.ErrConflict) {
				t.Errorf("a second Put of the same read = %v, want ErrConflict", err)
			}
			if s := c.Stats(); s.Writes < 2 {
				t.Errorf("Stats().Writes = %d, want at least 2", s.Writes)
			}
		})
	}
}
