#!/usr/bin/env bash
# An OData V4 service: SAP CAP (@sap/cds 9, Node.js, from npm) with an
# in-memory SQLite database (sql.js, WebAssembly: nothing to compile), on
# 127.0.0.1, no auth. One entity set, Counters (key ID, a string; n, an
# integer; note, a string), with CAP's managed fields (createdAt/By,
# modifiedAt/By) and modifiedAt as its ETag: W/"2026-12-02T05:31:02.175Z".
# Writes without If-Match get 428, a stale one 412; PATCH takes a merge
# patch as application/json only (415 otherwise); a PUT keeps the
# properties it omits; writes answer 200 (201 on create) with the entity.
#
#   scripts/peers/odata.sh        install if missing, start, print ODATA_URL=...
#   scripts/peers/odata.sh stop   stop the server this script started
#
# ODATA_URL is the entity set: $ODATA_URL('some-id') is one entity, created
# by a PUT. Idempotent: a server of ours already answering is reused. Only
# the URL line goes to stdout. Overrides: ODATA_PORT, ODATA_DIR.
# --ignore-scripts skips building better-sqlite3 (a native addon that
# @cap-js/sqlite depends on); the service is told to use sql.js instead.
set -euo pipefail
PORT=${ODATA_PORT:-4004}
DIR=${ODATA_DIR:-/tmp/peers-ci/odata}
URL="http://127.0.0.1:$PORT"
SET="$URL/odata/v4/occ/Counters"
PIDFILE="$DIR/cds.pid"
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [ "${1:-}" = stop ]; then
  stop_pidfile "$PIDFILE" "OData service (CAP)" node
  exit 0
fi

need_curl
command -v npm >/dev/null || die "npm is needed (Node.js 20 or later)"
# answering reports whether our OData service (not another server) answers.
answering() { curl -sf --max-time 2 "$SET" 2>/dev/null | grep -q '"@odata.context":"\$metadata#Counters"'; }

if alive "$PIDFILE" node && answering; then
  log "OData service already running (pid $(cat "$PIDFILE")) at $URL"
  echo "ODATA_URL=$SET"
  exit 0
fi
if curl -s --max-time 2 -o /dev/null "$URL/" 2>/dev/null; then
  die "port $PORT is taken by another server; set ODATA_PORT"
fi

mkdir -p "$DIR/db" "$DIR/srv"
cat >"$DIR/package.json" <<'JSON'
{
  "name": "ifmatch-odata-peer",
  "private": true,
  "dependencies": {
    "@sap/cds": "9.9.3",
    "@cap-js/sqlite": "2.4.2",
    "sql.js": "1.17.0",
    "express": "4.22.3"
  },
  "cds": {
    "requires": {
      "db": { "kind": "sqlite", "credentials": { "url": ":memory:", "driver": "sql.js" } },
      "auth": { "kind": "mocked" }
    }
  }
}
JSON
cat >"$DIR/db/schema.cds" <<'CDS'
namespace occ;
using { managed } from '@sap/cds/common';
entity Counters : managed {
  key ID : String(200);
  n      : Integer;
  note   : String;
}
annotate Counters with { modifiedAt @odata.etag; }
CDS
cat >"$DIR/srv/service.cds" <<'CDS'
using { occ } from '../db/schema';
service OccService @(path: '/odata/v4/occ') {
  entity Counters as projection on occ.Counters;
}
CDS
# cds serve listens on every interface; this server.js makes it 127.0.0.1.
cat >"$DIR/server.js" <<'JS'
const http = require('http')
const listen = http.Server.prototype.listen
http.Server.prototype.listen = function (port, ...rest) {
  if (typeof port === 'number' || typeof port === 'string') {
    return listen.call(this, port, '127.0.0.1', ...rest.filter(a => typeof a === 'function'))
  }
  return listen.call(this, port, ...rest)
}
module.exports = require('@sap/cds').server
JS
if [ ! -x "$DIR/node_modules/.bin/cds-serve" ]; then
  log "npm install @sap/cds@9.9.3 @cap-js/sqlite@2.4.2 sql.js@1.17.0 express@4.22.3"
  (cd "$DIR" && npm install --no-audit --no-fund --silent --ignore-scripts </dev/null >&2)
fi
cd "$DIR"
nohup "$DIR/node_modules/.bin/cds-serve" --port "$PORT" </dev/null >"$DIR/cds.log" 2>&1 &
echo $! >"$PIDFILE"
for _ in $(seq 300); do answering && break; alive "$PIDFILE" || break; sleep 0.1; done
answering || { log "OData service not ready at $URL"; cat "$DIR/cds.log" >&2 || true; exit 1; }
log "OData service (SAP CAP) started (pid $(cat "$PIDFILE")) at $URL; stop: $0 stop"
echo "ODATA_URL=$SET"
