// Package integration tests ifmatch against real servers that nobody here
// wrote, running on 127.0.0.1: lighttpd with mod_webdav (ETags and
// If-Match) and pouchdb-server (the CouchDB API, a version field "_rev"),
// an OData V4 service (SAP CAP: weak ETags, 428 without If-Match, merge
// patches as application/json, a stored entity that differs from the one
// sent), plus mockserver in the mode where it ignores If-Match.
//
// The tests find the servers through LIGHTTPD_URL, POUCHDB_URL, APACHE_URL
// and ODATA_URL:
//
//	eval "$(scripts/peers/start-all.sh)"
//	go test -race -count=1 ./integration/...
//	scripts/peers/stop-all.sh
//
// Without them the tests skip, except under CI=true, where they fail.
// The package holds tests only.
package integration
