// Command ifmatch makes safe edits and bulk changes to any JSON HTTP API
// from a shell: every write carries the version it was based on (If-Match),
// and a change that meets a concurrent one is reapplied to the fresh
// document instead of overwriting it.
//
// Install it with
//
//	go install github.com/ifmatch/ifmatch/cmd/ifmatch@latest
//
// and run "ifmatch help" for the commands:
//
//	ifmatch get URL                 print a document (-i: and its version)
//	ifmatch patch URL [FILE|-]      apply an RFC 6902 JSON Patch
//	ifmatch merge URL [FILE|-]      apply an RFC 7396 merge patch
//	ifmatch edit URL                edit a document in $EDITOR
//	ifmatch apply [FILE|-]          run a JSON Lines stream of patches
//
// Exit status: 0 committed, 1 failed, 2 usage error, 3 outcome unknown (a
// write was sent and its answer lost).
//
// The first SIGINT or SIGTERM stops the command cleanly: apply starts no
// new operation, lets those in flight finish (for at most -grace), and
// reports every operation it started exactly once. A second signal ends
// the operations in flight at once; they are reported as unknown.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
