package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/ifmatch/ifmatch"
	"github.com/ifmatch/ifmatch/internal/merge3"
)

const editSynopsis = `[flags] URL

Opens the document at URL in $VISUAL (or $EDITOR, or vi) and writes it back
when the editor exits, based on the version read (If-Match). If someone
else changed the document meanwhile, the two edits are merged when they
touch different fields; when they touch the same ones, the editor reopens
with both edits merged, the overlapping fields holding your value and
listed at the top with theirs. An empty file cancels the edit; so does a
file saved unchanged after an error (invalid JSON).

SIGINT or SIGTERM ends the session: the editor is sent SIGTERM (and killed
after a few seconds), nothing more is written, and the exit status is 130,
or 3 if a write was in flight (its outcome is unknown).`

// runEdit is the edit command.
func runEdit(ctx context.Context, args []string, std stdio) int {
	var cf clientFlags
	fs := newCmdLine("edit", editSynopsis, std)
	cf.register(fs, writeFlags|conflictFlags)
	rest, code, ok := fs.parse(args)
	if !ok {
		return code
	}
	if len(rest) != 1 {
		return usage(std, "edit takes one URL")
	}
	if err := checkURL(rest[0]); err != nil {
		return usage(std, "edit: %v", err)
	}
	o, err := cf.options(std)
	if err != nil {
		return usage(std, "%v", err)
	}
	o.ThreeWayPut = true
	c := ifmatch.New(o)
	defer c.CloseIdleConnections()
	e := &editor{c: c, url: rest[0], std: std}
	return e.run(ctx)
}

// editor is one edit session.
type editor struct {
	c   *ifmatch.Client
	url string
	std stdio
}

func (e *editor) run(ctx context.Context) int {
	resp, err := e.c.Get(ctx, e.url)
	if err != nil {
		return readFailure(ctx, e.std, err)
	}
	dir, err := os.MkdirTemp("", "ifmatch-edit-")
	if err != nil {
		fmt.Fprintln(e.std.err, "ifmatch:", err)
		return exitFailed
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "document.json")

	base := resp.Body // the version the next write is based on
	shown := indentDoc(base)
	header := fmt.Sprintf("# ifmatch edit %s (version %s)\n# Lines starting with # are ignored; an empty file cancels the edit.\n", redact(e.url), resp.ETag)
	afterError := false // the file shown says what was wrong with the last save
	for round := 1; ; round++ {
		if err := os.WriteFile(file, append([]byte(header), shown...), 0o600); err != nil {
			fmt.Fprintln(e.std.err, "ifmatch:", err)
			return exitFailed
		}
		err := e.openEditor(ctx, file)
		if ctx.Err() != nil {
			fmt.Fprintln(e.std.err, "ifmatch: interrupted: nothing written")
			return exitInterrupted
		}
		if err != nil {
			fmt.Fprintln(e.std.err, "ifmatch: editor:", err)
			return exitFailed
		}
		saved, err := os.ReadFile(file)
		if err != nil {
			fmt.Fprintln(e.std.err, "ifmatch:", err)
			return exitFailed
		}
		body := stripComments(saved)
		if afterError && bytes.Equal(body, stripComments(shown)) {
			// As kubectl edit does: an editor that saves what it was
			// shown would reopen forever.
			fmt.Fprintln(e.std.err, "ifmatch: edit cancelled: the file was saved unchanged after an error; nothing written")
			return exitFailed
		}
		if len(bytes.TrimSpace(body)) == 0 {
			fmt.Fprintln(e.std.err, "ifmatch: edit cancelled: the file is empty; nothing written")
			if round == 1 {
				return exitOK
			}
			return exitFailed
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, body); err != nil {
			header = fmt.Sprintf("# ifmatch: this is not valid JSON: %v\n# Fix it and save, or empty the file to cancel. Lines starting with # are ignored.\n", err)
			shown, afterError = body, true
			continue
		}
		afterError = false
		if round == 1 && sameJSON(compact.Bytes(), base) {
			fmt.Fprintln(e.std.err, "ifmatch: no changes; nothing written")
			return exitOK
		}
		if ctx.Err() != nil {
			fmt.Fprintln(e.std.err, "ifmatch: interrupted: nothing written")
			return exitInterrupted
		}
		resp, err := e.c.Put(ctx, e.url, compact.Bytes())
		if err == nil {
			fmt.Fprintf(e.std.err, "ifmatch: %s edited (version %s)\n", redact(e.url), resp.ETag)
			return exitOK
		}
		var ce *ifmatch.ConflictError
		if !errors.As(err, &ce) || len(ce.Pointers) == 0 || ctx.Err() != nil {
			code := writeFailure(ctx, e.std, err)
			if code == exitUnknown && ctx.Err() != nil {
				fmt.Fprintf(e.std.err, "ifmatch: interrupted while the write was in flight: it may have committed; check %s\n", redact(e.url))
			}
			return code
		}
		// Both sides changed the same fields: show the merge and let the
		// user decide, based on the current version.
		cur, err := e.c.Get(ctx, e.url)
		if err != nil {
			return readFailure(ctx, e.std, err)
		}
		merged, conflicts, err := mergeForEdit(base, compact.Bytes(), cur.Body)
		if err != nil {
			fmt.Fprintln(e.std.err, "ifmatch: merging the edit:", err)
			return exitFailed
		}
		fmt.Fprintf(e.std.err, "ifmatch: %s changed meanwhile in the fields you edited; reopening the editor\n", redact(e.url))
		base, shown, header = cur.Body, merged, conflictHeader(conflicts, cur.ETag)
	}
}

