package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/ifmatch/ifmatch/mockserver"
)

// With answers dropped after commit, a lost answer is reported unknown,
// never ok; a failure is never written; and every commit is accounted for
// by an ok or unknown report: acknowledged <= committed <= acknowledged +
// unknown, checked per operation.
func TestApplyDroppedAnswers(t *testing.T) {
	tests := []struct {
		name        string
		server      mockserver.Options
		args        []string
		wantUnknown bool
	}{
		{"group commit", mockserver.Options{}, nil, true},
		{"one write per operation", mockserver.Options{}, []string{"-no-group-commit"}, true},
		{"idempotency keys settle them", mockserver.Options{Idempotency: true}, []string{"-idempotency-keys"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.server.Seed = 7
			srv := newServer(t, tt.server)
			var paths, ids, lines []string
			for d := range 20 {
				p := fmt.Sprintf("/f/%d", d)
				if _, err := srv.SetDoc(p, []byte(`{"ops":[]}`)); err != nil {
					t.Fatal(err)
				}
				paths = append(paths, p)
			}
			for i := range 300 {
				id := fmt.Sprintf("op%d", i)
				ids = append(ids, id)
				lines = append(lines, appendOp(id, srv.URL+paths[i%len(paths)]))
			}
			srv.SetFaults(mockserver.Faults{DropRate: 0.15})
			args := append([]string{"apply", "-concurrency", "8", "-retry-wait-min", "1ms", "-retry-wait-max", "5ms"}, tt.args...)
			code, out, errOut := invoke(t, context.Background(), strings.Join(lines, "\n"), args...)
			srv.SetFaults(mockserver.Faults{})

			results := parseResults(t, out)
			if len(results) != len(ids) {
				t.Errorf("%d results, want %d", len(results), len(ids))
			}
			ok, failed, unknown := checkLedger(t, ids, [][]result{results}, opsIn(t, srv, paths))
			st := srv.Stats()
			t.Logf("ok %d, failed %d, unknown %d; server: %d commits, %d answers dropped", ok, failed, unknown, st.Commits, st.Faults.Drops)
			if st.Faults.Drops == 0 {
				t.Fatal("no answer was dropped: the test proves nothing")
			}
			if slices.Contains(tt.args, "-no-group-commit") {
				// One operation per write: the server's commit count is the
				// number of operations applied.
				if int64(ok) > st.Commits || st.Commits > int64(ok+unknown) {
					t.Errorf("commits %d, want between ok %d and ok+unknown %d", st.Commits, ok, ok+unknown)
				}
			}
			wantCode := exitOK
			if tt.wantUnknown {
				wantCode = exitUnknown
				if unknown == 0 {
					t.Errorf("no operation reported unknown, with %d answers dropped", st.Faults.Drops)
				}
			} else if unknown != 0 || failed != 0 {
				t.Errorf("failed %d, unknown %d, want none", failed, unknown)
			}
			if code != wantCode {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, wantCode, errOut)
			}
		})
	}
}
