#!/usr/bin/env bash
# lighttpd + mod_webdav (Debian bookworm) on 127.0.0.1, no auth: strong ETags,
# If-Match / If-None-Match honoured on PUT and DELETE (412), PATCH is 501.
# Adapted from ../shared/peers/lighttpd-webdav.sh.
#
#   scripts/peers/lighttpd-webdav.sh        install if missing, start, print LIGHTTPD_URL=...
#   scripts/peers/lighttpd-webdav.sh stop   stop the server this script started
#
# Idempotent: a server of ours already answering is reused and its URL printed.
# Only the URL line goes to stdout. Overrides: LIGHTTPD_PORT, LIGHTTPD_DIR.
set -euo pipefail
PORT=${LIGHTTPD_PORT:-8084}
DIR=${LIGHTTPD_DIR:-/tmp/peers-ci/lighttpd}
URL="http://127.0.0.1:$PORT"
PIDFILE="$DIR/lighttpd.pid"
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [ "${1:-}" = stop ]; then
  stop_pidfile "$PIDFILE" lighttpd lighttpd
  exit 0
fi

need_curl
# answering reports whether a lighttpd answers on the port (the root of the
# WebDAV tree may be 403 or 404; the Server header says who answered).
answering() { curl -s --max-time 2 -o /dev/null -D - "$URL/" 2>/dev/null | tr -d '\r' | grep -qi '^server: lighttpd'; }

if alive "$PIDFILE" lighttpd && answering; then
  log "lighttpd already running (pid $(cat "$PIDFILE")) at $URL"
  echo "LIGHTTPD_URL=$URL"
  exit 0
fi
if curl -s --max-time 2 -o /dev/null "$URL/" 2>/dev/null; then
  die "port $PORT is taken by another server; set LIGHTTPD_PORT"
fi

if ! command -v lighttpd >/dev/null || [ ! -e /usr/lib/lighttpd/mod_webdav.so ]; then
  apt_install lighttpd lighttpd-mod-webdav
fi
as_root mkdir -p "$DIR"/{dav,tmp,logs,db}
as_root chown -R www-data:www-data "$DIR"/dav "$DIR"/tmp "$DIR"/logs "$DIR"/db
as_root tee "$DIR/lighttpd.conf" >/dev/null <<CONF
server.modules = ( "mod_webdav" )
server.document-root = "$DIR/dav"
server.bind = "127.0.0.1"
server.port = $PORT
server.pid-file = "$PIDFILE"
server.errorlog = "$DIR/logs/error.log"
server.username = "www-data"
server.groupname = "www-data"
server.upload-dirs = ( "$DIR/tmp" )
mimetype.assign = ( ".json" => "application/json" )
webdav.activate = "enable"
webdav.is-readonly = "disable"
webdav.sqlite-db-name = "$DIR/db/webdav.db"   # enables LOCK/UNLOCK (without it LOCK is a 500)
CONF
rm -f "$PIDFILE"
# lighttpd daemonizes and writes its PID to $PIDFILE; keep our stdout free.
as_root lighttpd -f "$DIR/lighttpd.conf" </dev/null >&2
for _ in $(seq 100); do answering && break; sleep 0.1; done
answering || { log "lighttpd not ready at $URL"; cat "$DIR/logs/error.log" >&2 || true; exit 1; }
log "lighttpd started (pid $(cat "$PIDFILE")) at $URL; stop: $0 stop"
echo "LIGHTTPD_URL=$URL"
