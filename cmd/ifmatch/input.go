package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
)

// openInput opens apply's operations as a file that can be read twice:
// once to check them before anything is sent (see checkInput), once to
// run them. Operations from a pipe (stdin, or a FILE such as <(cmd)) are
// first copied to a temporary file, which closeFn removes. A stop (ctx)
// while the pipe is read ends it with ctx's error.
func openInput(ctx context.Context, args []string, stdin io.Reader) (f *os.File, closeFn func(), err error) {
	src, closeSrc := stdin, func() {}
	if len(args) > 0 && args[0] != "-" {
		f, err := os.Open(args[0])
		if err != nil {
			return nil, nil, err
		}
		src, closeSrc = f, func() { f.Close() }
	}
	if sf, ok := src.(*os.File); ok {
		st, err := sf.Stat()
		if off, errSeek := sf.Seek(0, io.SeekCurrent); err == nil && errSeek == nil && st.Mode().IsRegular() && off == 0 {
			return sf, closeSrc, nil // a file: nothing to copy
		}
	}
	defer closeSrc()
	tmp, err := os.CreateTemp("", "ifmatch-ops-*.jsonl")
	if err != nil {
		return nil, nil, err
	}
	closeFn = func() {
		tmp.Close()
		os.Remove(tmp.Name())
	}
	copied := make(chan error, 1)
	go func() {
		_, err := io.Copy(tmp, src)
		copied <- err
	}()
	select {
	case err = <-copied:
	case <-ctx.Done():
		err = ctx.Err() // the copy stays blocked on the pipe until the process exits
	}
	if err == nil {
		_, err = tmp.Seek(0, io.SeekStart)
	}
	if err != nil {
		closeFn()
		return nil, nil, err
	}
	return tmp, closeFn, nil
}

// maxProblems caps the problems checkInput lists.
const maxProblems = 10

// checkInput reads every operation before any is sent: two lines under
// one id, or an id (or line) that an earlier output reports for another
// operation, are mistakes to fix first, not operations to skip or lose.
// It returns how many operations this run will report, for the progress
// display, and rewinds f.
func checkInput(f *os.File, base *url.URL, sh shard, rec record, policy unknownPolicy) (total int64, err error) {
	var problems []string
	more := 0
	problem := func(format string, args ...any) {
		if len(problems) < maxProblems {
			problems = append(problems, fmt.Sprintf(format, args...))
		} else {
			more++
		}
	}
	seen := map[string]int{} // key -> first line
	r := newOpReader(f, base)
	for {
		o, err := r.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, err
		}
		k := o.key()
		if first, dup := seen[k]; dup {
			problem("lines %d and %d: two operations with %s: every operation needs an id of its own", first, o.line, keyText(k))
			continue
		}
		seen[k] = o.line
		if prev := rec[k]; prev != nil && prev.hash != "" && prev.hash != o.hash {
			problem("line %d: %s reports another operation under %s: the input changed since; give a changed operation a new id", o.line, prev.where, keyText(k))
			continue
		}
		if !sh.ownsOp(o) {
			continue
		}
		if act, _ := decide(o, rec, policy); act != actSkipDone {
			total++
		}
	}
	if len(problems) > 0 {
		if more > 0 {
			problems = append(problems, fmt.Sprintf("and %d more", more))
		}
		return 0, fmt.Errorf("nothing was sent:\n  %s", strings.Join(problems, "\n  "))
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return 0, err
	}
	return total, nil
}
