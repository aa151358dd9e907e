package main

import (
	"bufio"
	"encoding/json"
	"os"
)

// doneSet is what an earlier run's output reports committed: keys of
// operations (see op.key) whose status is ok.
type doneSet map[string]bool

// loadDone reads an earlier run's output. Lines that are not results (a
// last line cut by a hard kill, progress text mixed in) are skipped and
// counted, never fatal: at worst their operation runs again. unknown
// counts the operations reported unknown and never ok; with skipUnknown
// they are in the set too, so that they do not run again.
func loadDone(name string, skipUnknown bool) (done doneSet, skipped, unknown int, err error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, 0, 0, err
	}
	defer f.Close()
	done = doneSet{}
	unsure := map[string]bool{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	for sc.Scan() {
		var r result
		if json.Unmarshal(sc.Bytes(), &r) != nil || r.Status == "" || r.Line <= 0 {
			skipped++
			continue
		}
		k := resultKey(r)
		switch r.Status {
		case statusOK:
			done[k] = true
		case statusUnknown:
			unsure[k] = true
		}
	}
	if err := sc.Err(); err != nil {
		return nil, 0, 0, err
	}
	for k := range unsure {
		if !done[k] {
			unknown++
			if skipUnknown {
				done[k] = true
			}
		}
	}
	return done, skipped, unknown, nil
}

// resultKey is op.key for a result line.
func resultKey(r result) string { return opKey(r.ID, r.Line) }
