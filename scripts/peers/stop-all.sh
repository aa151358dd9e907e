#!/usr/bin/env bash
# Stops the servers that start-all.sh started (by their PID files). Safe to
# run when they are not running.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
rc=0
"$here/lighttpd-webdav.sh" stop || rc=1
"$here/pouchdb-server.sh" stop || rc=1
"$here/apache-webdav.sh" stop || rc=1
"$here/odata.sh" stop || rc=1
exit $rc
