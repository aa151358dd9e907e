package main

import (
	"context"
	"strings"
	"testing"

	"github.com/ifmatch/ifmatch/mockserver"
)

func TestDemo(t *testing.T) {
	srv := mockserver.New(mockserver.Options{})
	t.Cleanup(srv.Close)
	var out strings.Builder
	if err := run(context.Background(), srv, &out); err != nil {
		t.Fatal(err)
	}
	want := "on a stock of 50: 50 taken, 78 out of stock, stock now 0\n"
	if !strings.HasSuffix(out.String(), want) {
		t.Errorf("output:\n%s\nwant it to end with %q", out.String(), want)
	}
}
