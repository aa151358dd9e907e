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
//	ifmatch edit URL                edit a document in $VISUAL or $EDITOR
//	ifmatch create URL [FILE|-]     create a document (If-None-Match: *)
//	ifmatch put URL [FILE|-]        replace the version -if-match (or get -i) gives
//	ifmatch delete URL              delete the version -if-match gives
//	ifmatch apply [FILE|-]          run a JSON Lines stream of patches
//
// Exit status: 0 committed, 1 failed, 2 usage error, 3 outcome unknown (a
// write was sent and its answer lost), 130 interrupted (nothing unknown).
//
// The first SIGINT or SIGTERM stops the command cleanly: apply starts no
// new operation, lets those in flight finish (for at most -grace), and
// reports every operation it started exactly once; edit ends the editor
// and reports a write in flight as unknown. A second signal ends apply's
// operations in flight at once; they are reported as unknown.
//
// apply -resume never runs an operation twice unless told to: see
// README.md in this directory.
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
