package ifmatch_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ifmatch/ifmatch"
	"github.com/ifmatch/ifmatch/mockserver"
)

// conformanceCase is one record of the JSON Patch test suite
// (testdata/conformance/README.md); the merge patch examples use the same
// format.
type conformanceCase struct {
	Comment  string          `json:"comment"`
	Doc      json.RawMessage `json:"doc"`
	Patch    json.RawMessage `json:"patch"`
	Expected json.RawMessage `json:"expected"`
	Error    string          `json:"error"`
	Disabled bool            `json:"disabled"`
}

// loadConformance returns the enabled cases of a suite file, and fails the
// test if there are fewer than want: a truncated file must not pass.
func loadConformance(t *testing.T, file string, want int) []conformanceCase {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "conformance", file))
	if err != nil {
		t.Fatal(err)
	}
	var all []map[string]json.RawMessage
	if err := json.Unmarshal(data, &all); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	var cases []conformanceCase
	for i, raw := range all {
		if _, ok := raw["patch"]; !ok {
			continue // a comment-only record
		}
		b, _ := json.Marshal(raw)
		var c conformanceCase
		if err := json.Unmarshal(b, &c); err != nil {
			t.Fatalf("%s record %d: %v", file, i, err)
		}
		if c.Disabled {
			continue
		}
		if c.Expected == nil && c.Error == "" {
			// "expected" may be absent when the patch changes nothing
			c.Expected = c.Doc
		}
		cases = append(cases, c)
	}
	if len(cases) != want {
		t.Fatalf("%s: %d enabled cases, want %d", file, len(cases), want)
	}
	return cases
}

var patchStrategies = []struct {
	name     string
	strategy ifmatch.PatchStrategy
}{
	{"ApplyLocally", ifmatch.ApplyLocally},
	{"SendPatch", ifmatch.SendPatch},
}

// TestJSONPatchConformance runs the JSON Patch test suite through
// Client.Patch: with ApplyLocally the SDK applies each patch and PUTs the
// document, with SendPatch the mock server applies it.
func TestJSONPatchConformance(t *testing.T) {
	suites := []struct {
		file  string
		cases int
	}{
		{"tests.json", 92},
		{"spec_tests.json", 16},
	}
	for _, s := range patchStrategies {
		t.Run(s.name, func(t *testing.T) {
			for _, suite := range suites {
				cases := loadConformance(t, suite.file, suite.cases)
				t.Run(strings.TrimSuffix(suite.file, ".json"), func(t *testing.T) {
					runConformance(t, s.strategy, cases, (*ifmatch.Client).Patch)
				})
			}
		})
	}
}

// TestMergePatchConformance runs the examples of RFC 7396 Appendix A
// through Client.MergePatch under both strategies.
func TestMergePatchConformance(t *testing.T) {
	cases := loadConformance(t, "merge_patch_tests.json", 15)
	for _, s := range patchStrategies {
		t.Run(s.name, func(t *testing.T) {
			runConformance(t, s.strategy, cases, (*ifmatch.Client).MergePatch)
		})
	}
}

type patchMethod func(c *ifmatch.Client, ctx context.Context, url string, patch []byte, opts ...ifmatch.CallOption) (*ifmatch.Response, error)

func runConformance(t *testing.T, strategy ifmatch.PatchStrategy, cases []conformanceCase, patch patchMethod) {
	srv := mockserver.New(mockserver.Options{})
	t.Cleanup(srv.Close)
	c := ifmatch.New(&ifmatch.Options{HTTPClient: srv.Client(), PatchStrategy: strategy, MaxAttempts: 3})
	t.Cleanup(c.CloseIdleConnections)
	for i, tc := range cases {
		t.Run(fmt.Sprintf("%03d %s", i, tc.Comment), func(t *testing.T) {
			path := fmt.Sprintf("/doc/%d", i)
			if _, err := srv.SetDoc(path, tc.Doc); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			resp, err := patch(c, ctx, srv.URL+path, tc.Patch)
			stored, _, _ := srv.Doc(path)
			if tc.Error != "" {
				if !isPatchRejection(err) {
					t.Fatalf("err = %v, want a rejection (%s); document now %s", err, tc.Error, stored)
				}
				if !sameJSON(t, stored, tc.Doc) {
					t.Errorf("document after the rejected patch = %s, want it unchanged: %s", stored, tc.Doc)
				}
				return
			}
			if err != nil {
				t.Fatalf("err = %v, want the document %s", err, tc.Expected)
			}
			if !sameJSON(t, stored, tc.Expected) {
				t.Errorf("stored document = %s, want %s", stored, tc.Expected)
			}
			if len(resp.Body) > 0 && !sameJSON(t, resp.Body, tc.Expected) {
				t.Errorf("response body = %s, want %s", resp.Body, tc.Expected)
			}
		})
	}
}

// isPatchRejection reports whether err is how the SDK refuses a patch: an
// invalid change or a failed test found by the SDK, or the server's 4xx.
func isPatchRejection(err error) bool {
	var re *ifmatch.ResponseError
	switch {
	case err == nil:
		return false
	case errors.Is(err, ifmatch.ErrInvalidChange), errors.Is(err, ifmatch.ErrTestFailed):
		return true
	case errors.As(err, &re):
		return re.StatusCode >= 400 && re.StatusCode < 500
	}
	return false
}

// sameJSON compares two JSON texts as values: key order and spacing aside.
func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	var va, vb any
	if err := json.Unmarshal(a, &va); err != nil {
		t.Fatalf("%s: %v", a, err)
	}
	if err := json.Unmarshal(b, &vb); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return reflect.DeepEqual(va, vb)
}
