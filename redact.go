package ifmatch

import (
	"errors"
	"net/url"

	"github.com/ifmatch/ifmatch/internal/redact"
)

// Redaction: what the SDK puts in errors and logs never carries
// credentials (see isCredential), userinfo or query values.

func redactURL(raw string) string { return redact.URL(raw) }

func redactText(s string) string { return redact.Text(s) }

// redactedError is an error whose text had secrets removed; errors.Is and
// errors.As still see the original.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// redactErr returns err with secrets removed from its text.
func redactErr(err error) error {
	if err == nil {
		return nil
	}
	s := err.Error()
	if r := redactText(s); r != s {
		return &redactedError{msg: r, err: err}
	}
	return err
}

// scrubURLError drops the *url.Error wrapper, whose message holds the full
// URL with its query values and userinfo; callers add a redacted URL.
func scrubURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return redactErr(ue.Err)
	}
	return redactErr(err)
}
