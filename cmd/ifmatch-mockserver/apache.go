package main

import (
	"flag"

	"github.com/ifmatch/ifmatch/mockserver"
)

// apacheFlags registers the flags of the Apache httpd modes on fs. The
// returned function, called after parsing, applies -apache: the three modes
// as mockserver.ApacheOptions sets them, unless given on their own.
func apacheFlags(fs *flag.FlagSet, o *mockserver.Options) (apply func()) {
	fs.DurationVar(&o.WeakWindow, "weak-window", 0, `for this long after each write, GET gives the ETag weak (W/"7"); If-Match compares strongly`)
	fs.BoolVar(&o.NoWriteETag, "no-write-etag", false, "answer successful writes without ETag or body (200 becomes 204)")
	fs.DurationVar(&o.NonAtomicCheck, "non-atomic-check", 0, "let other requests in for this long between a write's If-Match check and its commit (lost updates)")
	apache := fs.Bool("apache", false, "behave as Apache httpd with mod_dav: -weak-window 1s -no-write-etag -non-atomic-check 1ms")
	return func() {
		if !*apache {
			return
		}
		a := mockserver.ApacheOptions()
		if o.WeakWindow == 0 {
			o.WeakWindow = a.WeakWindow
		}
		if o.NonAtomicCheck == 0 {
			o.NonAtomicCheck = a.NonAtomicCheck
		}
		o.NoWriteETag = true
	}
}
