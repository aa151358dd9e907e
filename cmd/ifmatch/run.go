package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// Exit statuses, shared by every command.
const (
	exitOK      = 0 // committed (or, for get and edit without change, done)
	exitFailed  = 1 // failed: a conflict, a failed test operation, a 4xx, an interrupted apply
	exitUsage   = 2 // the command line is wrong
	exitUnknown = 3 // a write was sent and its answer lost
)

const usageText = `Usage: ifmatch COMMAND [flags] ARGS

Safe edits and bulk changes to JSON HTTP APIs: every write carries the
version it was based on (If-Match), and a change that meets a concurrent
one is reapplied to the fresh document instead of overwriting it.

Commands:
  get URL                print the document; -i also prints its version
  patch URL [FILE|-]     apply an RFC 6902 JSON Patch (from FILE or stdin)
  merge URL [FILE|-]     apply an RFC 7396 merge patch (from FILE or stdin)
  edit URL               edit the document in $EDITOR; a concurrent change
                         is merged, or the editor reopens on the conflict
  apply [FILE|-]         run a JSON Lines stream of operations:
                         {"id":..., "url":..., "patch":[...]} or
                         {"id":..., "url":..., "merge":{...}}

Exit status: 0 committed, 1 failed, 2 usage error, 3 outcome unknown.
Run "ifmatch COMMAND -h" for a command's flags.
`

// command is one subcommand: it gets the context, its arguments and the
// standard streams, and returns an exit status.
type command func(ctx context.Context, args []string, std stdio) int

// stdio are the streams a command talks to.
type stdio struct {
	in       io.Reader
	out, err io.Writer
}

var commands = map[string]command{
	"get":   runGet,
	"patch": func(ctx context.Context, args []string, std stdio) int { return runPatch(ctx, "patch", args, std) },
	"merge": func(ctx context.Context, args []string, std stdio) int { return runPatch(ctx, "merge", args, std) },
	"edit":  runEdit,
	"apply": runApply,
}

// run is the whole command line, testable in-process: ctx ends on the
// first SIGINT or SIGTERM.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	std := stdio{in: stdin, out: stdout, err: stderr}
	if len(args) == 0 {
		fmt.Fprint(stderr, usageText)
		return exitUsage
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usageText)
		return exitOK
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "ifmatch: unknown command %q\n\n%s", args[0], usageText)
		return exitUsage
	}
	return cmd(ctx, args[1:], std)
}

// parseArgs parses flags wherever they appear among the arguments (Go's
// flag package stops at the first argument), so that "ifmatch patch URL
// -max-attempts 3" works as users expect. "--" ends the flags. Errors have
// already been printed by fs, with its usage.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var rest []string
	for len(args) > 0 {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		remaining := fs.Args()
		// The flag package stops at "--", which it consumes, or at the
		// first argument, which it leaves.
		if used := len(args) - len(remaining); used > 0 && args[used-1] == "--" {
			return append(rest, remaining...), nil
		}
		if len(remaining) == 0 {
			break
		}
		rest = append(rest, remaining[0])
		args = remaining[1:]
	}
	return rest, nil
}

// flagErr is the exit status for a parseArgs error: -h asked for the usage
// text and is no mistake.
func flagErr(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	return exitUsage
}

// usage prints a command-line mistake and returns exitUsage.
func usage(std stdio, format string, args ...any) int {
	msg := fmt.Sprintf(format, args...)
	if !strings.HasPrefix(msg, "ifmatch: ") { // the SDK's errors carry it already
		msg = "ifmatch: " + msg
	}
	fmt.Fprintln(std.err, msg)
	return exitUsage
}
