package main

import (
	"context"
)

// runPatch sends a JSON Patch (kind "patch") or a merge patch ("merge")
// from a file or stdin, and prints the committed document.
func runPatch(ctx context.Context, kind string, args []string, std stdio) int {
	var cf clientFlags
	what, groups := "RFC 6902 JSON Patch", jsonPatchFlags
	if kind == "merge" {
		what, groups = "RFC 7396 merge patch", mergeFlags
	}
	fs := newCmdLine(kind, "[flags] URL [FILE|-]\n\nApplies the "+what+" in FILE (default: stdin) to the document at URL,\nreapplied to the fresh document on every conflict, and prints the result.", std)
	cf.register(fs, writeFlags|conflictFlags|patchFlags|groups)
	withVersion := fs.Bool("i", false, "print the new version (ETag: or Version: line) and a blank line before the document")
	quiet := fs.Bool("q", false, "print nothing on success")
	rest, code, ok := fs.parse(args)
	if !ok {
		return code
	}
	if len(rest) < 1 || len(rest) > 2 {
		return usage(std, "%s takes a URL and an optional FILE", kind)
	}
	if err := checkURL(rest[0]); err != nil {
		return usage(std, "%s: %v", kind, err)
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
	if ctx.Err() != nil {
		return exitInterrupted // nothing sent
	}
	send := c.Patch
	if kind == "merge" {
		send = c.MergePatch
	}
	resp, err := send(ctx, rest[0], body)
	if err != nil {
		return writeFailure(ctx, std, err)
	}
	if !*quiet {
		if *withVersion {
			printVersion(std.out, &cf, resp.ETag)
		}
		printBody(std.out, resp.Body)
	}
	return exitOK
}
