package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"

	"github.com/ifmatch/ifmatch"
)

// This file holds what the commands on one resource (get, patch, merge,
// create, put, delete, edit) share.

// checkURL tells a command-line URL that the SDK cannot use, in the
// words of the command line rather than the SDK's "invalid change".
func checkURL(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return fmt.Errorf("%s is not a URL: %v", redact(raw), unwrapURLError(err))
	case !u.IsAbs() || u.Host == "":
		return fmt.Errorf("%s is not an absolute URL: give the whole URL, such as https://api.example.com/items/1", redact(raw))
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("%s: want an http or https URL", redact(raw))
	}
	return nil
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

// documentArgs takes URL [FILE|-] and reads the document.
func documentArgs(name string, rest []string, std stdio) (url string, body []byte, code int, ok bool) {
	if len(rest) < 1 || len(rest) > 2 {
		return "", nil, usage(std, "%s takes a URL and an optional FILE", name), false
	}
	if err := checkURL(rest[0]); err != nil {
		return "", nil, usage(std, "%s: %v", name, err), false
	}
	src := "-"
	if len(rest) == 2 {
		src = rest[1]
	}
	body, err := readSource(src, std.in)
	if err != nil {
		return "", nil, usage(std, "%v", err), false
	}
	return rest[0], body, exitOK, true
}

// writeDocument makes the client, sends one write and prints its answer
// as patch does.
func writeDocument(ctx context.Context, cf *clientFlags, std stdio, send func(*ifmatch.Client) (*ifmatch.Response, error), withVersion, quiet bool) int {
	c, code := newClient(cf, std)
	if c == nil {
		return code
	}
	defer c.CloseIdleConnections()
	if ctx.Err() != nil {
		return exitInterrupted // nothing sent
	}
	resp, err := send(c)
	if err != nil {
		return writeFailure(ctx, std, err)
	}
	printAnswer(std.out, cf, resp, withVersion, quiet)
	return exitOK
}

// readFailure prints a failed read and returns its exit status: 130 when
// a signal ended it.
func readFailure(ctx context.Context, std stdio, err error) int {
	fmt.Fprintln(std.err, err)
	if ctx.Err() != nil {
		return exitInterrupted
	}
	return exitFailed
}

// writeFailure prints a failed write and returns its exit status: 3 when
// it may have committed (a lost answer, or a signal while it was in
// flight), else 1.
func writeFailure(ctx context.Context, std stdio, err error) int {
	fmt.Fprintln(std.err, err)
	return exitFor(outcome(err, ctx.Err() != nil))
}

// answerFlags registers -i and -q, which say how a write's answer is
// printed (see printAnswer).
func answerFlags(fs *cmdLine) (withVersion, quiet *bool) {
	withVersion = fs.Bool("i", false, "print the new version (ETag: or Version: line) and a blank line before the document the server answered")
	quiet = fs.Bool("q", false, "print nothing on success")
	return withVersion, quiet
}

// printAnswer prints a committed write's answer as -i and -q say.
func printAnswer(w io.Writer, cf *clientFlags, resp *ifmatch.Response, withVersion, quiet bool) {
	if quiet {
		return
	}
	if withVersion {
		printVersion(w, cf, resp.ETag)
	}
	printBody(w, resp.Body)
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

// readSource reads FILE, or stdin for "-".
func readSource(name string, stdin io.Reader) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(stdin)
	}
	return os.ReadFile(name)
}
