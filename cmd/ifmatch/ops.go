package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
)

// op is one line of apply's input.
type op struct {
	line  int             // 1-based line number in the input
	id    json.RawMessage // compacted; nil when the line has none
	url   string          // as written, resolved against -base
	patch []byte          // RFC 6902, or nil
	merge []byte          // RFC 7396, or nil
	err   error           // the line is not a valid operation
	hash  string          // what the operation is, for -resume: see opHash
}

// opLine is the wire form of an operation.
type opLine struct {
	ID    json.RawMessage `json:"id"`
	URL   string          `json:"url"`
	Patch json.RawMessage `json:"patch"`
	Merge json.RawMessage `json:"merge"`
}

// key names an operation across runs, for -resume: its id, or its line
// number when it has none.
func (o *op) key() string {
	return opKey(o.id, o.line)
}

// opKey is the key of the operation with this id (nil: none) on this
// line. The id is spelled as the output spells it (json.Marshal escapes
// <, > and &), so that an id read back from the output matches.
func opKey(id json.RawMessage, line int) string {
	if len(id) == 0 {
		return "line:" + strconv.Itoa(line)
	}
	b, err := json.Marshal(id)
	if err != nil {
		return "id:" + string(id)
	}
	return "id:" + string(b)
}

// maxLine caps one input line (an operation with its patch).
const maxLine = 16 << 20

// opReader reads operations, one JSON object a line; blank lines are
// skipped but counted.
type opReader struct {
	sc   *bufio.Scanner
	base *url.URL // nil: URLs must be absolute
	line int
}

func newOpReader(r io.Reader, base *url.URL) *opReader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	return &opReader{sc: sc, base: base}
}

// next returns the next operation, io.EOF at the end, or a read error. A
// line that is not a valid operation is returned with its err set: it is
// reported as failed, not fatal to the run.
func (r *opReader) next() (*op, error) {
	for r.sc.Scan() {
		r.line++
		b := bytes.TrimSpace(r.sc.Bytes())
		if len(b) == 0 {
			continue
		}
		return r.parse(b), nil
	}
	if err := r.sc.Err(); err != nil {
		return nil, fmt.Errorf("input line %d: %w", r.line+1, err)
	}
	return nil, io.EOF
}

func (r *opReader) parse(b []byte) *op {
	o := r.parseLine(b)
	o.hash = opHash(o, b)
	return o
}

func (r *opReader) parseLine(b []byte) *op {
	o := &op{line: r.line}
	var l opLine
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&l); err != nil {
		o.err = fmt.Errorf("line %d: not an operation: %v", r.line, err)
		return o
	}
	if dec.More() {
		o.err = fmt.Errorf("line %d: more than one JSON value", r.line)
		return o
	}
	if len(l.ID) > 0 && !bytes.Equal(l.ID, []byte("null")) {
		var buf bytes.Buffer
		_ = json.Compact(&buf, l.ID)
		o.id = buf.Bytes()
		switch o.id[0] {
		case '{', '[':
			o.err = fmt.Errorf("line %d: id must be a string or a number", r.line)
			return o
		}
	}
	o.url = l.URL
	if err := r.resolve(o); err != nil {
		o.err = fmt.Errorf("line %d: %v", r.line, err)
		return o
	}
	hasPatch, hasMerge := present(l.Patch), present(l.Merge)
	switch {
	case hasPatch == hasMerge:
		o.err = fmt.Errorf("line %d: want exactly one of \"patch\" and \"merge\"", r.line)
	case hasPatch && l.Patch[0] != '[':
		o.err = fmt.Errorf("line %d: \"patch\" must be an array of RFC 6902 operations", r.line)
	case hasPatch:
		o.patch = l.Patch
	default:
		o.merge = l.Merge
	}
	return o
}

// resolve makes o.url absolute against the base URL.
func (r *opReader) resolve(o *op) error {
	if o.url == "" {
		return errors.New(`missing "url"`)
	}
	u, err := url.Parse(o.url)
	if err != nil {
		return fmt.Errorf("bad url: %v", unwrapURLError(err))
	}
	if !u.IsAbs() {
		if r.base == nil {
			return errors.New("relative url without -base")
		}
		u = r.base.ResolveReference(u)
	}
	o.url = u.String()
	return nil
}

// opHash names what an operation does, so that -resume can tell that an
// id or line an earlier output reports is still the same operation: its
// kind, its URL as the output shows it (no credentials) and its patch,
// compacted. A line that is not an operation is named by its text.
func opHash(o *op, line []byte) string {
	var b bytes.Buffer
	switch {
	case o.err != nil:
		b.WriteString("invalid\n")
		b.Write(line)
	case o.patch != nil:
		b.WriteString("patch\n" + redact(o.url) + "\n")
		_ = json.Compact(&b, o.patch)
	default:
		b.WriteString("merge\n" + redact(o.url) + "\n")
		_ = json.Compact(&b, o.merge)
	}
	sum := sha256.Sum256(b.Bytes())
	return hex.EncodeToString(sum[:16])
}

func present(raw json.RawMessage) bool {
	return len(raw) > 0 && !bytes.Equal(raw, []byte("null"))
}

// unwrapURLError drops url.Error's quoting of the whole URL, which may
// hold credentials.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
