package main

import (
	"context"
)

// runGet prints a document, and with -i its version first.
func runGet(ctx context.Context, args []string, std stdio) int {
	var cf clientFlags
	fs := newCmdLine("get", "[flags] URL\n\nPrints the document at URL; with -i, its version first, in the form put\nand delete read back (-if-match @FILE).", std)
	cf.register(fs, 0)
	withVersion := fs.Bool("i", false, "print the version (ETag: or Version: line) and a blank line before the document")
	rest, code, ok := fs.parse(args)
	if !ok {
		return code
	}
	if len(rest) != 1 {
		return usage(std, "get takes one URL")
	}
	if err := checkURL(rest[0]); err != nil {
		return usage(std, "get: %v", err)
	}
	c, code := newClient(&cf, std)
	if c == nil {
		return code
	}
	defer c.CloseIdleConnections()
	resp, err := c.Get(ctx, rest[0])
	if err != nil {
		return readFailure(ctx, std, err)
	}
	if *withVersion {
		printVersion(std.out, &cf, resp.ETag)
	}
	printBody(std.out, resp.Body)
	return exitOK
}
