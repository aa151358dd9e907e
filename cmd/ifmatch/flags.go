package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/ifmatch/ifmatch"
)

// clientFlags are the SDK options a script may want to set, shared by
// every command.
type clientFlags struct {
	headers         headerFlag
	maxAttempts     int
	maxElapsed      time.Duration
	timeout         time.Duration
	retries         int
	retryWaitMin    time.Duration
	retryWaitMax    time.Duration
	strategy        string
	idempotencyKeys bool
	idempotencyHdr  string
	versionField    string
	versionParam    string
	versionInAnswer string
	mergeType       string
	patchType       string
	storedMayDiffer bool
	noGroupCommit   bool
	maxBody         int64
	verbose         bool
}

// flagGroups selects the client flags a command lists: each command shows
// only those that change what it does.
type flagGroups uint

// The groups beyond the flags every command has (-H, -timeout, -retries,
// -retry-wait-min, -retry-wait-max, -version-field, -max-body, -v).
const (
	writeFlags     flagGroups = 1 << iota // -idempotency-keys, -idempotency-header, -version-param, -version-in-answer
	conflictFlags                         // -max-attempts, -max-elapsed: writes retried after a conflict
	patchFlags                            // -strategy, -stored-may-differ
	jsonPatchFlags                        // -json-patch-content-type
	mergeFlags                            // -merge-content-type
	groupFlags                            // -no-group-commit
)

// register adds the client flags of groups to the command line.
func (cf *clientFlags) register(fs *cmdLine, groups flagGroups) {
	fs.Var(&cf.headers, "H", "request `header` 'Name: value' (repeatable); also IFMATCH_HEADER_<NAME> in the environment. Never printed")
	fs.DurationVar(&cf.timeout, "timeout", 0, "timeout of each HTTP request; 0: 30s")
	fs.IntVar(&cf.retries, "retries", 0, "transport retries per request (network errors, 408, 429, 5xx); 0: 4; negative: none")
	fs.DurationVar(&cf.retryWaitMin, "retry-wait-min", 0, "shortest wait before a transport retry; 0: 50ms")
	fs.DurationVar(&cf.retryWaitMax, "retry-wait-max", 0, "longest wait before a transport retry; 0: 2s")
	fs.StringVar(&cf.versionField, "version-field", "", "JSON `pointer` of the version inside the document (/_rev for CouchDB, /metadata/resourceVersion for Kubernetes); default: the ETag header")
	fs.Int64Var(&cf.maxBody, "max-body", 0, "cap on request and response bodies in `bytes`; 0: 16 MiB")
	fs.BoolVar(&cf.verbose, "v", false, "log retries, conflicts and rebases to stderr (credentials are never logged)")
	if groups&writeFlags != 0 {
		fs.BoolVar(&cf.idempotencyKeys, "idempotency-keys", false, "send an Idempotency-Key with every write, so that a server honoring it settles lost answers")
		fs.StringVar(&cf.idempotencyHdr, "idempotency-header", "", "`name` of the idempotency key header; default Idempotency-Key")
		fs.StringVar(&cf.versionParam, "version-param", "", "with -version-field, a query `parameter` that also carries the version on writes (rev for CouchDB)")
		fs.StringVar(&cf.versionInAnswer, "version-in-answer", "", "with -version-field, JSON `pointer` of the new version in a write's answer (/rev for CouchDB)")
	}
	if groups&conflictFlags != 0 {
		fs.IntVar(&cf.maxAttempts, "max-attempts", 0, "write attempts per operation after conflicts, the first included; 0: no cap (-max-elapsed bounds it)")
		fs.DurationVar(&cf.maxElapsed, "max-elapsed", 0, "time budget per operation for conflict retries; 0: 30s")
	}
	if groups&patchFlags != 0 {
		fs.StringVar(&cf.strategy, "strategy", "apply-locally", "how patches are written: apply-locally (PUT the patched document) or send-patch (PATCH)")
		fs.BoolVar(&cf.storedMayDiffer, "stored-may-differ", false, "never take a sent document for the stored one (servers that change what they store): the next local change reads first")
	}
	if groups&mergeFlags != 0 {
		fs.StringVar(&cf.mergeType, "merge-content-type", "", "media `type` merge patches are sent as with -strategy send-patch (application/json for OData); default application/merge-patch+json")
	}
	if groups&jsonPatchFlags != 0 {
		fs.StringVar(&cf.patchType, "json-patch-content-type", "", "media `type` JSON Patches are sent as with -strategy send-patch; default application/json-patch+json")
	}
	if groups&groupFlags != 0 {
		fs.BoolVar(&cf.noGroupCommit, "no-group-commit", false, "write every operation on its own instead of combining concurrent ones on the same document")
	}
}

