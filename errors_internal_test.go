package ifmatch

import (
	"context"
	"errors"
	"testing"
)

// An error that names the call itself does not name it again for the
// error it wraps, and counts attempts in words.
func TestWrappedErrorsNameTheCallOnce(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	const u = "https://h.test/items/1"
	tests := []struct {
		name string
		err  error
		want string
		is   error
	}{
		{"outcome unknown, context ended", &OutcomeUnknownError{Method: "PUT", URL: u, Attempts: 1, Err: ended(ctx, "PUT", u)},
			"ifmatch: outcome of PUT https://h.test/items/1 is unknown after 1 attempt: an answer was lost: context canceled", context.Canceled},
		{"outcome unknown, nothing said", &OutcomeUnknownError{Method: "PUT", URL: u, Attempts: 3},
			"ifmatch: outcome of PUT https://h.test/items/1 is unknown after 3 attempts: an answer was lost", ErrOutcomeUnknown},
		{"conflict ended by the deadline", &ConflictError{Method: "PATCH", URL: u, StatusCode: 412, Attempts: 2, Err: context.DeadlineExceeded},
			"ifmatch: conflict on PATCH https://h.test/items/1 (412) after 2 attempts: context deadline exceeded", context.DeadlineExceeded},
		{"nothing sent", &ConflictError{Method: "PUT", URL: u, Err: ErrFieldsChanged},
			"ifmatch: conflict on PUT https://h.test/items/1: fields the change writes have changed since the caller's version", ErrConflict},
		{"nested opError", opErr("GET", u, opErr("GET", u, ErrTooLarge)),
			"ifmatch: GET https://h.test/items/1: body too large", ErrTooLarge},
		{"query values redacted", opErr("GET", u+"?token=secret", ErrTooLarge),
			"ifmatch: GET https://h.test/items/1?token=REDACTED: body too large", ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
			if !errors.Is(tt.err, tt.is) {
				t.Errorf("errors.Is(err, %v) = false", tt.is)
			}
		})
	}
}
