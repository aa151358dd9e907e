package main

import (
	"context"
	"fmt"
	"io"
	"os"
)

// runPatch sends a JSON Patch (kind "patch") or a merge patch ("merge")
// from a file or stdin, and prints the committed document.
func runPatch(ctx context.Context, kind string, args []string, std stdio) int {
	var cf clientFlags
	what := map[string]string{"patch": "RFC 6902 JSON Patch", "merge": "RFC 7396 merge patch"}[kind]
	fs := newFlagSet(kind, "[flags] URL [FILE|-]\n\nApplies the "+what+" in FILE (default: stdin) to the document at URL,\nreapplied to the fresh document on every conflict, and prints the result.", std, &cf)
	withVersion := fs.Bool("i", false, "print the new version (ETag: or Version: line) and a blank line before the document")
	quiet := fs.Bool("q", false, "print nothing on success")
	rest, err := parseArgs(fs, args)
	if err != nil {
		return flagErr(err)
	}
	if len(rest) < 1 || len(rest) > 2 {
		return usage(std, "%s takes a URL and an optional FILE", kind)
	}
	src := "-"
	if len(rest) == 2 {
		src = rest[1]
	}
	body, err := readSource(src, std.in)
	if err != nil {
		return usage(std, "%v", err)
	}
	c, code := newClient(&cf, std)
	if c == nil {
		return code
	}
	defer c.CloseIdleConnections()
	send := c.Patch
	if kind == "merge" {
		send = c.MergePatch
	}
	resp, err := send(ctx, rest[0], body)
	status := outcome(err, ctx.Err() != nil)
	if err != nil {
		fmt.Fprintln(std.err, err)
		return exitFor(status)
	}
	if !*quiet {
		if *withVersion {
			printVersion(std.out, &cf, resp.ETag)
		}
		printBody(std.out, resp.Body)
	}
	return exitOK
}

// readSource reads FILE, or stdin for "-".
func readSource(name string, stdin io.Reader) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(stdin)
	}
	return os.ReadFile(name)
}
