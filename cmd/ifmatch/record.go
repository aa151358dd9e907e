package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// record is what earlier runs' outputs (-resume) say of each operation,
// by key (see op.key).
type record map[string]*recorded

// recorded is what the outputs say of one operation.
type recorded struct {
	status string // the most telling status: ok, else unknown, else failed
	hash   string // opHash of the operation; "" in the output of an older ifmatch
	where  string // FILE:LINE of a line that reports it, for messages
}

// rank orders statuses by what they say: ok settles an operation (it
// committed), unknown leaves it open whatever came before or after, and
// failed says only that one attempt wrote nothing.
func rank(status string) int {
	switch status {
	case statusOK:
		return 2
	case statusUnknown:
		return 1
	}
	return 0
}

// recordStats counts what loadRecord passed over.
type recordStats struct {
	notResults int // lines that are not results: a line cut by a hard kill, text mixed in
	noHash     int // results without a hash, from an older ifmatch: not checked
	missing    []string
}

// loadRecord reads earlier outputs. A file that does not exist is an
// earlier run that wrote nothing yet, so that a job restarted with the
// same command line (a pod, say) picks up where it left off. Two lines
// that give one key different hashes are an error: two operations were
// run under one id.
func loadRecord(names []string) (record, recordStats, error) {
	rec := record{}
	var st recordStats
	for _, name := range names {
		f, err := os.Open(name)
		if errors.Is(err, fs.ErrNotExist) {
			st.missing = append(st.missing, name)
			continue
		}
		if err != nil {
			return nil, st, err
		}
		err = rec.read(name, f, &st)
		f.Close()
		if err != nil {
			return nil, st, err
		}
	}
	return rec, st, nil
}

func (rec record) read(name string, f *os.File, st *recordStats) error {
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	for n := 1; sc.Scan(); n++ {
		var r result
		if json.Unmarshal(sc.Bytes(), &r) != nil || r.Status == "" || r.Line <= 0 {
			st.notResults++
			continue
		}
		if r.Hash == "" {
			st.noHash++
		}
		k, where := resultKey(r), fmt.Sprintf("%s:%d", name, n)
		prev := rec[k]
		if prev == nil {
			rec[k] = &recorded{status: r.Status, hash: r.Hash, where: where}
			continue
		}
		if prev.hash != "" && r.Hash != "" && prev.hash != r.Hash {
			return fmt.Errorf("%s and %s report two different operations as %s: resume from the outputs of one input", prev.where, where, keyText(k))
		}
		if prev.hash == "" {
			prev.hash = r.Hash
		}
		if rank(r.Status) > rank(prev.status) {
			prev.status, prev.where = r.Status, where
		}
	}
	return sc.Err()
}

// resultKey is op.key for a result line.
func resultKey(r result) string { return opKey(r.ID, r.Line) }

// keyText is a key as messages show it: id "a1", or line 7.
func keyText(k string) string {
	if id, ok := strings.CutPrefix(k, "id:"); ok {
		return "id " + id
	}
	return "line " + strings.TrimPrefix(k, "line:")
}
