#!/usr/bin/env bash
# Starts (installing if missing) the real servers the integration tests use,
# on 127.0.0.1, and prints their URLs as shell assignments:
#
#   eval "$(scripts/peers/start-all.sh)"   # sets LIGHTTPD_URL, POUCHDB_URL, APACHE_URL and ODATA_URL
#   go test -race -count=1 ./integration/...
#   scripts/peers/stop-all.sh
#
# Servers already running are reused. Progress goes to stderr.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
lighttpd=$("$here/lighttpd-webdav.sh")
pouchdb=$("$here/pouchdb-server.sh")
apache=$("$here/apache-webdav.sh")
odata=$("$here/odata.sh")
for line in "$lighttpd" "$pouchdb" "$apache" "$odata"; do
  name=${line%%=*} value=${line#*=}
  case $name in LIGHTTPD_URL|POUCHDB_URL|APACHE_URL|ODATA_URL) ;; *) echo "start-all.sh: unexpected output: $line" >&2; exit 1;; esac
  printf 'export %s=%q\n' "$name" "$value"
done
