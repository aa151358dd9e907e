#!/usr/bin/env bash
# Apache httpd 2.4 + mod_dav/mod_dav_fs (Debian bookworm, package apache2) on
# 127.0.0.1, no auth, DAV on one directory, run as www-data. What clients meet:
# for about a second after a write GET gives the ETag weak (W/"..."), and
# If-Match compares strongly, so nothing matches until it turns strong again;
# PUT answers carry no ETag; the If-Match check is not atomic with the write.
#
#   scripts/peers/apache-webdav.sh        install if missing, start, print APACHE_URL=...
#   scripts/peers/apache-webdav.sh stop   stop the server this script started
#
# Idempotent: a server of ours already answering is reused and its URL printed.
# Only the URL line goes to stdout. Overrides: APACHE_PORT, APACHE_DIR.
# The Debian service (port 80, /etc/apache2) is neither used nor started.
set -euo pipefail
PORT=${APACHE_PORT:-8085}
DIR=${APACHE_DIR:-/tmp/peers-ci/apache}
URL="http://127.0.0.1:$PORT"
PIDFILE="$DIR/run/apache2.pid"
MODS=/usr/lib/apache2/modules
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [ "${1:-}" = stop ]; then
  stop_pidfile "$PIDFILE" apache2 apache2
  exit 0
fi

need_curl
# answering reports whether an Apache httpd answers on the port (the Server
# header says who answered).
answering() { curl -s --max-time 2 -o /dev/null -D - "$URL/" 2>/dev/null | tr -d '\r' | grep -qi '^server: apache'; }

if alive "$PIDFILE" apache2 && answering; then
  log "apache2 already running (pid $(cat "$PIDFILE")) at $URL"
  echo "APACHE_URL=$URL/dav"
  exit 0
fi
if curl -s --max-time 2 -o /dev/null "$URL/" 2>/dev/null; then
  die "port $PORT is taken by another server; set APACHE_PORT"
fi

if ! command -v apache2 >/dev/null || [ ! -e "$MODS/mod_dav_fs.so" ]; then
  # Debian's postinst may try to start the service: forbid it (policy-rc.d)
  # while installing, so that only our instance runs.
  policy=/usr/sbin/policy-rc.d
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" >/dev/null
    as_root chmod 755 "$policy"
    trap 'as_root rm -f "$policy"' EXIT
  fi
  apt_install apache2
fi
as_root mkdir -p "$DIR"/{dav,run,logs,lock}
as_root chown -R www-data:www-data "$DIR"/dav "$DIR"/run "$DIR"/logs "$DIR"/lock
as_root tee "$DIR/httpd.conf" >/dev/null <<CONF
# Written by scripts/peers/apache-webdav.sh; standalone (not /etc/apache2).
ServerRoot "$DIR"
ServerName 127.0.0.1
Listen 127.0.0.1:$PORT
PidFile "$PIDFILE"
DefaultRuntimeDir "$DIR/run"
Mutex file:$DIR/run default
ErrorLog "$DIR/logs/error.log"
LogLevel warn
LoadModule mpm_event_module $MODS/mod_mpm_event.so
LoadModule authz_core_module $MODS/mod_authz_core.so
LoadModule mime_module $MODS/mod_mime.so
LoadModule dav_module $MODS/mod_dav.so
LoadModule dav_fs_module $MODS/mod_dav_fs.so
TypesConfig /etc/mime.types
AddType application/json .json
KeepAlive On
MaxKeepAliveRequests 0
DavLockDB "$DIR/lock/DavLock"
DocumentRoot "$DIR/dav"
<Directory />
  Require all denied
</Directory>
<Directory "$DIR/dav">
  Dav On
  Require all granted
</Directory>
CONF
rm -f "$PIDFILE"
as_root mkdir -p "$DIR/dav/dav"
as_root chown www-data:www-data "$DIR/dav/dav"
# Started as www-data, so that no process of it runs as root; it daemonizes
# and writes its PID to $PIDFILE. Keep our stdout free.
if [ "$(id -u)" -eq 0 ]; then
  runuser -u www-data -- apache2 -f "$DIR/httpd.conf" -k start </dev/null >&2
else
  sudo -n -u www-data apache2 -f "$DIR/httpd.conf" -k start </dev/null >&2
fi
for _ in $(seq 100); do answering && break; sleep 0.1; done
answering || { log "apache2 not ready at $URL"; cat "$DIR/logs/error.log" >&2 || true; exit 1; }
log "apache2 started (pid $(cat "$PIDFILE")) at $URL; stop: $0 stop"
echo "APACHE_URL=$URL/dav"
