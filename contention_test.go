package ifmatch_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ifmatch/ifmatch"
	"github.com/ifmatch/ifmatch/mockserver"
)

type counter struct {
	N int `json:"n"`
}

// increment adds one to the counter at url with Modify.
func increment(ctx context.Context, c *ifmatch.Client, url string) error {
	_, err := ifmatch.Modify(ctx, c, url, func(v *counter) error { v.N++; return nil })
	return err
}

// 64 goroutines increment one counter, through one shared Client and
// through 64 Clients, with group commit on and off: nothing is lost,
// nothing is applied twice, and no call gives up. The calls have no
// conflict budget of their own (MaxElapsed -1): every conflict means
// another increment committed, so the work bounds the retries, not the
// machine's speed (the default 30 s ran out on a busy 2-core machine).
func TestConcurrentIncrements(t *testing.T) {
	// The contention comes from the 64 writers; more increments each only
	// lengthen the run (10 each took 19,000 requests a subtest, minutes on
	// a busy machine, near go test's 10-minute limit for the package).
	const writers, each = 64, 5
	for _, shared := range []bool{true, false} {
		for _, group := range []bool{true, false} {
			t.Run(fmt.Sprintf("shared=%v/group=%v", shared, group), func(t *testing.T) {
				srv, url := setup(t, mockserver.Options{}, `{"n":0}`)
				opts := ifmatch.Options{NoGroupCommit: !group, MaxElapsed: -1}
				one := newClient(t, opts)
				ctx := context.Background()
				var wg sync.WaitGroup
				var acked atomic.Int64
				errs := make(chan error, writers*each)
				for range writers {
					c := one
					if !shared {
						c = newClient(t, opts)
					}
					wg.Go(func() {
						for range each {
							if err := increment(ctx, c, url); err != nil {
								errs <- err
							} else {
								acked.Add(1)
							}
						}
					})
				}
				wg.Wait()
				close(errs)
				var got counter
				b, _, _ := srv.Doc("/doc")
				if err := json.Unmarshal(b, &got); err != nil {
					t.Fatal(err)
				}
				st := srv.Stats()
				t.Logf("%d increments in %d commits, %d conflicts, %d requests", got.N, st.Commits, st.Conflicts, total(st.Requests))
				checkIncrements(t, got.N, int(acked.Load()), errs)
				if group && shared && st.Commits >= writers*each {
					t.Errorf("group commit on a shared Client: %d commits for %d increments, want fewer", st.Commits, writers*each)
				}
				if (!group || !shared) && st.Commits != acked.Load() {
					t.Errorf("commits = %d, want one per acknowledged increment (%d)", st.Commits, acked.Load())
				}
			})
		}
	}
}

// checkIncrements says what happened to a run of increments that began at
// 0 and ended at final: calls that failed with an error, increments
// acknowledged but missing (lost silently), increments applied more often
// than acknowledged (doubled).
func checkIncrements(t *testing.T, final, acked int, errs <-chan error) {
	t.Helper()
	failed := 0
	for err := range errs {
		if failed++; failed <= 3 {
			t.Errorf("increment failed with an error: %v", err)
		}
	}
	if failed > 0 {
		t.Errorf("%d increments failed with an error (the first 3 above), %d acknowledged", failed, acked)
	}
	switch {
	case final < acked:
		t.Errorf("counter = %d, %d increments acknowledged: %d lost silently", final, acked, acked-final)
	case final > acked:
		t.Errorf("counter = %d, %d increments acknowledged: %d applied twice (or applied and reported as failed)", final, acked, final-acked)
	}
}

func total(m map[string]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}

