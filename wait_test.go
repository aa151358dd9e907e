package ifmatch_test

import (
	"testing"
	"time"
)

// waitFor polls cond until it holds, for setting up concurrent scenarios
// (never for asserting timing).
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 10s")
		}
		time.Sleep(time.Millisecond)
	}
}
