package main

import (
	"context"

	"github.com/ifmatch/ifmatch"
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
	withVersion, quiet := answerFlags(fs)
	rest, code, ok := fs.parse(args)
	if !ok {
		return code
	}
	url, body, code, ok := documentArgs(kind, rest, std)
	if !ok {
		return code
	}
	return writeDocument(ctx, &cf, std, func(c *ifmatch.Client) (*ifmatch.Response, error) {
		if kind == "merge" {
			return c.MergePatch(ctx, url, body)
		}
		return c.Patch(ctx, url, body)
	}, *withVersion, *quiet)
}
