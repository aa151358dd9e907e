package ifmatch

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"testing/synctest"
	"time"
)

// A group's write outlives its callers only until the last one leaves, and
// then ends for that caller's reason: a caller past its deadline gets an
// error matching context.DeadlineExceeded from the group's requests, never
// a bare "context canceled".
func TestGroupEndsWithItsCallersCause(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx1, cancel1 := context.WithTimeout(context.Background(), time.Second)
		defer cancel1()
		ctx2, cancel2 := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel2()
		g := newGroup(ctx1)
		g.add([]*member{newMember(ctx1, nil, http.MethodPut), newMember(ctx2, nil, http.MethodPut)})
		defer g.close()
		<-g.ctx.Done()
		err := ended(g.ctx, http.MethodGet, "http://h/doc")
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("the group's requests end with %v, want an error matching context.DeadlineExceeded", err)
		}
		if got := time.Since(time.Unix(946684800, 0)); got < 2*time.Second {
			t.Errorf("the group ended after %v, before its last caller's deadline", got)
		}
	})
}
