package ifmatch_test

import (
	"testing"
	"time"
)

// waitFor polls cond until it holds, for setting up concurrent scenarios
// (never for asserting timing).
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	// Until the test binary's own deadline (go test -timeout), less a
	// margin to fail with this message: a busy machine may be slow to
	// reach the condition, and a broken one never reaches it.
	deadline, bounded := t.Deadline()
	deadline = deadline.Add(-10 * time.Second)
	for !cond() {
		if bounded && time.Now().After(deadline) {
			t.Fatal("condition not reached before the test's deadline")
		}
		time.Sleep(time.Millisecond)
	}
}
