#!/usr/bin/env bash
# pouchdb-server 4.2.0 (the CouchDB HTTP API in Node, from npm) on 127.0.0.1,
# no auth (admin party). The version is _rev in the body or ?rev=; a stale
# write is 409; If-Match is ignored. A database "occ" is created.
# Adapted from ../shared/peers/pouchdb-server.sh.
#
#   scripts/peers/pouchdb-server.sh        install if missing, start, print POUCHDB_URL=...
#   scripts/peers/pouchdb-server.sh stop   stop the server this script started
#
# Idempotent: a server of ours already answering is reused and its URL printed.
# Only the URL line goes to stdout. Overrides: POUCHDB_PORT, POUCHDB_DIR.
# --ignore-scripts skips compiling the optional sqlite3 addon (3.5 min -> ~30 s);
# the default leveldb adapter ships prebuilds.
set -euo pipefail
PORT=${POUCHDB_PORT:-5984}
DIR=${POUCHDB_DIR:-/tmp/peers-ci/pouchdb}
URL="http://127.0.0.1:$PORT"
PIDFILE="$DIR/pouchdb.pid"
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [ "${1:-}" = stop ]; then
  stop_pidfile "$PIDFILE" pouchdb-server node
  exit 0
fi

need_curl
command -v npm >/dev/null || die "npm is needed (Node.js 18 or later)"
# answering reports whether pouchdb-server (not some other server) answers.
answering() { curl -sf --max-time 2 "$URL/" 2>/dev/null | grep -q '"express-pouchdb"'; }
create_db() {
  local code
  code=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' -X PUT "$URL/occ")
  case $code in 201|412) ;; *) die "creating database occ: HTTP $code";; esac
}

if alive "$PIDFILE" node && answering; then
  create_db
  log "pouchdb-server already running (pid $(cat "$PIDFILE")) at $URL"
  echo "POUCHDB_URL=$URL/occ"
  exit 0
fi
if curl -s --max-time 2 -o /dev/null "$URL/" 2>/dev/null; then
  die "port $PORT is taken by another server; set POUCHDB_PORT"
fi

mkdir -p "$DIR/data" "$DIR/npm"
if [ ! -x "$DIR/npm/node_modules/.bin/pouchdb-server" ]; then
  log "npm install pouchdb-server@4.2.0"
  (cd "$DIR/npm" && npm install --no-audit --no-fund --silent --ignore-scripts pouchdb-server@4.2.0 </dev/null >&2)
fi
cd "$DIR"   # it writes log.txt / config.json into cwd unless told otherwise
nohup "$DIR/npm/node_modules/.bin/pouchdb-server" --host 127.0.0.1 --port "$PORT" \
  --dir "$DIR/data" --config "$DIR/config.json" -n </dev/null >"$DIR/pouchdb.log" 2>&1 &
echo $! >"$PIDFILE"
for _ in $(seq 300); do answering && break; alive "$PIDFILE" || break; sleep 0.1; done
answering || { log "pouchdb-server not ready at $URL"; cat "$DIR/pouchdb.log" >&2 || true; exit 1; }
create_db
log "pouchdb-server started (pid $(cat "$PIDFILE")) at $URL; stop: $0 stop"
echo "POUCHDB_URL=$URL/occ"
