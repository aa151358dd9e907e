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
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"github.com/ifmatch/ifmatch/mockserver"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

var (
	binOnce sync.Once
	binDir  string // holds the binary built for the tests; removed by TestMain
	binPath string
	binErr  error
)

// ifmatchBinary builds the command once for the tests that run it as a
// process (signals, shards), and returns its path.
func ifmatchBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	binOnce.Do(func() {
		if binDir, binErr = os.MkdirTemp("", "ifmatch-test-"); binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "ifmatch")
		if runtime.GOOS == "windows" {
			binPath += ".exe"
		}
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// newServer starts a mock server for one test.
func newServer(t *testing.T, opts mockserver.Options) *mockserver.Server {
	t.Helper()
	srv := mockserver.New(opts)
	t.Cleanup(srv.Close)
	return srv
}

// invoke runs the command line in-process.
func invoke(t *testing.T, ctx context.Context, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(ctx, args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

// parseResults decodes apply's output; every line must be a result.
func parseResults(t *testing.T, out string) []result {
	t.Helper()
	var rs []result
	for line := range strings.Lines(out) {
		var r result
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("output line %q: %v", line, err)
		}
		rs = append(rs, r)
	}
	return rs
}

// appendOp is an operation that appends its id to /ops of a document, so
// that the document tells how many times it was applied.
func appendOp(id, url string) string {
	return fmt.Sprintf(`{"id":%q,"url":%q,"patch":[{"op":"add","path":"/ops/-","value":%q}]}`, id, url, id)
}

// opsIn returns how many times each id appears in the /ops arrays of the
// documents at paths.
func opsIn(t *testing.T, srv *mockserver.Server, paths []string) map[string]int {
	t.Helper()
	n := map[string]int{}
	for _, p := range paths {
		doc, _, ok := srv.Doc(p)
		if !ok {
			t.Fatalf("document %s is gone", p)
		}
		var d struct{ Ops []string }
		if err := json.Unmarshal(doc, &d); err != nil {
			t.Fatalf("document %s: %v", p, err)
		}
		for _, id := range d.Ops {
			n[id]++
		}
	}
	return n
}

// checkLedger checks every operation's reports, over one or more runs,
// against how many times the documents show it applied:
//
//   - acknowledged <= committed: an op reported ok n times is there at
//     least n times (a lost answer is never reported ok);
//   - committed <= acknowledged + unknown: every application is accounted
//     for by an ok or unknown report (nothing committed goes unreported,
//     nothing reported failed was written).
//
// It returns the totals of ok, failed and unknown reports.
func checkLedger(t *testing.T, ids []string, runs [][]result, applied map[string]int) (ok, failed, unknown int) {
	t.Helper()
	type tally struct{ ok, failed, unknown int }
	reports := map[string]*tally{}
	for _, id := range ids {
		reports[id] = &tally{}
	}
	for i, rs := range runs {
		seen := map[string]bool{}
		for _, r := range rs {
			var id string
			if err := json.Unmarshal(r.ID, &id); err != nil {
				t.Fatalf("run %d: result without a string id: %+v", i, r)
			}
			if seen[id] {
				t.Errorf("run %d: %s reported twice", i, id)
			}
			seen[id] = true
			tl, known := reports[id]
			if !known {
				t.Fatalf("run %d: report of an unknown operation %q", i, id)
			}
			switch r.Status {
			case statusOK:
				tl.ok++
			case statusFailed:
				tl.failed++
			case statusUnknown:
				tl.unknown++
			default:
				t.Errorf("run %d: %s: status %q", i, id, r.Status)
			}
		}
	}
	for id, tl := range reports {
		n := applied[id]
		if tl.ok > n {
			t.Errorf("%s: reported ok %d times, applied %d times", id, tl.ok, n)
		}
		if n > tl.ok+tl.unknown {
			t.Errorf("%s: applied %d times, reported ok %d and unknown %d times", id, n, tl.ok, tl.unknown)
		}
		ok, failed, unknown = ok+tl.ok, failed+tl.failed, unknown+tl.unknown
	}
	for id := range applied {
		if _, known := reports[id]; !known {
			t.Errorf("%s applied but not an operation of the test", id)
		}
	}
	return ok, failed, unknown
}

// sorted returns a sorted copy.
func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func jsonEqualText(t *testing.T, a, b string) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal([]byte(a), &x); err != nil {
		t.Fatalf("%s: %v", a, err)
	}
	if err := json.Unmarshal([]byte(b), &y); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return reflect.DeepEqual(x, y)
}

// exitCode is a finished command's exit status.
func exitCode(t *testing.T, err error) int {
	t.Helper()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.ExitCode()
	}
	t.Fatalf("running the binary: %v", err)
	return -1
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	return s[strings.LastIndex(s, "\n")+1:]
}