// options turns the flags and the environment into SDK options.
func (cf *clientFlags) options(std stdio) (*ifmatch.Options, error) {
	o := &ifmatch.Options{
		MaxAttempts:           cf.maxAttempts,
		MaxElapsed:            cf.maxElapsed,
		AttemptTimeout:        cf.timeout,
		RetryMax:              cf.retries,
		RetryWaitMin:          cf.retryWaitMin,
		RetryWaitMax:          cf.retryWaitMax,
		IdempotencyKeys:       cf.idempotencyKeys,
		IdempotencyHeader:     cf.idempotencyHdr,
		VersionField:          cf.versionField,
		VersionParam:          cf.versionParam,
		VersionInAnswer:       cf.versionInAnswer,
		MergePatchContentType: cf.mergeType,
		JSONPatchContentType:  cf.patchType,
		StoredMayDiffer:       cf.storedMayDiffer,
		NoGroupCommit:         cf.noGroupCommit,
		MaxBodyBytes:          cf.maxBody,
	}
	switch cf.strategy {
	case "apply-locally", "":
		o.PatchStrategy = ifmatch.ApplyLocally
	case "send-patch":
		o.PatchStrategy = ifmatch.SendPatch
	default:
		return nil, fmt.Errorf("-strategy %q: want apply-locally or send-patch", cf.strategy)
	}
	h, err := headersFrom(os.Environ(), cf.headers)
	if err != nil {
		return nil, err
	}
	if len(h) > 0 {
		o.Header = h
	}
	if cf.verbose {
		o.Logger = slog.New(slog.NewTextHandler(std.err, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	// The SDK's own check of the options (New panics on what it would
	// report): one place decides what a valid configuration is.
	if err := o.Validate(); err != nil {
		return nil, err
	}
	return o, nil
}

// envHeaderPrefix starts the environment variables that carry headers:
// IFMATCH_HEADER_AUTHORIZATION, IFMATCH_HEADER_X_API_KEY (X-Api-Key).
const envHeaderPrefix = "IFMATCH_HEADER_"

// headerFlag collects -H 'Name: value' flags.
type headerFlag []string

func (h *headerFlag) String() string { return "" } // never show values

// Set only collects: the flag package would quote a bad value in its
// error, and the value may be a secret. headersFrom checks.
func (h *headerFlag) Set(s string) error {
	*h = append(*h, s)
	return nil
}

// headersFrom builds the request headers from the environment and the -H
// flags; a -H replaces the environment's value of the same header. Errors
// name the header, never its value.
func headersFrom(environ []string, flags []string) (http.Header, error) {
	h := http.Header{}
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		suffix, ok := strings.CutPrefix(k, envHeaderPrefix)
		if !ok || suffix == "" {
			continue
		}
		name := strings.ReplaceAll(suffix, "_", "-")
		if !validHeaderName(name) || !validHeaderValue(v) {
			return nil, fmt.Errorf("environment variable %s: not a valid header", k)
		}
		h.Set(name, v)
	}
	fromFlags := http.Header{}
	for _, s := range flags {
		name, v, ok := strings.Cut(s, ":")
		name, v = strings.TrimSpace(name), strings.TrimSpace(v)
		if !ok || !validHeaderName(name) {
			return nil, errors.New("-H: want 'Name: value'; got a header without a valid name before ':'")
		}
		if !validHeaderValue(v) {
			return nil, fmt.Errorf("-H %s: the value holds a control character", name)
		}
		fromFlags.Add(name, v)
	}
	for k, vs := range fromFlags {
		h[k] = vs
	}
	return h, nil
}

// validHeaderName reports whether s is an RFC 9110 token.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if c >= 0x7f || c <= ' ' || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

// validHeaderValue rejects the bytes that would break a header line.
func validHeaderValue(s string) bool {
	return !strings.ContainsAny(s, "\r\n\x00")
}
