package main

import (
	"context"
	"fmt"
	"io"

	"github.com/ifmatch/ifmatch"
)

// runGet prints a document, and with -i its version first.
func runGet(ctx context.Context, args []string, std stdio) int {
	var cf clientFlags
	fs := newFlagSet("get", "[flags] URL", std, &cf)
	withVersion := fs.Bool("i", false, "print the version (ETag: or Version: line) and a blank line before the document")
	rest, err := parseArgs(fs, args)
	if err != nil {
		return flagErr(err)
	}
	if len(rest) != 1 {
		return usage(std, "get takes one URL")
	}
	c, code := newClient(&cf, std)
	if c == nil {
		return code
	}
	defer c.CloseIdleConnections()
	resp, err := c.Get(ctx, rest[0])
	if err != nil {
		fmt.Fprintln(std.err, err)
		return exitFailed
	}
	if *withVersion {
		printVersion(std.out, &cf, resp.ETag)
	}
	printBody(std.out, resp.Body)
	return exitOK
}

// newClient builds the SDK client from the flags; on a usage error it
// returns nil and the exit status.
func newClient(cf *clientFlags, std stdio) (*ifmatch.Client, int) {
	o, err := cf.options(std)
	if err != nil {
		return nil, usage(std, "%v", err)
	}
	return ifmatch.New(o), exitOK
}

// printVersion writes the version line of -i: the ETag header's value, or
// the version field's with -version-field.
func printVersion(w io.Writer, cf *clientFlags, v string) {
	if cf.versionField != "" {
		fmt.Fprintf(w, "Version: %s\n\n", v)
		return
	}
	fmt.Fprintf(w, "ETag: %s\n\n", v)
}

// printBody writes a document followed by a newline.
func printBody(w io.Writer, body []byte) {
	if len(body) == 0 {
		return
	}
	w.Write(body)
	if body[len(body)-1] != '\n' {
		io.WriteString(w, "\n")
	}
}
