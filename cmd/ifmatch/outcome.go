package main

import (
	"context"
	"errors"

	"github.com/ifmatch/ifmatch"
)

// Outcomes of an operation, as apply reports them.
const (
	statusOK      = "ok"      // committed
	statusFailed  = "failed"  // not committed: a conflict, a failed test, a 4xx, an invalid operation
	statusUnknown = "unknown" // sent, and whether it committed cannot be known
)

// outcome classifies an SDK call's error. An operation ended by our own
// cancellation (a second signal, or the end of -grace) is unknown: it was
// in flight, and "failed" would claim that nothing was written.
func outcome(err error, aborted bool) string {
	switch {
	case err == nil:
		return statusOK
	case errors.Is(err, ifmatch.ErrOutcomeUnknown):
		return statusUnknown
	case aborted && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)):
		return statusUnknown
	}
	return statusFailed
}

// exitFor is the exit status of one operation's outcome.
func exitFor(status string) int {
	switch status {
	case statusOK:
		return exitOK
	case statusUnknown:
		return exitUnknown
	}
	return exitFailed
}

// attemptsOf is the number of write requests an error says were sent.
func attemptsOf(err error) int {
	var ce *ifmatch.ConflictError
	if errors.As(err, &ce) {
		return ce.Attempts
	}
	var ue *ifmatch.OutcomeUnknownError
	if errors.As(err, &ue) {
		return ue.Attempts
	}
	return 0
}
