package ifmatch

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// A panic in a mutate function that runs on a lane's background goroutine
// reaches its own caller, and only it; the process survives and the other
// callers commit (issue 11, 3).
func TestAttackPanicOnLaneGoroutine(t *testing.T) {
	ctx := context.Background()
	f := newFake(t, `{"n":0}`)
	arrived, release := make(chan struct{}), make(chan struct{})
	f.then(blockPUT(arrived, release, nil))
	c := New(&Options{RetryWaitMin: time.Millisecond, RetryWaitMax: 5 * time.Millisecond})
	type outcome struct {
		panicked any
		err      error
	}
	results := make(chan outcome, 8)
	update := func(mutate func([]byte) ([]byte, error)) {
		var o outcome
		defer func() {
			o.panicked = recover()
			results <- o
		}()
		_, o.err = c.Update(ctx, f.url(), mutate)
	}
	go update(increment) // leads inline; its PUT is held
	<-arrived
	for i := range 7 {
		if i == 3 {
			go update(func([]byte) ([]byte, error) { panic("boom") })
		} else {
			go update(increment)
		}
	}
	waitUntil(t, func() bool { return queued(c, f.url()) == 7 })
	close(release) // the queue runs on the lane's goroutine
	panics := 0
	for range 8 {
		o := <-results
		switch {
		case o.panicked == "boom":
			panics++
		case o.panicked != nil:
			t.Errorf("panicked with %v", o.panicked)
		case o.err != nil:
			t.Errorf("Update: %v", o.err)
		}
	}
	if panics != 1 {
		t.Errorf("%d callers saw the panic, want 1", panics)
	}
	if doc, _ := f.current(); doc != `{"n":7}` {
		t.Errorf("document = %s, want {\"n\":7}", doc)
	}
	ctx2, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := c.Update(ctx2, f.url(), increment); err != nil {
		t.Errorf("a write after the panic: %v (lane not released)", err)
	}
}

// A group member whose caller leaves while the write carrying its change
// is out is told the outcome is unknown, with that write counted
// (issue 11, 7).
func TestAttackMemberLeavesInFlight(t *testing.T) {
	f := newFake(t, `{"n":0}`)
	arrived, release1, release2 := make(chan struct{}), make(chan struct{}), make(chan struct{})
	f.then(blockPUT(arrived, release1, nil), blockPUT(arrived, release2, nil))
	c := New(&Options{RetryWaitMin: time.Millisecond, RetryWaitMax: 5 * time.Millisecond})
	defer close(release2)
	lead := make(chan error, 1)
	go func() {
		_, err := c.Update(context.Background(), f.url(), increment)
		lead <- err
	}()
	<-arrived
	ctx, cancel := context.WithCancel(context.Background())
	member := make(chan error, 1)
	go func() {
		_, err := c.Update(ctx, f.url(), increment)
		member <- err
	}()
	waitUntil(t, func() bool { return queued(c, f.url()) == 1 })
	close(release1)
	<-arrived // the member's write is out
	cancel()
	err := <-member
	var ou *OutcomeUnknownError
	if !errors.As(err, &ou) || !errors.Is(err, context.Canceled) || ou.Attempts < 1 {
		t.Errorf("member: %v, want an unknown outcome after 1 attempt matching context.Canceled", err)
	}
	if err := <-lead; err != nil {
		t.Errorf("leader: %v", err)
	}
}

// Credentials are stripped on a redirect from https to http, even on the
// same host (issue 11, 2c).
func TestAttackRedirectDowngradeStripsCredentials(t *testing.T) {
	policy := stripCredentialsOnRedirect(nil)
	mk := func(raw string) *http.Request {
		u, _ := url.Parse(raw)
		return &http.Request{URL: u, Header: http.Header{}}
	}
	for _, tt := range []struct {
		name, from, to string
		strip          bool
	}{
		{"same origin", "https://api.example/a", "https://api.example/b", false},
		{"https to http, same host", "https://api.example/a", "http://api.example/b", true},
		{"another host", "https://api.example/a", "https://evil.example/b", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req := mk(tt.to)
			req.Header.Set("Authorization", "Bearer x")
			req.Header.Set("X-Api-Key", "k")
			req.Header.Set("Private-Token", "p")
			req.Header.Set("Accept", "application/json")
			if err := policy(req, []*http.Request{mk(tt.from)}); err != nil {
				t.Fatal(err)
			}
			for _, h := range []string{"Authorization", "X-Api-Key", "Private-Token"} {
				if got := req.Header.Get(h) == ""; got != tt.strip {
					t.Errorf("%s stripped = %v, want %v", h, got, tt.strip)
				}
			}
			if req.Header.Get("Accept") == "" {
				t.Error("a header that is no credential was stripped")
			}
		})
	}
}

