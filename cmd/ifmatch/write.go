package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/ifmatch/ifmatch"
)

// This file holds create, put and delete: the writes of whole documents.

const createSynopsis = `[flags] URL [FILE|-]

Creates the document at URL from FILE (default: stdin) with PUT and
If-None-Match: *, so that an existing document is never overwritten: if
one exists the command fails (exit 1) and writes nothing.`

const putSynopsis = `[flags] URL [FILE|-]

Replaces the document at URL with FILE (default: stdin), only if its
version is still the one the new document was based on: -if-match gives
it, or FILE starts with it as "ifmatch get -i" writes it:

  ifmatch get -i URL > doc.txt     # ETag: "7", a blank line, the document
  $EDITOR doc.txt                  # change the document, not the ETag line
  ifmatch put URL doc.txt          # 412 (exit 1) if it changed meanwhile

With -version-field the version may also be inside the document. A stale
version fails (exit 1) and writes nothing; edit or patch reapply a change
to the fresh document instead.`

const deleteSynopsis = `[flags] URL

Deletes the document at URL only if its version is still the one given by
-if-match (a version, or @FILE for a file written by "ifmatch get -i"). A
stale version fails (exit 1) and deletes nothing.`

// runCreate is the create command.
func runCreate(ctx context.Context, args []string, std stdio) int {
	var cf clientFlags
	fs := newCmdLine("create", createSynopsis, std)
	cf.register(fs, writeFlags)
	withVersion, quiet := answerFlags(fs)
	rest, code, ok := fs.parse(args)
	if !ok {
		return code
	}
	url, body, code, ok := documentArgs("create", rest, std)
	if !ok {
		return code
	}
	return writeDocument(ctx, &cf, std, func(c *ifmatch.Client) (*ifmatch.Response, error) {
		return c.Create(ctx, url, body)
	}, *withVersion, *quiet)
}

// runPut is the put command.
func runPut(ctx context.Context, args []string, std stdio) int {
	var cf clientFlags
	fs := newCmdLine("put", putSynopsis, std)
	cf.register(fs, writeFlags)
	ifMatch := fs.String("if-match", "", "the `version` the document is based on (an ETag such as '\"7\"'), or @FILE to read it from a file written by get -i")
	withVersion, quiet := answerFlags(fs)
	rest, code, ok := fs.parse(args)
	if !ok {
		return code
	}
	url, body, code, ok := documentArgs("put", rest, std)
	if !ok {
		return code
	}
	version, err := flagVersion(*ifMatch)
	if err != nil {
		return usage(std, "put: %v", err)
	}
	if v, doc, found := cutVersionBlock(body); found {
		if version != "" && v != version {
			return usage(std, "put: -if-match %s and the file's version %s disagree", version, v)
		}
		version, body = v, doc
	}
	if err := checkVersion(version, &cf); err != nil {
		return usage(std, "put: %v", err)
	}
	var opts []ifmatch.CallOption
	if version != "" {
		opts = append(opts, ifmatch.IfMatch(version))
	}
	return writeDocument(ctx, &cf, std, func(c *ifmatch.Client) (*ifmatch.Response, error) {
		return c.Put(ctx, url, body, opts...)
	}, *withVersion, *quiet)
}

// runDelete is the delete command.
func runDelete(ctx context.Context, args []string, std stdio) int {
	var cf clientFlags
	fs := newCmdLine("delete", deleteSynopsis, std)
	cf.register(fs, writeFlags)
	ifMatch := fs.String("if-match", "", "the `version` to delete (an ETag such as '\"7\"'), or @FILE to read it from a file written by get -i")
	rest, code, ok := fs.parse(args)
	if !ok {
		return code
	}
	if len(rest) != 1 {
		return usage(std, "delete takes one URL")
	}
	if err := checkURL(rest[0]); err != nil {
		return usage(std, "delete: %v", err)
	}
	version, err := flagVersion(*ifMatch)
	if err == nil && version == "" {
		err = errors.New("-if-match is required: the version to delete (or @FILE, a file written by get -i)")
	}
	if err == nil {
		err = checkVersion(version, &cf)
	}
	if err != nil {
		return usage(std, "delete: %v", err)
	}
	return writeDocument(ctx, &cf, std, func(c *ifmatch.Client) (*ifmatch.Response, error) {
		return c.Delete(ctx, rest[0], ifmatch.IfMatch(version))
	}, false, true)
}

// flagVersion is the version -if-match gives: the value, or for @FILE
// the version line of a file written by get -i.
func flagVersion(flag string) (string, error) {
	name, isFile := strings.CutPrefix(flag, "@")
	if !isFile {
		return flag, nil
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return "", fmt.Errorf("-if-match: %w", err)
	}
	v, _, found := cutVersionBlock(b)
	if !found {
		return "", fmt.Errorf("-if-match @%s: the file does not start with an ETag: or Version: line (as get -i writes it)", name)
	}
	return v, nil
}

// cutVersionBlock splits what get -i writes, an "ETag: v" or "Version: v"
// line and a blank line before the document, into the version and the
// document. found is false when b does not start with such a line.
func cutVersionBlock(b []byte) (version string, doc []byte, found bool) {
	line, after, _ := bytes.Cut(b, []byte("\n"))
	name, value, ok := strings.Cut(strings.TrimRight(string(line), "\r"), ":")
	if !ok || (!strings.EqualFold(name, "ETag") && !strings.EqualFold(name, "Version")) {
		return "", b, false
	}
	if blank, rest, ok := bytes.Cut(after, []byte("\n")); ok && len(bytes.TrimSpace(blank)) == 0 {
		after = rest
	}
	return strings.TrimSpace(value), after, true
}

// checkVersion refuses a version the server could never match: an ETag
// sent without its quotes (-if-match 7 for "7"), or none at all where the
// document cannot carry it.
func checkVersion(v string, cf *clientFlags) error {
	switch {
	case v == "" && cf.versionField == "":
		return errors.New("no version: give the one the document is based on with -if-match VERSION or -if-match @FILE, or a FILE written by get -i")
	case v == "" || cf.versionField != "":
		return nil
	case strings.HasPrefix(v, `"`) && strings.HasSuffix(v, `"`) && len(v) >= 2,
		strings.HasPrefix(v, `W/"`) && strings.HasSuffix(v, `"`) && len(v) >= 4:
		return nil
	}
	return fmt.Errorf("-if-match %s: an ETag is quoted, as in '\"%s\"' (or W/\"...\"), and sent as it is", v, strings.Trim(v, `"`))
}
