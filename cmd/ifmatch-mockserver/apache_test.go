package main

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ifmatch/ifmatch/mockserver"
)

func TestApacheFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want mockserver.Options // the Apache fields only
	}{
		{"none", nil, mockserver.Options{}},
		{"each", []string{"-weak-window", "2s", "-no-write-etag", "-non-atomic-check", "3ms"},
			mockserver.Options{WeakWindow: 2 * time.Second, NoWriteETag: true, NonAtomicCheck: 3 * time.Millisecond}},
		{"apache", []string{"-apache"}, mockserver.ApacheOptions()},
		{"apache with a window of its own", []string{"-apache", "-weak-window", "200ms"},
			mockserver.Options{WeakWindow: 200 * time.Millisecond, NoWriteETag: true, NonAtomicCheck: time.Millisecond}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseFlags(tt.args, io.Discard)
			if err != nil {
				t.Fatalf("parseFlags(%q): %v", tt.args, err)
			}
			got := mockserver.Options{WeakWindow: c.opts.WeakWindow, NoWriteETag: c.opts.NoWriteETag, NonAtomicCheck: c.opts.NonAtomicCheck}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("options = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestApacheFlagsErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"with weak-etags", []string{"-apache", "-weak-etags"}, "exclude each other"},
		{"negative window", []string{"-weak-window", "-1s"}, "WeakWindow -1s is negative"},
		{"negative gap", []string{"-non-atomic-check", "-1ms"}, "NonAtomicCheck -1ms is negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			if _, err := parseFlags(tt.args, &out); !errors.Is(err, errUsage) {
				t.Errorf("parseFlags(%q) error = %v, want errUsage", tt.args, err)
			}
			if !strings.Contains(out.String(), tt.want) {
				t.Errorf("output %q lacks %q", out.String(), tt.want)
			}
		})
	}
}
