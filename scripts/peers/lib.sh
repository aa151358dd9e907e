# Shared by the scripts in scripts/peers; sourced, not run.
# Everything here talks on stderr: the scripts' stdout carries only NAME=URL
# lines, so that start-all.sh can be used as eval "$(scripts/peers/start-all.sh)".

log() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
die() { log "$*"; exit 1; }

# as_root runs a command as root (CI and these machines are root; sudo elsewhere).
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi
}

# apt_install installs Debian packages quietly. The package lists are updated
# first only when they are missing, and once more if the install fails (stale
# lists answer 404), so a machine that has run apt-get update is not slowed.
apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
    log "apt-get update"
    as_root apt-get update -q >&2
  fi
  log "apt-get install $*"
  if ! as_root apt-get install -y -q --no-install-recommends "$@" >&2; then
    log "apt-get install failed; updating the package lists and trying again"
    as_root apt-get update -q >&2
    as_root apt-get install -y -q --no-install-recommends "$@" >&2
  fi
}

# need_curl installs curl, which the readiness checks use.
need_curl() { command -v curl >/dev/null || apt_install curl ca-certificates; }

# alive reports whether the process whose PID is in file $1 runs, and, if $2
# is given, is that command (so that a recycled PID is never taken for ours).
alive() {
  local pid
  [ -s "$1" ] || return 1
  pid=$(cat "$1")
  kill -0 "$pid" 2>/dev/null || return 1
  [ -z "${2:-}" ] || [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$2" ]
}

# stop_pidfile ends the process named by a PID file (one we started, running
# command $3) and waits up to 10 s for it to exit.
stop_pidfile() {
  local pidfile=$1 name=$2 comm=$3 pid
  if ! alive "$pidfile" "$comm"; then
    log "$name is not running"
    rm -f "$pidfile"
    return 0
  fi
  pid=$(cat "$pidfile")
  kill "$pid"
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    log "$name (pid $pid) did not stop on TERM; sending KILL"
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
  log "$name stopped (pid $pid)"
}
