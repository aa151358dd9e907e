// Command ifmatch-mockserver runs the ifmatch mock document server on its
// own: JSON documents with ETags or version fields, conflicts, and faults
// switchable at run time. Run it with -h for the flags and examples.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr, nil)
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp):
		// -h: the usage text is already out
	case errors.Is(err, errUsage):
		// the flag package has already said what is wrong
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "ifmatch-mockserver:", err)
		os.Exit(1)
	}
}
