package ifmatch

import (
	"fmt"
	"strings"
	"testing"
)

// The read ledger says which version a Put or Delete without one of its
// own may carry: the one open read version, the last one read when every
// read was claimed, none once forgotten, and none when reads handed out
// different versions no write claimed.
func TestReadLedger(t *testing.T) {
	tests := []struct {
		name  string
		steps string // r:V hands out V, c:V made by Create, f forgets, w is a write's claim
		want  string // the last claim: the version, "none", or "many"
	}{
		{"never read", "w", "never"},
		{"one read", "r:1 w", "1"},
		{"read, written, written again", "r:1 w w", "1"},
		{"two readers of one version", "r:1 r:1 w w", "1"},
		{"sequence", "r:1 w r:2 w r:3 w", "3"},
		{"a reader of an older version is open", "r:1 r:1 w r:2 w", "many"},
		{"forgotten after a conflict", "r:1 w f w", "none"},
		{"read again after a conflict", "r:1 w f r:2 w", "2"},
		{"created, then written without a read", "c:1 w", "1"},
		{"created, read, conflict, read again", "c:1 r:1 w f r:2 w", "2"},
		{"many stay many", "r:1 r:2 w w r:3 w", "many"},
		{"bounded", "r:1 r:2 r:3 r:4 r:5 r:6 w", "many"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rl := newReadLedger(10)
			var k cacheKey
			got := ""
			for _, s := range strings.Fields(tt.steps) {
				op, v, _ := strings.Cut(s, ":")
				switch op {
				case "r":
					rl.handedOut(k, v)
				case "c":
					rl.created(k, v)
				case "f":
					rl.forgotten(k)
				case "w":
					v, state, open := rl.claim(k)
					switch {
					case state == neverRead:
						got = "never"
					case state == manyOpen:
						got = "many"
						if len(open) > maxOpen {
							t.Errorf("claim lists %d open versions, more than the bound %d", len(open), maxOpen)
						}
					case v == "":
						got = "none"
					default:
						got = v
					}
				}
			}
			if got != tt.want {
				t.Errorf("after %q the claim is %s, want %s", tt.steps, got, tt.want)
			}
		})
	}
	// The ledger is bounded in resources.
	rl := newReadLedger(2)
	for i := range 5 {
		rl.handedOut(cacheKey{url: fmt.Sprint(i)}, "1")
	}
	if n := rl.lru.Len(); n != 2 {
		t.Errorf("the ledger holds %d resources, want its bound 2", n)
	}
}
