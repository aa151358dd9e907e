package ifmatch_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ifmatch/ifmatch"
	"github.com/ifmatch/ifmatch/mockserver"
)

func fixed(d time.Duration) func() ifmatch.Backoff {
	return func() ifmatch.Backoff { return fixedBackoff(d) }
}

// Per-call MaxAttempts, MaxElapsed and ConflictBackoff override the
// Client's Options for that call only, each with the meaning of the field
// of the same name.
func TestCallOptionsOverrideOptions(t *testing.T) {
	tests := []struct {
		name         string
		opts         ifmatch.Options
		call         []ifmatch.CallOption
		wantAttempts int
		wantElapsed  time.Duration // -1: not checked
	}{
		{"no call options: the Client's", ifmatch.Options{Backoff: fixed(time.Second), MaxAttempts: 4}, nil, 4, 3 * time.Second},
		{"MaxAttempts caps an uncapped Client", ifmatch.Options{Backoff: fixed(time.Second), MaxElapsed: -1},
			[]ifmatch.CallOption{ifmatch.MaxAttempts(3)}, 3, 2 * time.Second},
		{"MaxAttempts 0 lifts the Client's cap", ifmatch.Options{Backoff: fixed(time.Second), MaxAttempts: 1, MaxElapsed: 10 * time.Second},
			[]ifmatch.CallOption{ifmatch.MaxAttempts(0)}, 11, 10 * time.Second},
		{"MaxAttempts negative: one attempt", ifmatch.Options{Backoff: fixed(time.Second), MaxAttempts: 5},
			[]ifmatch.CallOption{ifmatch.MaxAttempts(-1)}, 1, 0},
		{"MaxElapsed bounds a call", ifmatch.Options{Backoff: fixed(time.Second), MaxElapsed: -1},
			[]ifmatch.CallOption{ifmatch.MaxElapsed(5 * time.Second)}, 6, 5 * time.Second},
		{"MaxElapsed negative lifts the Client's budget", ifmatch.Options{Backoff: fixed(time.Second), MaxElapsed: 2 * time.Second},
			[]ifmatch.CallOption{ifmatch.MaxElapsed(-1), ifmatch.MaxAttempts(20)}, 20, 19 * time.Second},
		{"ConflictBackoff replaces the Client's", ifmatch.Options{Backoff: fixed(time.Second), MaxAttempts: 4},
			[]ifmatch.CallOption{ifmatch.ConflictBackoff(fixed(3 * time.Second))}, 4, 9 * time.Second},
		{"ConflictBackoff that stops", ifmatch.Options{Backoff: fixed(time.Second), MaxAttempts: 4},
			[]ifmatch.CallOption{ifmatch.ConflictBackoff(fixed(-1))}, 1, 0},
		{"ConflictBackoff nil: the default policy", ifmatch.Options{Backoff: fixed(-1), MaxAttempts: 3},
			[]ifmatch.CallOption{ifmatch.ConflictBackoff(nil)}, 3, -1},
		{"the last option wins", ifmatch.Options{Backoff: fixed(time.Second)},
			[]ifmatch.CallOption{ifmatch.MaxAttempts(7), ifmatch.MaxAttempts(2)}, 2, time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c := staleClient(tt.opts)
				start := time.Now()
				_, err := c.Patch(context.Background(), "http://mock.local/doc", []byte(`[]`), tt.call...)
				var ce *ifmatch.ConflictError
				if !errors.As(err, &ce) {
					t.Fatalf("err = %v, want *ConflictError", err)
				}
				if ce.Attempts != tt.wantAttempts {
					t.Errorf("attempts = %d, want %d", ce.Attempts, tt.wantAttempts)
				}
				if d := time.Since(start); tt.wantElapsed >= 0 && d != tt.wantElapsed {
					t.Errorf("gave up after %v, want %v", d, tt.wantElapsed)
				}
			})
		})
	}
}

// Every write path that retries conflicts reads the call's policy.
func TestCallOptionsReachEveryWritePath(t *testing.T) {
	calls := []struct {
		name     string
		strategy ifmatch.PatchStrategy
		call     func(c *ifmatch.Client, opts ...ifmatch.CallOption) error
	}{
		{"Patch", ifmatch.ApplyLocally, func(c *ifmatch.Client, opts ...ifmatch.CallOption) error {
			_, err := c.Patch(context.Background(), "http://mock.local/doc", []byte(`[]`), opts...)
			return err
		}},
		{"Patch SendPatch", ifmatch.SendPatch, func(c *ifmatch.Client, opts ...ifmatch.CallOption) error {
			_, err := c.Patch(context.Background(), "http://mock.local/doc", []byte(`[]`), opts...)
			return err
		}},
		{"MergePatch", ifmatch.ApplyLocally, func(c *ifmatch.Client, opts ...ifmatch.CallOption) error {
			_, err := c.MergePatch(context.Background(), "http://mock.local/doc", []byte(`{"n":2}`), opts...)
			return err
		}},
		{"Update", ifmatch.ApplyLocally, func(c *ifmatch.Client, opts ...ifmatch.CallOption) error {
			_, err := c.Update(context.Background(), "http://mock.local/doc", func(b []byte) ([]byte, error) { return []byte(`{"n":3}`), nil }, opts...)
			return err
		}},
		{"Modify", ifmatch.ApplyLocally, func(c *ifmatch.Client, opts ...ifmatch.CallOption) error {
			_, err := ifmatch.Modify(context.Background(), c, "http://mock.local/doc", func(v *struct {
				N int `json:"n"`
			}) error {
				v.N++
				return nil
			}, opts...)
			return err
		}},
	}
	for _, tt := range calls {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c := staleClient(ifmatch.Options{Backoff: fixed(time.Second), MaxAttempts: 9, PatchStrategy: tt.strategy})
				err := tt.call(c, ifmatch.MaxAttempts(2))
				var ce *ifmatch.ConflictError
				if !errors.As(err, &ce) || ce.Attempts != 2 {
					t.Fatalf("err = %v, want *ConflictError after 2 attempts", err)
				}
			})
		})
	}
}

// Calls with and without options of their own, concurrent on one resource
// through one Client, all commit: each group commit carries calls of one
// policy.
func TestCallOptionsWithGroupCommit(t *testing.T) {
	srv, u := setup(t, mockserver.Options{}, `{"n":0}`)
	c := newClient(t, ifmatch.Options{})
	variants := [][]ifmatch.CallOption{
		nil,
		{ifmatch.MaxAttempts(1000)},
		{ifmatch.MaxElapsed(time.Minute)},
		{ifmatch.ConflictBackoff(ifmatch.DefaultBackoff)},
	}
	const per = 8
	var wg sync.WaitGroup
	errs := make(chan error, per*len(variants))
	for _, opts := range variants {
		for range per {
			wg.Go(func() {
				_, err := ifmatch.Modify(context.Background(), c, u, func(v *struct {
					N int `json:"n"`
				}) error {
					v.N++
					return nil
				}, opts...)
				if err != nil {
					errs <- err
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got, want := docOf(t, srv)["n"], float64(per*len(variants)); got != want {
		t.Errorf("n = %v, want %v", got, want)
	}
}