// openEditor runs the user's editor on file, attached to the command's
// streams. $VISUAL, then $EDITOR, may hold arguments ("code -w"). When
// ctx ends (SIGINT, SIGTERM) the editor is asked to end with SIGTERM, and
// killed if it is still there after editorGrace.
func (e *editor) openEditor(ctx context.Context, file string) error {
	ed := os.Getenv("VISUAL")
	if ed == "" {
		ed = os.Getenv("EDITOR")
	}
	if ed == "" {
		ed = "vi"
	}
	argv := strings.Fields(ed)
	cmd := exec.CommandContext(ctx, argv[0], append(argv[1:], file)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = e.std.in, e.std.out, e.std.err
	cmd.Cancel = func() error {
		if cmd.Process.Signal(syscall.SIGTERM) != nil { // not on Windows
			return cmd.Process.Kill()
		}
		return nil
	}
	cmd.WaitDelay = editorGrace
	return cmd.Run()
}

// editorGrace is how long an editor asked to end may take.
const editorGrace = 5 * time.Second

// conflictHeader marks the fields both sides changed.
func conflictHeader(cs []fieldConflict, version string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# ifmatch: someone else changed this document (now version %s) while you\n", version)
	b.WriteString("# were editing it. Both edits are merged below; these fields were changed\n")
	b.WriteString("# on both sides and hold your value:\n#\n")
	show := func(v string) string {
		if v == "" {
			return "(absent)"
		}
		return v
	}
	for _, c := range cs {
		fmt.Fprintf(&b, "#   %s\n#     yours:  %s\n#     theirs: %s\n#     before: %s\n", c.pointer, show(c.ours), show(c.theirs), show(c.base))
	}
	b.WriteString("#\n# Save to write the document below, edit it first, or empty the file to\n")
	b.WriteString("# cancel. Lines starting with # are ignored.\n")
	return b.String()
}

// stripComments drops the lines whose first non-blank character is #. No
// such line can be inside a JSON value, since strings cannot span lines.
func stripComments(b []byte) []byte {
	var out []byte
	for line := range bytes.Lines(b) {
		if bytes.HasPrefix(bytes.TrimLeft(line, " \t"), []byte("#")) {
			continue
		}
		out = append(out, line...)
	}
	return out
}

// indentDoc is a document as the editor shows it; a body that is not
// JSON is shown as it is.
func indentDoc(doc []byte) []byte {
	var buf bytes.Buffer
	if json.Indent(&buf, doc, "", "  ") != nil {
		return doc
	}
	buf.WriteByte('\n')
	return buf.Bytes()
}

// sameJSON reports whether two documents are equal as JSON values.
func sameJSON(a, b []byte) bool {
	x, errx := merge3.Decode(a)
	y, erry := merge3.Decode(b)
	return errx == nil && erry == nil && merge3.Equal(x, y)
}
