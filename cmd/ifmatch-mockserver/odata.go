package main

import (
	"flag"
	"strings"

	"github.com/ifmatch/ifmatch/mockserver"
)

// odataFlags registers the flags of the OData V4 modes on fs. The returned
// function, called after parsing, applies -odata: every mode as
// mockserver.ODataOptions sets it, with -managed-fields if given.
func odataFlags(fs *flag.FlagSet, o *mockserver.Options) (apply func()) {
	fs.BoolVar(&o.TimestampETags, "timestamp-etags", false, `make each ETag its commit time ("2026-12-02T03:59:01.932000Z", W/ first with -weak-etags)`)
	fs.BoolVar(&o.ODataPatch, "odata-patch", false, "PATCH takes a merge patch as application/json; the RFC patch media types get 415")
	fs.BoolVar(&o.Annotations, "annotations", false, `answers carry "@odata.context" and "@odata.etag"; annotations sent in writes are not stored`)
	fs.BoolVar(&o.PutKeepsOmitted, "put-keeps-omitted", false, "a PUT keeps the stored top-level fields it omits")
	managed := fs.String("managed-fields", "", "comma-separated top-level `fields` the server sets to the commit time on every write (with -odata: ModifiedAt)")
	odata := fs.Bool("odata", false, "behave as an OData V4 service (SAP CAP): -require-if-match -weak-etags -timestamp-etags -odata-patch -annotations -put-keeps-omitted -managed-fields ModifiedAt")
	return func() {
		if *managed != "" {
			o.ManagedFields = strings.Split(*managed, ",")
		}
		if !*odata {
			return
		}
		d := mockserver.ODataOptions()
		o.RequireIfMatch, o.WeakETags, o.TimestampETags = true, true, true
		o.ODataPatch, o.Annotations, o.PutKeepsOmitted = true, true, true
		if *managed == "" {
			o.ManagedFields = d.ManagedFields
		}
	}
}