// One rule for what counts as a credential.
func TestIsCredential(t *testing.T) {
	for name, want := range map[string]bool{
		"Authorization": true, "Proxy-Authorization": true, "Cookie": true, "X-Api-Key": true, "Api-Key": true,
		"Private-Token": true, "X-Vault-Token": true, "X-Goog-Api-Key": true, "X-Access-Token": true,
		"X-Amz-Security-Token": true, "X-Client-Secret": true, "X-Session-Id": true, "Ocp-Apim-Subscription-Key": true,
		"Idempotency-Key": false, "Accept": false, "Content-Type": false, "If-Match": false, "X-Request-Id": false,
	} {
		if got := isCredential(name); got != want {
			t.Errorf("isCredential(%q) = %v, want %v", name, got, want)
		}
	}
}

// FuzzRedactText: redaction never panics, is stable, and removes a query
// value wherever the text quotes a URL.
func FuzzRedactText(f *testing.F) {
	for _, s := range []string{`malformed HTTP response "GET /doc?token=s3cret HTTP/1.1"`, "http://u:p@h/x?a=b&c=d", "", "?", "@@??==&&"} {
		f.Add(s, "s3cret")
	}
	f.Fuzz(func(t *testing.T, text, secret string) {
		out := redactText(text)
		if again := redactText(out); again != out {
			t.Fatalf("not stable: %q -> %q -> %q", text, out, again)
		}
		if secret == "" || strings.ContainsAny(secret, " \t\r\n\"'<>#&=?@") || strings.Contains(text, secret) {
			return
		}
		quoted := text + " GET /x?token=" + secret + " HTTP/1.1"
		if strings.Contains(redactText(quoted), "token="+secret+" ") {
			t.Fatalf("%q keeps the secret %q", redactText(quoted), secret)
		}
	})
}

// A hook that panics on a lane's goroutine (a caller's code too) reaches
// the callers of that write in their own goroutines; the process survives
// and the lane is released (issue 11, 3).
func TestAttackHookPanicOnLaneGoroutine(t *testing.T) {
	ctx := context.Background()
	f := newFake(t, `{"n":0}`)
	arrived, release := make(chan struct{}), make(chan struct{})
	f.then(blockPUT(arrived, release, nil), onlyFor(http.MethodPut, writeFirst(`{"n":100}`)))
	c := New(&Options{RetryWaitMin: time.Millisecond, RetryWaitMax: 5 * time.Millisecond,
		OnConflict: func(context.Context, ConflictInfo) { panic("hook") }})
	results := make(chan any, 4)
	update := func() {
		defer func() { results <- recover() }()
		c.Update(ctx, f.url(), increment)
	}
	go update() // leads inline; its PUT is held
	<-arrived
	for range 3 {
		go update()
	}
	waitUntil(t, func() bool { return queued(c, f.url()) == 3 })
	close(release) // the group's PUT meets another writer: OnConflict panics on the lane's goroutine
	panics := 0
	for range 4 {
		if v := <-results; v == "hook" {
			panics++
		} else if v != nil {
			t.Errorf("panicked with %v", v)
		}
	}
	if panics != 3 {
		t.Errorf("%d callers got the hook's panic, want the 3 of the group's write", panics)
	}
	ctx2, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := c.Update(ctx2, f.url(), increment); err != nil {
		t.Errorf("a write after the panic: %v (lane not released)", err)
	}
}