// In a group, a caller whose change fails fails alone; the others commit,
// in arrival order, and each gets the committed document.
func TestGroupCommitFailsAlone(t *testing.T) {
	srv, url := setup(t, mockserver.Options{}, `{"log":[]}`)
	c := newClient(t, ifmatch.Options{})
	ctx := context.Background()
	// Hold the lane busy with a first write, so the next ones queue up.
	srv.SetFaults(mockserver.Faults{Latency: 50e6})
	var wg sync.WaitGroup
	start := func(f func()) {
		wg.Add(1)
		go func() { defer wg.Done(); f() }()
	}
	start(func() {
		if _, err := c.Patch(ctx, url, []byte(`[{"op":"add","path":"/log/-","value":"first"}]`)); err != nil {
			t.Errorf("first: %v", err)
		}
	})
	waitFor(t, func() bool { return srv.Stats().Requests["GET 200"] > 0 })
	bad := errors.New("refused")
	results := make([]error, 4)
	bodies := make([][]byte, 4)
	for i := range 4 {
		start(func() {
			var resp *ifmatch.Response
			var err error
			switch i {
			case 1:
				resp, err = c.Patch(ctx, url, []byte(`[{"op":"test","path":"/log/0","value":"nope"},{"op":"add","path":"/log/-","value":"x"}]`))
			case 2:
				resp, err = c.Update(ctx, url, func([]byte) ([]byte, error) { return nil, bad })
			default:
				resp, err = c.Patch(ctx, url, fmt.Appendf(nil, `[{"op":"add","path":"/log/-","value":"w%d"}]`, i))
			}
			results[i] = err
			if resp != nil {
				bodies[i] = resp.Body
			}
		})
	}
	wg.Wait()
	if !errors.Is(results[1], ifmatch.ErrTestFailed) {
		t.Errorf("failing test: %v, want ErrTestFailed", results[1])
	}
	if !errors.Is(results[2], bad) {
		t.Errorf("failing mutate: %v, want its error", results[2])
	}
	for _, i := range []int{0, 3} {
		if results[i] != nil {
			t.Errorf("writer %d: %v", i, results[i])
		}
	}
	b, _, _ := srv.Doc("/doc")
	var doc struct{ Log []string }
	json.Unmarshal(b, &doc)
	if len(doc.Log) != 3 || doc.Log[0] != "first" {
		t.Fatalf("log = %v, want first then w0 and w3", doc.Log)
	}
	// Each writer gets the document its write committed: a prefix of the
	// final log holding its own entry.
	for _, i := range []int{0, 3} {
		var got struct{ Log []string }
		json.Unmarshal(bodies[i], &got)
		if !slices.Contains(got.Log, fmt.Sprintf("w%d", i)) || !slices.Equal(got.Log, doc.Log[:len(got.Log)]) {
			t.Errorf("writer %d got %s, want a committed state (a prefix of %v) holding its entry", i, bodies[i], doc.Log)
		}
	}
}

// A group of Modify calls shares one decode; a caller whose function
// fails after changing the value has its changes undone and fails alone.
func TestGroupCommitTypedRunUndoesFailures(t *testing.T) {
	srv, url := setup(t, mockserver.Options{}, `{"n":0}`)
	c := newClient(t, ifmatch.Options{})
	ctx := context.Background()
	srv.SetFaults(mockserver.Faults{Latency: 50e6}) // the first write holds the lane
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := increment(ctx, c, url); err != nil {
			t.Errorf("first: %v", err)
		}
	}()
	waitFor(t, func() bool { return srv.Stats().Requests["GET 200"] > 0 })
	bad := errors.New("refused")
	errs := make([]error, 6)
	vals := make([]*counter, 6)
	for i := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			vals[i], errs[i] = ifmatch.Modify(ctx, c, url, func(v *counter) error {
				switch i {
				case 2:
					v.N += 100 // then fail: must not be written
					return bad
				case 4:
					return ifmatch.ErrNoChange
				}
				v.N++
				return nil
			})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		switch {
		case i == 2 && !errors.Is(err, bad):
			t.Errorf("caller 2: %v, want its own error", err)
		case i != 2 && err != nil:
			t.Errorf("caller %d: %v", i, err)
		}
	}
	var final counter
	b, _, _ := srv.Doc("/doc")
	json.Unmarshal(b, &final)
	if final.N != 5 { // the first, and callers 0, 1, 3, 5
		t.Errorf("n = %d, want 5: %s", final.N, b)
	}
	for _, i := range []int{0, 1, 3, 5} {
		if vals[i] == nil || vals[i].N < 2 || vals[i].N > 5 {
			t.Errorf("caller %d got %+v, want a committed value between 2 and 5", i, vals[i])
		}
	}
}
