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
	exitOK          = 0   // committed (or, for get and edit without change, done)
	exitFailed      = 1   // failed: a conflict, a failed test operation, a 4xx
	exitUsage       = 2   // the command line is wrong
	exitUnknown     = 3   // a write was sent and its answer lost
	exitInterrupted = 130 // stopped by SIGINT or SIGTERM before the end, nothing unknown; as a shell reports SIGINT
)

const usageText = `Usage: ifmatch COMMAND [flags] ARGS

Safe edits and bulk changes to JSON HTTP APIs: every write carries the
version it was based on (If-Match), and a change that meets a concurrent
one is reapplied to the fresh document instead of overwriting it.

Commands:
  get URL                print the document; -i also prints its version
  patch URL [FILE|-]     apply an RFC 6902 JSON Patch (from FILE or stdin)
  merge URL [FILE|-]     apply an RFC 7396 merge patch (from FILE or stdin)
  edit URL               edit the document in $VISUAL or $EDITOR; a concurrent
                         change is merged, or the editor reopens on the conflict
  create URL [FILE|-]    create a document that must not exist (If-None-Match: *)
  put URL [FILE|-]       replace the version given by -if-match, or read by get -i
  delete URL             delete the version given by -if-match
  apply [FILE|-]         run a JSON Lines stream of operations:
                         {"id":..., "url":..., "patch":[...]} or
                         {"id":..., "url":..., "merge":{...}}

Exit status: 0 committed, 1 failed, 2 usage error, 3 outcome unknown,
130 interrupted.
Run "ifmatch COMMAND -h" (or "ifmatch help COMMAND") for a command's flags.
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
	"get":    runGet,
	"patch":  func(ctx context.Context, args []string, std stdio) int { return runPatch(ctx, "patch", args, std) },
	"merge":  func(ctx context.Context, args []string, std stdio) int { return runPatch(ctx, "merge", args, std) },
	"edit":   runEdit,
	"create": runCreate,
	"put":    runPut,
	"delete": runDelete,
	"apply":  runApply,
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
		if len(args) > 1 && commands[args[1]] != nil {
			return commands[args[1]](ctx, []string{"-h"}, std)
		}
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

// cmdLine is a command's flags and usage text.
type cmdLine struct {
	*flag.FlagSet
	synopsis string
	std      stdio
}

// newCmdLine returns the flag set of a command whose usage line is
// synopsis. Errors go to stderr; the help text, asked for with -h, to
// stdout (see parse).
func newCmdLine(name, synopsis string, std stdio) *cmdLine {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(std.err)
	fs.Usage = func() {} // parse prints the help, where it belongs
	return &cmdLine{FlagSet: fs, synopsis: synopsis, std: std}
}

// help writes the command's usage text and flags to w.
func (c *cmdLine) help(w io.Writer) {
	fmt.Fprintf(w, "Usage: ifmatch %s %s\n\nFlags:\n", c.Name(), c.synopsis)
	out := c.Output()
	c.SetOutput(w)
	c.PrintDefaults()
	c.SetOutput(out)
}

// parse parses the arguments (see parseArgs). When it reports !ok the
// command ends with code: 0 after -h (the help on stdout), 2 after a
// mistake (on stderr).
func (c *cmdLine) parse(args []string) (rest []string, code int, ok bool) {
	rest, err := parseArgs(c.FlagSet, args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		c.help(c.std.out)
		return nil, exitOK, false
	case err != nil:
		fmt.Fprintf(c.std.err, "Run \"ifmatch %s -h\" for its flags.\n", c.Name())
		return nil, exitUsage, false
	}
	return rest, exitOK, true
}

// parseArgs parses flags wherever they appear among the arguments (Go's
// flag package stops at the first argument), so that "ifmatch patch URL
// -max-attempts 3" works as users expect. "--" ends the flags. Errors other
// than flag.ErrHelp have already been printed by fs.
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

// usage prints a command-line mistake and returns exitUsage.
func usage(std stdio, format string, args ...any) int {
	msg := fmt.Sprintf(format, args...)
	if !strings.HasPrefix(msg, "ifmatch: ") { // the SDK's errors carry it already
		msg = "ifmatch: " + msg
	}
	fmt.Fprintln(std.err, msg)
	return exitUsage
}
